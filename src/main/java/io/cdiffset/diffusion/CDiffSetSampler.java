package io.cdiffset.diffusion;

import io.cdiffset.engine.Scopes;
import io.cdiffset.model.unet.UNet2DConditionModel;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.function.BiConsumer;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * C-DiffSET sampling: the UNet sees {@code [SAR latent | sampler.scaleModelInput(x_i)]} at
 * {@code sampler.timesteps()[i]}, the {@link Sampler} turns its 4 prediction channels into x_(i+1), and the variance
 * channel (the confidence) is read at one step. The SAR latent is conditioning and is never scaled (as diffusers'
 * InstructPix2Pix pipeline scales only the noisy latent).
 *
 * <p>Confidence step: DDIM reads it at index {@code steps / 2}, as the authors' test.py does; every other sampler at the
 * step whose timestep is nearest T/2 ({@link Samplers#confidenceStep}).
 *
 * <p>SAR guidance {@code s ≠ 1}: each step also runs the UNet with a zero SAR latent and extrapolates,
 * InstructPix2Pix-style, {@code out = out(0) + s·(out(SAR) − out(0))} on the 4 prediction channels (the variance
 * channel stays the conditional one). Meant for a UNet trained with {@code train.sar_dropout > 0}.
 */
public final class CDiffSetSampler {
    /** Largest accepted SAR guidance scale (beyond it images saturate; the demo model's best is 10). */
    public static final double MAX_SAR_GUIDANCE = 20;

    /** The final latent and the raw variance channel [B,1,h,w] at the confidence step (null without a variance head). */
    public record Result(Tensor latent, Tensor rawVarianceMid) {}

    private final UNet2DConditionModel unet;
    private final Sampler sampler;
    private final double sarGuidance;
    private final int confidenceStep;

    /** Any {@link Sampler}; the confidence at the step nearest T/2. */
    public CDiffSetSampler(UNet2DConditionModel unet, Sampler sampler, double sarGuidance) {
        this(unet, sampler, sarGuidance, Samplers.confidenceStep(sampler));
    }

    private CDiffSetSampler(UNet2DConditionModel unet, Sampler sampler, double sarGuidance, int confidenceStep) {
        this.unet = unet;
        this.sampler = sampler;
        this.sarGuidance = checkSarGuidance(sarGuidance);
        this.confidenceStep = confidenceStep;
    }

    /** The named sampler over {@code sched}; DDIM ({@code ddim}) reads the confidence at {@code steps / 2} as the authors do. */
    public static CDiffSetSampler create(UNet2DConditionModel unet, NoiseSchedule sched, SamplingSettings s) {
        Sampler sm = Samplers.create(s.sampler(), sched, s.steps());
        return s.sampler().equals("ddim") ? new CDiffSetSampler(unet, sm, s.sarGuidance(), s.steps() / 2) : new CDiffSetSampler(unet, sm, s.sarGuidance());
    }

    /** The model's UNet and schedule with these settings. */
    public static CDiffSetSampler create(ModelBundle m, SamplingSettings s) {
        return create(m.unet(), m.schedule(), s);
    }

    public int steps() {
        return sampler.steps();
    }

    public int confidenceStep() {
        return confidenceStep;
    }

    /** Samples without a trace; {@code onStep} (may be null) is called after each step with its index. */
    public Result sample(Tensor sarLatent, Tensor context, Tensor initNoise, IntConsumer onStep) {
        return sample(sarLatent, context, initNoise, null, onStep);
    }

    /**
     * @param context   [1 or B, L, D]; expanded to the batch
     * @param initNoise unit Gaussian noise; multiplied by {@code sampler.initNoiseSigma()} when that is not 1 (Euler)
     * @param trace     receives {@code step<i>_unet_out} and {@code step<i>_latent} per step (DDIM also
     *                  {@code step<i>_pred_original}), may be null; with a trace the steps' tensors are not freed early
     * @param onStep    called after each step with its index (progress), may be null
     */
    public Result sample(Tensor sarLatent, Tensor context, Tensor initNoise, BiConsumer<String, Tensor> trace, IntConsumer onStep) {
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
                if (trace != null && sampler instanceof DdimSampler ddim) { // its x0 estimate too
                    NoiseSchedule.DdimStep st = ddim.ddimStep(out.narrow(1, 0, 4), step, xi);
                    trace.accept("step" + step + "_pred_original", st.predOriginal());
                    prev = st.prevSample();
                } else {
                    prev = sampler.step(out.narrow(1, 0, 4), step, xi);
                }
                Tensor raw = step == confidenceStep && hasVariance ? out.narrow(1, 4, 1).clone() : null;
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

    /** {@code s} if it is a usable SAR guidance scale (0 … {@value #MAX_SAR_GUIDANCE}), else a one-line error. */
    public static double checkSarGuidance(double s) {
        if (!(s >= 0 && s <= MAX_SAR_GUIDANCE)) {
            throw new IllegalArgumentException("--sar-guidance must be between 0 and " + (int) MAX_SAR_GUIDANCE + " (1 = plain sampling), got " + s);
        }
        return s;
    }

    /** {@code uncond + s·(cond − uncond)} on the first 4 channels; any further (variance) channels from {@code cond}. */
    public static Tensor guide(Tensor cond, Tensor uncond, double s) {
        Tensor c4 = cond.narrow(1, 0, 4), u4 = uncond.narrow(1, 0, 4);
        Tensor g = u4.add(c4.sub(u4).mul(new Scalar(s)));
        return cond.size(1) == 4 ? g : torch.cat(new TensorVector(g, cond.narrow(1, 4, cond.size(1) - 4)), 1);
    }
}
