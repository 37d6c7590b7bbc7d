package io.cdiffset.translate;

import io.cdiffset.diffusion.CDiffLoss;
import io.cdiffset.diffusion.CDiffSetSampler;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Tensors;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.function.IntConsumer;

/**
 * Translates a batch of same-size SAR windows: encode → sample → decode → confidence. The one place this happens,
 * for scene translation, evaluation, training validation and the bench.
 */
public final class Translator {
    private Translator() {}

    /**
     * @param eo         [B,3,h,w] float in [0,1]
     * @param confidence [B,1,h,w] float, 1/σ² at the confidence step upsampled to the window (not normalised); null
     *                   when the UNet has no variance head
     */
    public record Windows(Tensor eo, Tensor confidence) {}

    /**
     * Translates SAR windows {@code sar} ([B,3,h,w] in [-1,1]) from the initial noise {@code noise}
     * ([B,4,h/8,w/8], unit Gaussian), with autocast at {@code precision}. Call inside a pointer scope and
     * {@code InferenceMode}; {@code onStep} (may be null) is called after each sampling step.
     */
    public static Windows translate(ModelBundle m, CDiffSetSampler sampler, Tensor sar, Tensor noise, Precision precision, IntConsumer onStep) {
        try (Precision.Scope ac = precision.scope()) {
            Tensor zs = m.vae().encodeLatent(sar).to(ScalarType.Float);
            return sampleAndDecode(m, sampler, zs, noise, onStep, sar.size(2), sar.size(3));
        }
    }

    /** As {@link #translate} from SAR latents already encoded ([B,4,h/8,w/8]); the outputs at {@code h × w}. */
    public static Windows sampleAndDecode(ModelBundle m, CDiffSetSampler sampler, Tensor sarLatent, Tensor noise, IntConsumer onStep, long h, long w) {
        CDiffSetSampler.Result r = sampler.sample(sarLatent, m.context(), noise, onStep);
        // the sampling steps' freed buffers go back to the OS before the decoder's large maps are allocated: the
        // full-size 512² bf16 translation peaked ~150 MB lower in a probe
        Pointer.trimMemory();
        Tensor eo = toUnitRange(m.vae().decodeLatent(r.latent().to(ScalarType.Float)).to(ScalarType.Float));
        Tensor conf = r.rawVarianceMid() == null ? null
                : torch.upsample_bilinear2d(CDiffLoss.confidence(r.rawVarianceMid().to(ScalarType.Float)), new long[]{h, w}, false);
        return new Windows(eo, conf);
    }

    /** [-1,1] → [0,1]: clamp(x·0.5 + 0.5, 0, 1). */
    public static Tensor toUnitRange(Tensor decoded) {
        return Tensors.clamp(decoded.mul(new Scalar(0.5)).add(new Scalar(0.5)), 0, 1);
    }
}
