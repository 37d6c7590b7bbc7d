package io.cdiffset.train;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Tensors;
import io.cdiffset.nn.WorkingCopy;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with torch.optim.AdamW's single-tensor op order (decoupled weight decay applied to every parameter, as
 * C-DiffSET does). State (moments and step) is exposed by name so checkpoints can store and restore it exactly.
 */
public final class AdamW {
    private final Map<String, Tensor> params;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, Tensor> expAvg = new LinkedHashMap<>();
    private final Map<String, Tensor> expAvgSq = new LinkedHashMap<>();
    private long step;
    /** bf16 training: the parameters whose gradient arrives on a {@link WorkingCopy} (by name). */
    private Map<String, WorkingCopy> working = Map.of();
    /** Gradient accumulation with working copies: each micro-batch's bf16 gradients summed in fp32 (by name). */
    private final Map<String, Tensor> folded = new LinkedHashMap<>();
    /** The names folded into since the last {@link #clearGrad}: a parameter that got no gradient this step is skipped. */
    private final java.util.Set<String> foldedNow = new java.util.HashSet<>();

    public AdamW(Map<String, Tensor> namedParams, double beta1, double beta2, double eps, double weightDecay) {
        this.params = namedParams;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Map.Entry<String, Tensor> e : namedParams.entrySet()) {
            expAvg.put(e.getKey(), torch.zeros_like(e.getValue()).detach());
            expAvgSq.put(e.getKey(), torch.zeros_like(e.getValue()).detach());
        }
    }

    public static AdamW standard(Map<String, Tensor> namedParams, double weightDecay) {
        return new AdamW(namedParams, 0.9, 0.999, 1e-8, weightDecay);
    }

    public long step() {
        return step;
    }

    /**
     * Reads the gradients of these parameters from their working copies (bf16) instead of the parameters, and
     * refreshes each copy from its updated master within the step, slice by slice.
     */
    public void useWorkingCopies(Map<String, WorkingCopy> copies) {
        this.working = Map.copyOf(copies);
    }

    /**
     * An optimizer over {@code trainable} (names of {@code model}'s parameters) for training at {@code precision}:
     * for bf16, the model's convolutions and linear layers first get persistent bf16 {@link WorkingCopy working copies}
     * whose gradients this optimizer reads (see {@link io.cdiffset.nn.Module#keepWorkingCopies}).
     */
    public static AdamW forTraining(io.cdiffset.nn.Module model, Map<String, Tensor> trainable, double weightDecay, Precision precision) {
        AdamW a = standard(trainable, weightDecay);
        if (precision == Precision.BF16) a.useWorkingCopies(model.keepWorkingCopies(org.bytedeco.pytorch.global.torch.ScalarType.BFloat16, trainable.keySet()));
        return a;
    }

    /**
     * With working copies and gradient accumulation, call after each micro-batch's backward: adds its bf16 gradients
     * into fp32 sums and clears them, so that micro-batches add up in fp32 as autocast's fp32 gradients would.
     */
    public void foldWorkingGradients() {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, WorkingCopy> e : working.entrySet()) {
                Tensor low = e.getValue().low();
                Tensor lg = low.grad();
                if (lg == null || !lg.defined()) continue;
                Tensor acc = folded.get(e.getKey());
                if (acc == null) {
                    try (PointerScope s = new PointerScope()) {
                        acc = torch.zeros_like(e.getValue().master()).detach();
                        acc.retainReference(); // outlives the step's scopes; freed with this optimizer
                    }
                    folded.put(e.getKey(), acc);
                }
                try (PointerScope s = new PointerScope()) {
                    acc.add_(lg);
                }
                foldedNow.add(e.getKey());
                low.mutable_grad().reset();
            }
        }
    }

    /** The gradient of parameter {@code name} for this step: its own, the folded sum, or its working copy's. */
    private Tensor gradient(String name, Tensor p) {
        Tensor g = p.grad();
        if (g != null && g.defined()) return g;
        WorkingCopy c = working.get(name);
        if (c == null) return null;
        if (foldedNow.contains(name)) return folded.get(name);
        return c.low().grad();
    }

    /**
     * Elements updated together: torch.optim.AdamW's five in-place ops run on one slice of a parameter and its
     * gradient and moments at a time, so that the slice stays in cache from the first op to the last. Run on whole
     * tensors, each op streamed the full-size UNet's 3.5 GB of parameters (and as much again of gradients and
     * moments) through memory once more.
     */
    static final long CHUNK = 1L << 20;

    /** One update with learning rate {@code lr}; parameters without a gradient are skipped (their moments stay). */
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        double stepSize = lr / bc1;
        try (NoGradGuard g = new NoGradGuard(); PointerScope outer = new PointerScope()) {
            Scalar decay = new Scalar(1 - lr * weightDecay), oneMinusB1 = new Scalar(1 - beta1), b2 = new Scalar(beta2),
                    oneMinusB2 = new Scalar(1 - beta2), bc2 = new Scalar(bc2Sqrt), epsS = new Scalar(eps), minusStep = new Scalar(-stepSize);
            Tensor scratch = null, gradScratch = null;
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor grad = gradient(e.getKey(), p);
                if (grad == null || !grad.defined()) continue;
                Tensor m = expAvg.get(e.getKey());
                Tensor v = expAvgSq.get(e.getKey());
                WorkingCopy copy = working.get(e.getKey());
                Tensor low = copy != null ? copy.low() : null;
                boolean convert = Tensors.dtype(grad) != Tensors.dtype(p); // a working copy's bf16 gradient
                long n = p.numel();
                boolean flat = p.is_contiguous() && grad.is_contiguous() && m.is_contiguous() && v.is_contiguous() && (low == null || low.is_contiguous());
                long chunk = flat ? Math.min(n, CHUNK) : n;
                if (flat && (scratch == null || scratch.numel() < chunk || Tensors.dtype(scratch) != Tensors.dtype(p))) {
                    scratch = torch.empty(new long[]{chunk}, Tensors.options(Tensors.dtype(p)), new org.bytedeco.pytorch.MemoryFormatOptional());
                }
                if (flat && convert && (gradScratch == null || gradScratch.numel() < chunk || Tensors.dtype(gradScratch) != Tensors.dtype(p))) {
                    gradScratch = torch.empty(new long[]{chunk}, Tensors.options(Tensors.dtype(p)), new org.bytedeco.pytorch.MemoryFormatOptional());
                }
                // each parameter's views and temporaries are freed before the next one
                try (PointerScope scope = new PointerScope()) {
                    for (long off = 0; off < n; off += chunk) {
                        long len = Math.min(chunk, n - off);
                        Tensor pc = flat ? p.view(-1).narrow(0, off, len) : p;
                        Tensor gc = flat ? grad.view(-1).narrow(0, off, len) : grad;
                        if (convert) gc = flat ? gradScratch.narrow(0, 0, len).copy_(gc) : gc.to(Tensors.dtype(p)); // exact: bf16 ⊂ fp32
                        Tensor mc = flat ? m.view(-1).narrow(0, off, len) : m;
                        Tensor vc = flat ? v.view(-1).narrow(0, off, len) : v;
                        Tensor denom = flat ? scratch.narrow(0, 0, len) : torch.empty_like(v);
                        pc.mul_(decay);
                        mc.lerp_(gc, oneMinusB1);
                        vc.mul_(b2).addcmul_(gc, gc, oneMinusB2);
                        torch.sqrt_out(denom, vc).div_(bc2).add_(epsS);
                        pc.addcdiv_(mc, denom, minusStep);
                        if (low != null) (flat ? low.view(-1).narrow(0, off, len) : low).copy_(pc); // the new weight, rounded, while in cache
                    }
                }
                if (copy != null) copy.markSynced();
            }
        }
    }

    /** Zeroes the gradients in place (see {@link #clearGrad}). */
    public void zeroGrad() {
        clearGrad(Precision.FP32);
    }

    /**
     * Clears the gradients for the next step, the faster way for a precision (full-size UNet, 32² latents, steps 2-5):
     * fp32 zeroes them in place (dropping them made the backward pass 4.1-4.4 → 6.2-7.2 s: it then wrote every weight
     * gradient into freshly faulted memory); bf16 drops them (PyTorch's {@code set_to_none}): each weight gradient
     * arrives as a new fp32 tensor from autocast's cast anyway, which the next backward then hands over instead of
     * adding it into a zeroed one (step 4.1-4.5 s, and 6.6 s on the first step after warm-up, → 3.9-4.6 s, 3 GB less
     * resident). The optimizer step sees the same gradients either way. With {@link WorkingCopy working copies} (bf16
     * training since session 10) the weight gradients are the copies' bf16 ones, dropped too: zeroing them in place
     * measured 0.1-0.2 s faster per step but kept 1.4 GB more resident (14.2 vs 12.8 GB).
     */
    public void clearGrad(Precision precision) {
        for (Tensor p : params.values()) clear(p, precision);
        for (WorkingCopy c : working.values()) clear(c.low(), precision);
        for (String name : foldedNow) folded.get(name).zero_();
        foldedNow.clear();
    }

    private static void clear(Tensor p, Precision precision) {
        Tensor g = p.grad();
        if (g == null || !g.defined()) return;
        if (precision == Precision.BF16) p.mutable_grad().reset();
        else g.zero_();
    }

    /** Moments under "exp_avg.NAME" / "exp_avg_sq.NAME" (live tensors; copy before mutating). */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        expAvg.forEach((k, v) -> out.put("exp_avg." + k, v));
        expAvgSq.forEach((k, v) -> out.put("exp_avg_sq." + k, v));
        return out;
    }

    public void loadState(Map<String, Tensor> state, long stepCount) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (String k : params.keySet()) {
                Tensor m = state.get("exp_avg." + k), v = state.get("exp_avg_sq." + k);
                if (m == null || v == null) throw new IllegalArgumentException("optimizer state has no moments for " + k);
                expAvg.get(k).copy_(m);
                expAvgSq.get(k).copy_(v);
            }
        }
        this.step = stepCount;
    }
}
