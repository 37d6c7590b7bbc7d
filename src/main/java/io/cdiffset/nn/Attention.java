package io.cdiffset.nn;

import io.cdiffset.engine.RuntimeOptions;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * diffusers {@code Attention} with the SDPA processor: to_q / to_k / to_v, to_out.0, optional group_norm
 * (VAE mid-block form, where the input is an image and the output is added back as a residual).
 */
public final class Attention extends Module {
    private final int heads;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;
    private final GroupNorm groupNorm;

    public Attention(long queryDim, long contextDim, int heads, long headDim, boolean qkvBias, GroupNorm groupNorm) {
        this.heads = heads;
        long inner = heads * headDim;
        this.groupNorm = groupNorm == null ? null : child("group_norm", groupNorm);
        this.toQ = child("to_q", new Linear(queryDim, inner, qkvBias));
        this.toK = child("to_k", new Linear(contextDim, inner, qkvBias));
        this.toV = child("to_v", new Linear(contextDim, inner, qkvBias));
        ModuleList<Linear> out = child("to_out", new ModuleList<>());
        this.toOut = out.add(new Linear(inner, queryDim, true));
    }

    /** Token form: x [B, N, C], context [B, L, Cc] (or null for self-attention). */
    public Tensor forward(Tensor x, Tensor context) {
        Tensor ctx = context == null ? x : context;
        long b = x.size(0), n = x.size(1), l = ctx.size(1);
        Tensor q = split(toQ.forward(x), b, n);
        Tensor k = split(toK.forward(ctx), b, l);
        Tensor v = split(toV.forward(ctx), b, l);
        Tensor o = sdpa(q, k, v, false);
        o = o.transpose(1, 2).reshape(b, n, -1);
        return toOut.forward(o);
    }

    /** Image form used by the VAE: group_norm, attention over H·W tokens, output projection, residual. */
    public Tensor forwardImage(Tensor x) {
        long b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        Tensor t = groupNorm.forward(x).view(b, c, h * w).transpose(1, 2);
        Tensor o = forward(t, null);
        return o.transpose(1, 2).reshape(b, c, h, w).add(x);
    }

    private Tensor split(Tensor t, long b, long n) {
        return t.view(b, n, heads, -1).transpose(1, 2);
    }

    /**
     * Attention kernel choice: {@code auto} (default) runs libtorch's fused SDPA kernel, in fp32 even for bf16 inputs
     * (upcast, then cast back): this libtorch build's fused bf16 kernel is 20× slower than its fp32 one on the CPU
     * (5 heads × 4,096 tokens: 3.8 s vs 0.17 s measured) and its bf16 backward is slow too; {@code fused} (the native
     * kernel at the input's dtype) / {@code math} (explicit softmax(q·kᵀ/√d)·v) force one (system property
     * {@code cdiffset.attention}, for benchmarks; see {@link RuntimeOptions#attention}).
     */
    static String kernel() {
        return RuntimeOptions.current().attention();
    }

    /** Scaled dot-product attention over [B, heads, N, d] (causal: each query sees keys up to its own position). */
    public static Tensor sdpa(Tensor q, Tensor k, Tensor v, boolean causal) {
        boolean bf16 = Tensors.dtype(q) == ScalarType.BFloat16;
        boolean grad = GradMode.is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
        return run(path(bf16, grad), q, k, v, causal);
    }

    /** The attention path for a precision and mode, after {@link KernelPolicy#current()} has ruled out wrong ones. */
    public static KernelPolicy.AttnPath path(boolean bf16, boolean grad) {
        KernelPolicy.AttnPath preferred = kernel().equals("math") ? KernelPolicy.AttnPath.MATH : KernelPolicy.AttnPath.FUSED;
        return KernelPolicy.current().attention(preferred, KernelPolicy.Mode.of(bf16, grad));
    }

    /**
     * Attention on the given path. Over a single key, softmax is 1 and the output is v; the fused kernel's backward
     * then returned query and key gradients of up to 2e-3 where they are exactly 0 (the kernel sweep, issue #19), so
     * that case always runs the explicit form, which is exact and as cheap there.
     */
    public static Tensor run(KernelPolicy.AttnPath p, Tensor q, Tensor k, Tensor v, boolean causal) {
        if (p == KernelPolicy.AttnPath.FUSED && k.size(-2) > 1) {
            ScalarType dt = Tensors.dtype(q);
            if (kernel().equals("auto") && dt == ScalarType.BFloat16) {
                return Precision.fp32(() -> fused(q.to(ScalarType.Float), k.to(ScalarType.Float), v.to(ScalarType.Float), causal)).to(dt);
            }
            return fused(q, k, v, causal);
        }
        Tensor s = q.matmul(k.transpose(-2, -1)).to(ScalarType.Float).mul(new Scalar(1.0 / Math.sqrt(q.size(-1))));
        if (causal) {
            long n = q.size(-2), m = k.size(-2);
            Tensor mask = torch.ones(new long[]{n, m}, Tensors.options(ScalarType.Bool)).triu(1);
            s = s.masked_fill(mask, new Scalar(Double.NEGATIVE_INFINITY));
        }
        return torch.softmax(s, -1).to(Tensors.dtype(v)).matmul(v);
    }

    private static Tensor fused(Tensor q, Tensor k, Tensor v, boolean causal) {
        return torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, causal, new DoubleOptional(), false);
    }
}
