package io.cdiffset.translate;

import io.cdiffset.diffusion.NoiseSchedule;
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
        return sampleLatents(unet, sched, sarLatent, context, initNoise, steps, trace, null);
    }

    /**
     * @param context [1 or B, L, D]; expanded to the batch
     * @param onStep  called after each step with its index (progress), may be null
     */
    public static Result sampleLatents(UNet2DConditionModel unet, NoiseSchedule sched, Tensor sarLatent, Tensor context,
                                       Tensor initNoise, int steps, BiConsumer<String, Tensor> trace, IntConsumer onStep) {
        long b = sarLatent.size(0);
        Tensor ctx = context.size(0) == b ? context : context.expand(b, -1, -1);
        long[] ts = sched.ddimTimesteps(steps);
        Tensor timesteps = Tensors.fromLongs(ts, ts.length); // made once; each step takes a view
        Tensor x = initNoise;
        Tensor rawMid = null;
        boolean hasVariance = unet.config().outChannels() > 4;
        for (int i = 0; i < ts.length; i++) {
            final int step = i;
            final Tensor xi = x;
            Supplier<Tensor[]> body = () -> {
                Tensor t = timesteps.narrow(0, step, 1).expand(b);
                Tensor out = unet.forward(torch.cat(new TensorVector(sarLatent, xi), 1), t, ctx);
                NoiseSchedule.DdimStep st = sched.ddimStep(out.narrow(1, 0, 4), ts[step], xi, steps);
                Tensor raw = step == ts.length / 2 && hasVariance ? out.narrow(1, 4, 1).clone() : null;
                if (trace != null) {
                    trace.accept("step" + step + "_unet_out", out);
                    trace.accept("step" + step + "_pred_original", st.predOriginal());
                    trace.accept("step" + step + "_latent", st.prevSample());
                }
                return new Tensor[]{st.prevSample(), raw};
            };
            // Without a trace (whose consumer may keep the tensors), each step runs in its own PointerScope, so the
            // activations of a step are released when it ends rather than when the caller's scope closes.
            Tensor[] r = trace == null ? Scopes.scopedAll(body) : body.get();
            x = r[0];
            if (r[1] != null) rawMid = r[1];
            if (onStep != null) onStep.accept(i);
        }
        return new Result(x, rawMid);
    }

    /** [-1,1] → [0,1]: clamp(x·0.5 + 0.5, 0, 1). */
    public static Tensor toUnitRange(Tensor decoded) {
        return Tensors.clamp(decoded.mul(new Scalar(0.5)).add(new Scalar(0.5)), 0, 1);
    }
}
