package io.cdiffset.diffusion;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * C-DiffSET's confidence-guided diffusion loss (a β-NLL) and the variance head mapping, op for op as the
 * authors' train.py.
 */
public final class CDiffLoss {
    public static final double MIN_VAR = 1e-6;
    public static final double MAX_VAR = 10.0;
    /** log(exp(1 − 1e-6) − 1): makes the variance 1 when the raw head output is 0 (zero-initialised). */
    public static final double OFFSET = Math.log(Math.exp(1 - 1e-6) - 1);
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private CDiffLoss() {}

    /** var = clamp(softplus(raw + c) + 1e-6, 1e-6, 10), [B,1,h,w]. */
    public static Tensor variance(Tensor raw) {
        Tensor sp = torch.softplus(raw.add(new Scalar(OFFSET)), new Scalar(1), new Scalar(20));
        return Tensors.clamp(sp.add(new Scalar(MIN_VAR)), MIN_VAR, MAX_VAR);
    }

    /** Confidence = 1 / variance. */
    public static Tensor confidence(Tensor raw) {
        return variance(raw).reciprocal();
    }

    /**
     * @param target        ε [B,4,h,w]
     * @param noisePred     ε̂ [B,4,h,w]
     * @param raw           raw variance channel [B,1,h,w]
     * @param sqrtAlphaProd sqrt(ᾱ_t) [B]
     */
    public static Tensor loss(Tensor target, Tensor noisePred, Tensor raw, Tensor sqrtAlphaProd) {
        Tensor var = variance(raw).expand_as(target);
        Tensor diff = target.sub(noisePred);
        Tensor nll = diff.mul(diff).div(var).add(var.log()).add(new Scalar(LOG_2PI)).mul(new Scalar(-0.5));
        Tensor weight = var.detach().pow(sqrtAlphaProd.view(-1, 1, 1, 1));
        return nll.mul(weight).mean().mul(new Scalar(-1.0));
    }

    /** The stage-1 objective: plain ε-MSE. */
    public static Tensor mse(Tensor target, Tensor noisePred) {
        Tensor d = target.sub(noisePred);
        return d.mul(d).mean();
    }
}
