package io.cdiffset.train;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
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

    /** One update with learning rate {@code lr}; parameters without a gradient are skipped (their moments stay). */
    public void step(double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        double stepSize = lr / bc1;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor grad = p.grad();
                if (grad == null || !grad.defined()) continue;
                Tensor m = expAvg.get(e.getKey());
                Tensor v = expAvgSq.get(e.getKey());
                // each parameter's temporaries are freed before the next one: in the caller's scope they would add
                // up to 3 × the model size (+10 GB measured for the full-size UNet's first step)
                try (PointerScope scope = new PointerScope()) {
                    p.mul_(new Scalar(1 - lr * weightDecay));
                    m.lerp_(grad, new Scalar(1 - beta1));
                    v.mul_(new Scalar(beta2)).addcmul_(grad, grad, new Scalar(1 - beta2));
                    Tensor denom = v.sqrt().div_(new Scalar(bc2Sqrt)).add_(new Scalar(eps));
                    p.addcdiv_(m, denom, new Scalar(-stepSize));
                }
            }
        }
    }

    public void zeroGrad() {
        for (Tensor p : params.values()) {
            Tensor g = p.grad();
            if (g != null && g.defined()) g.zero_();
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
