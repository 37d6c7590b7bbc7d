package io.cdiffset.diffusion;

import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Tensors;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.diffusion.ModelBundle;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training target and the x0 the sampler recovers from it agree for every prediction type: a model that outputs
 * exactly {@link NoiseSchedule#target} makes both {@link NoiseSchedule#predictOriginal} and the DDIM step's x0 return
 * the clean latent, at high and low noise. v is checked against its definition sqrt(ᾱ)·ε − sqrt(1−ᾱ)·x0.
 */
class PredictionTypeTest {
    @Test
    void aPerfectModelOutputRecoversTheCleanLatent() {
        Engine.seed(3);
        Tensor x0 = torch.randn(2, 4, 8, 8), noise = torch.randn(2, 4, 8, 8);
        for (NoiseSchedule.Prediction p : NoiseSchedule.Prediction.values()) {
            NoiseSchedule s = NoiseSchedule.sd21(p);
            for (long step : new long[]{981, 501, 21}) {
                Tensor t = Tensors.fromLongs(new long[]{step, step}, 2);
                Tensor xt = s.addNoise(x0, noise, t);
                Tensor out = s.target(x0, noise, t);
                assertEquals(0, Tensors.maxAbsDiff(s.predictOriginal(out, xt, t), x0), 2e-3, p + " t=" + step);
                assertEquals(0, Tensors.maxAbsDiff(s.ddimStep(out, step, xt, 50).predOriginal(), x0), 2e-3, p + " ddim t=" + step);
            }
        }
        NoiseSchedule v = NoiseSchedule.sd21(NoiseSchedule.Prediction.V_PREDICTION);
        double a = v.alphaCumprod(981);
        Tensor t = Tensors.fromLongs(new long[]{981, 981}, 2);
        Tensor expected = noise.mul(new org.bytedeco.pytorch.Scalar(Math.sqrt(a))).sub(x0.mul(new org.bytedeco.pytorch.Scalar(Math.sqrt(1 - a))));
        assertTrue(Tensors.maxAbsDiff(v.target(x0, noise, t), expected) < 1e-5);
    }

    @Test
    void exportedSchedulerConfigKeepsThePredictionType() {
        for (NoiseSchedule.Prediction p : NoiseSchedule.Prediction.values()) {
            String json = ModelBundle.schedulerConfig(p);
            NoiseSchedule back = NoiseSchedule.fromConfig(ConfigJson.parse(json, "test").root());
            assertEquals(p, back.prediction());
            assertEquals(NoiseSchedule.sd21().alphaCumprod(500), back.alphaCumprod(500));
        }
    }
}
