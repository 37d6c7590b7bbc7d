package io.cdiffset.translate;

import io.cdiffset.diffusion.CDiffSetSampler;
import io.cdiffset.diffusion.SamplingSettings;
import io.cdiffset.TestModels;
import io.cdiffset.diffusion.DdimSampler;
import io.cdiffset.diffusion.Sampler;
import io.cdiffset.diffusion.Samplers;
import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Tensors;
import io.cdiffset.diffusion.ModelBundle;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link CDiffSetSampler} with any {@link Sampler}: DDIM through it is bit-identical to the
 * original DDIM loop; every sampler runs with SAR guidance, keeps its multistep history across the per-step scopes,
 * can be reused for the next latent, and yields the confidence (variance) map.
 */
class SamplerSamplingTest {
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
        return torch.randn(shape, new GeneratorOptional(g), Tensors.options(torch.ScalarType.Float));
    }

    private static double maxDiff(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item_double();
    }

    @Test
    void ddimThroughTheSamplerIsBitIdentical() {
        try (InferenceMode im = new InferenceMode(); PointerScope scope = new PointerScope()) {
            Tensor sar = randn(1, 2, 4, 8, 8), noise = randn(2, 2, 4, 8, 8);
            for (double s : new double[]{1.0, 3.0}) {
                Tensor legacy = CDiffSetSampler.create(model.unet(), model.schedule(), new SamplingSettings("ddim", 4, s)).sample(sar, model.context(), noise, null, null).latent();
                Tensor viaSampler = new CDiffSetSampler(model.unet(), new DdimSampler(model.schedule(), 4), s).sample(sar, model.context(), noise, null, null).latent();
                assertEquals(0.0, maxDiff(legacy, viaSampler), "DDIM via Sampler, guidance " + s);
            }
        }
    }

    @Test
    void everySamplerComposesWithSarGuidanceAndKeepsItsHistory() {
        try (InferenceMode im = new InferenceMode(); PointerScope scope = new PointerScope()) {
            Tensor sar = randn(3, 2, 4, 8, 8), noise = randn(4, 2, 4, 8, 8), zero = torch.zeros_like(sar);
            boolean variance = model.unet().config().outChannels() > 4;
            for (String name : Samplers.NAMES) {
                Sampler s = Samplers.create(name, model.schedule(), 4);
                CDiffSetSampler.Result plain = new CDiffSetSampler(model.unet(), s, 1.0).sample(sar, model.context(), noise, null, null);
                assertTrue(Double.isFinite(plain.latent().abs().max().item_double()), name);
                if (variance) assertNotNull(plain.rawVarianceMid(), name + ": no confidence read");
                // same object again: step 0 resets the history, so the result repeats exactly
                assertEquals(0.0, maxDiff(plain.latent(),
                        new CDiffSetSampler(model.unet(), s, 1.0).sample(sar, model.context(), noise, null, null).latent()), name + " reuse");
                // with a trace no per-step scopes are used: equal results show the history survives those scopes
                Map<String, Tensor> trace = new HashMap<>();
                Tensor traced = new CDiffSetSampler(model.unet(), Samplers.create(name, model.schedule(), 4), 1.0).sample(sar, model.context(), noise,
                        trace::put, null).latent();
                assertEquals(0.0, maxDiff(plain.latent(), traced), name + " scoped vs unscoped");
                assertTrue(trace.containsKey("step3_latent"), name);
                // guidance 0 = sampling with a zero SAR latent; guidance 3 moves away from plain sampling
                Tensor g0 = new CDiffSetSampler(model.unet(), s, 0.0).sample(sar, model.context(), noise, null, null).latent();
                Tensor zeroSar = new CDiffSetSampler(model.unet(), s, 1.0).sample(zero, model.context(), noise, null, null).latent();
                assertTrue(maxDiff(g0, zeroSar) < 1e-5 * Math.max(1, zeroSar.abs().max().item_double()), name + " guidance 0");
                Tensor g3 = new CDiffSetSampler(model.unet(), s, 3.0).sample(sar, model.context(), noise, null, null).latent();
                assertTrue(Double.isFinite(g3.abs().max().item_double()), name + " guidance 3");
                assertTrue(maxDiff(g3, plain.latent()) > 1e-4, name + ": guidance 3 must differ from plain sampling");
            }
        }
    }
}
