package io.cdiffset.train;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Tensors;
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
            Tensor scratch = null;
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor grad = p.grad();
                if (grad == null || !grad.defined()) continue;
                Tensor m = expAvg.get(e.getKey());
                Tensor v = expAvgSq.get(e.getKey());
                long n = p.numel();
                boolean flat = p.is_contiguous() && grad.is_contiguous() && m.is_contiguous() && v.is_contiguous();
                long chunk = flat ? Math.min(n, CHUNK) : n;
                if (flat && (scratch == null || scratch.numel() < chunk || Tensors.dtype(scratch) != Tensors.dtype(p))) {
                    scratch = torch.empty(new long[]{chunk}, Tensors.options(Tensors.dtype(p)), new org.bytedeco.pytorch.MemoryFormatOptional());
                }
                // each parameter's views and temporaries are freed before the next one
                try (PointerScope scope = new PointerScope()) {
                    for (long off = 0; off < n; off += chunk) {
                        long len = Math.min(chunk, n - off);
                        Tensor pc = flat ? p.view(-1).narrow(0, off, len) : p;
                        Tensor gc = flat ? grad.view(-1).narrow(0, off, len) : grad;
                        Tensor mc = flat ? m.view(-1).narrow(0, off, len) : m;
                        Tensor vc = flat ? v.view(-1).narrow(0, off, len) : v;
                        Tensor denom = flat ? scratch.narrow(0, 0, len) : torch.empty_like(v);
                        pc.mul_(decay);
                        mc.lerp_(gc, oneMinusB1);
                        vc.mul_(b2).addcmul_(gc, gc, oneMinusB2);
                        torch.sqrt_out(denom, vc).div_(bc2).add_(epsS);
                        pc.addcdiv_(mc, denom, minusStep);
                    }
                }
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
     * resident). The optimizer step sees the same gradients either way.
     */
    public void clearGrad(Precision precision) {
        for (Tensor p : params.values()) {
            Tensor g = p.grad();
            if (g == null || !g.defined()) continue;
            if (precision == Precision.BF16) p.mutable_grad().reset();
            else g.zero_();
        }
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
