package io.cdiffset.translate;

import io.cdiffset.diffusion.NoiseSchedule;
import io.cdiffset.diffusion.Sampler;
import io.cdiffset.diffusion.Samplers;
import io.cdiffset.engine.Scopes;
import io.cdiffset.engine.Tensors;
import io.cdiffset.model.unet.UNet2DConditionModel;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.function.BiConsumer;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/** C-DiffSET sampling: DDIM over [SAR latent | x_t], variance captured at the middle step (authors' test.py). */
public final class Translator {
    private Translator() {}

    public record Result(Tensor latent, Tensor rawVarianceMid) {}

    public static Result sampleLatents(UNet2DConditionModel unet, NoiseSchedule sched, Tensor sarLatent, Tensor context,
                                       Tensor initNoise, int steps, BiConsumer<String, Tensor> trace) {
        return sampleLatents(unet, sched, sarLatent, context, initNoise, steps, trace, null, 1.0);
    }

    /**
     * Samples with the named sampler ({@link io.cdiffset.diffusion.Samplers#NAMES}). {@code ddim} is the C-DiffSET
     * loop as before, bit for bit, with the confidence at index {@code steps / 2} as the authors' test.py reads it;
     * the others read it at the step nearest T/2 ({@link io.cdiffset.diffusion.Samplers#confidenceStep}).
     */
    public static Result sample(UNet2DConditionModel unet, NoiseSchedule sched, String sampler, Tensor sarLatent, Tensor context,
                                Tensor initNoise, int steps, IntConsumer onStep, double sarGuidance) {
        if (sampler == null || sampler.equals("ddim")) {
            return sampleLatents(unet, sched, sarLatent, context, initNoise, steps, null, onStep, sarGuidance);
        }
        return sampleLatents(unet, io.cdiffset.diffusion.Samplers.create(sampler, sched, steps), sarLatent, context, initNoise, null, onStep, sarGuidance);
    }

    /**
     * @param context     [1 or B, L, D]; expanded to the batch
     * @param onStep      called after each step with its index (progress), may be null
     * @param sarGuidance 1 = plain C-DiffSET sampling (one UNet call per step). Otherwise each step also runs the UNet
     *                    with a zero SAR latent and extrapolates, InstructPix2Pix-style:
     *                    {@code out = out(0) + s·(out(SAR) − out(0))} on the 4 prediction channels (the variance channel
     *                    stays the conditional one). Meant for a UNet trained with {@code train.sar_dropout > 0}.
     */
    public static Result sampleLatents(UNet2DConditionModel unet, NoiseSchedule sched, Tensor sarLatent, Tensor context,
                                       Tensor initNoise, int steps, BiConsumer<String, Tensor> trace, IntConsumer onStep,
                                       double sarGuidance) {
        // the authors' test.py reads the variance at index steps / 2
        return loop(unet, new io.cdiffset.diffusion.DdimSampler(sched, steps), sarLatent, context, initNoise, trace, onStep, sarGuidance, steps / 2);
    }

    /**
     * C-DiffSET sampling with any {@link Sampler} (see {@link Samplers#create}): the UNet sees
     * {@code [SAR latent | sampler.scaleModelInput(x_i)]} at {@code sampler.timesteps()[i]}, the sampler turns its 4
     * prediction channels into x_(i+1). The SAR latent is conditioning and is never scaled (as diffusers'
     * InstructPix2Pix pipeline scales only the noisy latent). SAR guidance works as in the DDIM method.
     *
     * <p>With a {@code DdimSampler} the latent is bit-identical to
     * {@link #sampleLatents(UNet2DConditionModel, NoiseSchedule, Tensor, Tensor, Tensor, int, BiConsumer, IntConsumer, double)}
     * (same ops in the same order); the variance is read at {@link Samplers#confidenceStep} (timestep nearest T/2)
     * rather than at index {@code steps / 2}, which for DDIM at 10, 20, 50 steps is one step earlier.
     *
     * @param initNoise unit Gaussian noise; multiplied by {@code sampler.initNoiseSigma()} when that is not 1 (Euler)
     * @param trace     receives {@code step<i>_unet_out} and {@code step<i>_latent} per step, may be null
     * @param onStep    called after each step with its index (progress), may be null
     */
    public static Result sampleLatents(UNet2DConditionModel unet, Sampler sampler, Tensor sarLatent, Tensor context,
                                       Tensor initNoise, BiConsumer<String, Tensor> trace, IntConsumer onStep,
                                       double sarGuidance) {
        return loop(unet, sampler, sarLatent, context, initNoise, trace, onStep, sarGuidance, Samplers.confidenceStep(sampler));
    }

    /** The sampling loop; the variance channel is read at step {@code confidence}. */
    private static Result loop(UNet2DConditionModel unet, Sampler sampler, Tensor sarLatent, Tensor context, Tensor initNoise,
                               BiConsumer<String, Tensor> trace, IntConsumer onStep, double sarGuidance, int confidence) {
        checkSarGuidance(sarGuidance);
        boolean guided = sarGuidance != 1.0;
        Tensor nullSar = guided ? torch.zeros_like(sarLatent) : null;
        long b = sarLatent.size(0);
        Tensor ctx = context.size(0) == b ? context : context.expand(b, -1, -1);
        int steps = sampler.steps();
        Tensor timesteps = sampler.timestepTensor(); // made once; each step takes a view
        double sigma0 = sampler.initNoiseSigma();
        Tensor x = sigma0 == 1.0 ? initNoise : initNoise.mul(new Scalar((float) sigma0));
        Tensor rawMid = null;
        boolean hasVariance = unet.config().outChannels() > 4;
        for (int i = 0; i < steps; i++) {
            final int step = i;
            final Tensor xi = x;
            Supplier<Tensor[]> body = () -> {
                Tensor t = timesteps.narrow(0, step, 1).expand(b);
                Tensor xin = sampler.scaleModelInput(xi, step);
                Tensor out = unet.forward(torch.cat(new TensorVector(sarLatent, xin), 1), t, ctx);
                if (guided) out = guide(out, unet.forward(torch.cat(new TensorVector(nullSar, xin), 1), t, ctx), sarGuidance);
                Tensor prev;
                if (trace != null && sampler instanceof io.cdiffset.diffusion.DdimSampler ddim) { // its x0 estimate too
                    NoiseSchedule.DdimStep st = ddim.ddimStep(out.narrow(1, 0, 4), step, xi);
                    trace.accept("step" + step + "_pred_original", st.predOriginal());
                    prev = st.prevSample();
                } else {
                    prev = sampler.step(out.narrow(1, 0, 4), step, xi);
                }
                Tensor raw = step == confidence && hasVariance ? out.narrow(1, 4, 1).clone() : null;
                if (trace != null) {
                    trace.accept("step" + step + "_unet_out", out);
                    trace.accept("step" + step + "_latent", prev);
                }
                return new Tensor[]{prev, raw};
            };
            // The sampler keeps its multistep history in handles of its own, so per-step scopes are safe here too.
            Tensor[] r = trace == null ? Scopes.scopedAll(body) : body.get();
            x = r[0];
            if (r[1] != null) rawMid = r[1];
            if (onStep != null) onStep.accept(i);
        }
        return new Result(x, rawMid);
    }

    /** Largest accepted SAR guidance scale (beyond it images saturate; the demo model's best is 10). */
    public static final double MAX_SAR_GUIDANCE = 20;

    /** {@code s} if it is a usable SAR guidance scale (0 … {@value #MAX_SAR_GUIDANCE}), else a one-line error. */
    public static double checkSarGuidance(double s) {
        if (!(s >= 0 && s <= MAX_SAR_GUIDANCE)) {
            throw new IllegalArgumentException("--sar-guidance must be between 0 and " + (int) MAX_SAR_GUIDANCE + " (1 = plain sampling), got " + s);
        }
        return s;
    }

    /** {@code uncond + s·(cond − uncond)} on the first 4 channels; any further (variance) channels from {@code cond}. */
    static Tensor guide(Tensor cond, Tensor uncond, double s) {
        Tensor c4 = cond.narrow(1, 0, 4), u4 = uncond.narrow(1, 0, 4);
        Tensor g = u4.add(c4.sub(u4).mul(new Scalar(s)));
        return cond.size(1) == 4 ? g : torch.cat(new TensorVector(g, cond.narrow(1, 4, cond.size(1) - 4)), 1);
    }

    /** [-1,1] → [0,1]: clamp(x·0.5 + 0.5, 0, 1). */
    public static Tensor toUnitRange(Tensor decoded) {
        return Tensors.clamp(decoded.mul(new Scalar(0.5)).add(new Scalar(0.5)), 0, 1);
    }
}
