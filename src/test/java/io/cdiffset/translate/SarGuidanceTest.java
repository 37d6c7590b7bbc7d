package io.cdiffset.translate;

import io.cdiffset.diffusion.CDiffSetSampler;
import io.cdiffset.diffusion.SamplingSettings;
import io.cdiffset.TestModels;
import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Tensors;
import io.cdiffset.diffusion.ModelBundle;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * SAR guidance (InstructPix2Pix-style extrapolation away from the zero-SAR prediction): scale 1 is plain sampling,
 * scale 0 is sampling without the SAR, and any other scale lies on the line through the two UNet outputs.
 */
class SarGuidanceTest {
    @TempDir
    static Path tmp;
    static ModelBundle model;

    @BeforeAll
    static void load() {
        Engine.init();
        model = ModelBundle.load(TestModels.tinyModel(tmp.resolve("m")), null);
    }

    private static Tensor randn(long seed, long... shape) {
        Generator g = torch.createCPUGenerator(seed);
        return torch.randn(shape, new GeneratorOptional(g), Tensors.options(org.bytedeco.pytorch.global.torch.ScalarType.Float));
    }

    private static CDiffSetSampler.Result sample(Tensor sar, Tensor noise, double s) {
        return CDiffSetSampler.create(model.unet(), model.schedule(), new SamplingSettings("ddim", 3, s)).sample(sar, model.context(), noise, null, null);
    }

    @Test
    void scaleOneIsPlainSamplingAndScaleZeroIgnoresTheSar() {
        try (InferenceMode im = new InferenceMode()) {
            Tensor sar = randn(1, 2, 4, 8, 8), noise = randn(2, 2, 4, 8, 8);
            Tensor plain = CDiffSetSampler.create(model.unet(), model.schedule(), new SamplingSettings("ddim", 3, 1.0)).sample(sar, model.context(), noise, null, null).latent();
            assertEquals(0.0, sample(sar, noise, 1.0).latent().sub(plain).abs().max().item_double(), "scale 1 must be plain sampling");

            Tensor zeroSar = CDiffSetSampler.create(model.unet(), model.schedule(), new SamplingSettings("ddim", 3, 1.0)).sample(torch.zeros_like(sar), model.context(), noise, null, null).latent();
            double d0 = sample(sar, noise, 0.0).latent().sub(zeroSar).abs().max().item_double();
            assertTrue(d0 < 1e-6, "scale 0 must equal sampling with a zero SAR latent, max diff " + d0);
            // control: the SAR does change the plain result, so the two checks above can tell the cases apart
            assertTrue(plain.sub(zeroSar).abs().max().item_double() > 1e-3, "the tiny UNet ignores its SAR input");

            Tensor strong = sample(sar, noise, 3.0).latent();
            assertTrue(strong.sub(plain).abs().max().item_double() > 1e-3, "scale 3 must differ from plain sampling");
            assertTrue(Double.isFinite(strong.abs().max().item_double()));
        }
    }

    @Test
    void guideExtrapolatesThePredictionAndKeepsTheConditionalVariance() {
        try (InferenceMode im = new InferenceMode()) {
            Tensor cond = randn(3, 2, 5, 4, 4), uncond = randn(4, 2, 5, 4, 4);
            Tensor g = CDiffSetSampler.guide(cond, uncond, 2.5);
            Tensor want = uncond.narrow(1, 0, 4).add(cond.narrow(1, 0, 4).sub(uncond.narrow(1, 0, 4)).mul(new org.bytedeco.pytorch.Scalar(2.5)));
            assertTrue(g.narrow(1, 0, 4).sub(want).abs().max().item_double() < 1e-6);
            assertEquals(0.0, g.narrow(1, 4, 1).sub(cond.narrow(1, 4, 1)).abs().max().item_double(), "variance channel must be the conditional one");
            assertEquals(4, CDiffSetSampler.guide(cond.narrow(1, 0, 4), uncond.narrow(1, 0, 4), 2.0).size(1));
        }
    }

    @Test
    void rejectsNegativeOrHugeScales() {
        Tensor z = torch.zeros(1, 4, 8, 8);
        assertThrows(IllegalArgumentException.class, () -> sample(z, z, -1));
        assertThrows(IllegalArgumentException.class, () -> sample(z, z, Double.NaN));
        assertThrows(IllegalArgumentException.class,
                () -> new SceneTranslator.Options(50, 0, 512, 64, 1, io.cdiffset.engine.Precision.FP32, 25));
    }
}
