package io.cdiffset.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which kernel paths may run on this CPU. A path is ruled out per precision and mode ("conv onednn-channels-last fp32
 * grad") when {@code cdiffset doctor}'s shape sweep found it wrong for any shape it would be chosen for; the layers
 * then take the next correct path ({@link #conv}). Installed once per process ({@link #install}), before any model
 * runs; the default allows everything, which is what the shipped rules were measured with.
 */
public final class KernelPolicy {
    /** How a kernel is used: precision and whether autograd will differentiate it. */
    public enum Mode {
        FP32_INFERENCE("fp32", false), BF16_INFERENCE("bf16", false), FP32_GRAD("fp32", true), BF16_GRAD("bf16", true);

        public final String precision;
        public final boolean grad;

        Mode(String precision, boolean grad) {
            this.precision = precision;
            this.grad = grad;
        }

        public static Mode of(boolean bf16, boolean grad) {
            return bf16 ? (grad ? BF16_GRAD : BF16_INFERENCE) : (grad ? FP32_GRAD : FP32_INFERENCE);
        }

        public String label() {
            return precision + (grad ? " training" : " inference");
        }
    }

    /** Attention kernels: libtorch's fused SDPA (bf16 upcast to fp32 in auto mode), or explicit softmax(q·kᵀ/√d)·v. */
    public enum AttnPath {
        FUSED("fused"), MATH("math");

        public final String id;

        AttnPath(String id) {
            this.id = id;
        }
    }

    private static final KernelPolicy ALL = new KernelPolicy(Set.of());
    private static volatile KernelPolicy current = ALL;

    private final Set<String> ruledOut;

    private KernelPolicy(Set<String> ruledOut) {
        this.ruledOut = Collections.unmodifiableSet(new TreeSet<>(ruledOut));
    }

    public static KernelPolicy allowAll() {
        return ALL;
    }

    /** A policy that rules out the given keys (see {@link #key(ConvPath, Mode)} and {@link #key(AttnPath, Mode)}). */
    public static KernelPolicy ruling(Set<String> ruledOut) {
        return ruledOut.isEmpty() ? ALL : new KernelPolicy(ruledOut);
    }

    public static KernelPolicy current() {
        return current;
    }

    /** Sets the process-wide policy (the CLI does this once, from the cached sweep of this CPU). */
    public static void install(KernelPolicy p) {
        current = p;
    }

    public static String key(ConvPath p, Mode m) {
        return key("conv", p.id, m);
    }

    public static String key(AttnPath p, Mode m) {
        return key("attention", p.id, m);
    }

    /** "conv onednn-channels-last fp32 grad": kind, path id, precision, and "grad" under autograd. */
    public static String key(String kind, String pathId, Mode m) {
        return kind + " " + pathId + " " + m.precision + (m.grad ? " grad" : "");
    }

    public Set<String> ruledOut() {
        return ruledOut;
    }

    public boolean allows(ConvPath p, Mode m) {
        return !ruledOut.contains(key(p, m));
    }

    public boolean allows(AttnPath p, Mode m) {
        return !ruledOut.contains(key(p, m));
    }

    /** The preferred path if allowed, else the first allowed of matmul, native, oneDNN NCHW, oneDNN channels-last. */
    public ConvPath conv(ConvPath preferred, Mode m) {
        if (allows(preferred, m)) return preferred;
        for (ConvPath p : new ConvPath[]{ConvPath.MATMUL, ConvPath.NATIVE, ConvPath.ONEDNN, ConvPath.ONEDNN_CHANNELS_LAST}) {
            if (allows(p, m)) return p;
        }
        throw new IllegalStateException("every convolution path is ruled out for " + m.label() + " on this CPU; run 'cdiffset doctor'");
    }

    public AttnPath attention(AttnPath preferred, Mode m) {
        if (allows(preferred, m)) return preferred;
        AttnPath other = preferred == AttnPath.FUSED ? AttnPath.MATH : AttnPath.FUSED;
        if (allows(other, m)) return other;
        throw new IllegalStateException("every attention path is ruled out for " + m.label() + " on this CPU; run 'cdiffset doctor'");
    }

    @Override
    public String toString() {
        if (ruledOut.isEmpty()) return "every kernel path allowed";
        List<String> l = new ArrayList<>(ruledOut);
        return "ruled out: " + String.join(", ", l).toLowerCase(Locale.ROOT);
    }
}
