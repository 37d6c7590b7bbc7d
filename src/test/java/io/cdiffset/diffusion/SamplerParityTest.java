package io.cdiffset.diffusion;

import io.cdiffset.engine.Engine;
import io.cdiffset.parity.ParityCheck;
import io.cdiffset.engine.Tensors;
import io.cdiffset.parity.Result;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The samplers fixture (real diffusers trajectories) passes; the confidence step is defined for every sampler. */
class SamplerParityTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/samplers");

    @Test
    void samplersFixturePasses() {
        List<Result> results = ParityCheck.run(FIXTURE);
        assertFalse(results.isEmpty(), "no outputs compared");
        StringBuilder sb = new StringBuilder();
        boolean ok = true;
        for (Result r : results) {
            sb.append(r.line()).append('\n');
            ok &= r.pass();
        }
        System.out.println(sb);
        assertTrue(ok, "samplers parity failed:\n" + sb);
        for (String name : Samplers.NAMES) {
            assertTrue(results.stream().anyMatch(r -> r.name().startsWith(name + "__") && r.name().endsWith("prev_samples")),
                    "fixture has no trajectory for " + name);
        }
    }

    @Test
    void confidenceStepIsDefinedForEverySampler() {
        Engine.init();
        for (NoiseSchedule.Prediction p : new NoiseSchedule.Prediction[]{NoiseSchedule.Prediction.EPSILON, NoiseSchedule.Prediction.V_PREDICTION}) {
            NoiseSchedule sched = NoiseSchedule.sd21(p);
            for (String name : Samplers.NAMES) {
                for (int steps : new int[]{5, 10, 20, 50}) {
                    Sampler s = Samplers.create(name, sched, steps);
                    assertEquals(steps, s.steps(), name + " " + steps);
                    assertEquals(steps, s.timesteps().length, name + " " + steps);
                    int k = Samplers.confidenceStep(s);
                    assertTrue(k >= 0 && k < steps, name + " at " + steps + " steps: confidence step " + k);
                    double tk = s.timesteps()[k];
                    for (double t : s.timesteps()) {
                        assertTrue(Math.abs(tk - 500) <= Math.abs(t - 500), name + " " + steps + ": step " + k + " (t=" + tk + ") is not nearest to 500");
                    }
                    if (p == NoiseSchedule.Prediction.EPSILON) {
                        System.out.printf("confidence %-16s %2d steps: step %2d, t = %.2f%n", name, steps, k, tk);
                    }
                }
            }
        }
    }

    /**
     * Beyond the fixture's 10 and 20 steps: with the exact denoiser of a single point x0 (ε or v computed from the
     * UNet input and the step's ᾱ = 1/(σ²+1)), the probability-flow ODE is solved exactly by every one of these
     * solvers, so at 5 and 50 steps each must land on x0.
     */
    @Test
    void exactDenoiserLandsOnItsTargetAtAnyStepCount() {
        Engine.init();
        try (PointerScope scope = new PointerScope()) {
            Tensor x0 = torch.randn(new long[]{2, 4, 8, 8}, new GeneratorOptional(torch.createCPUGenerator(5)), Tensors.options(torch.ScalarType.Float));
            Tensor noise = torch.randn(new long[]{2, 4, 8, 8}, new GeneratorOptional(torch.createCPUGenerator(6)), Tensors.options(torch.ScalarType.Float));
            for (NoiseSchedule.Prediction p : new NoiseSchedule.Prediction[]{NoiseSchedule.Prediction.EPSILON, NoiseSchedule.Prediction.V_PREDICTION}) {
                NoiseSchedule sched = NoiseSchedule.sd21(p);
                for (String name : List.of("dpmpp_2m", "dpmpp_2m_karras", "euler", "unipc")) {
                    for (int steps : new int[]{5, 50}) {
                        Sampler s = Samplers.create(name, sched, steps);
                        Tensor x = noise.mul(new Scalar(s.initNoiseSigma()));
                        for (int i = 0; i < steps; i++) {
                            double sigma = s instanceof DpmSolverPP2M d ? d.sigma(i)
                                    : s instanceof EulerSampler e ? e.sigma(i) : ((UniPcSampler) s).sigma(i);
                            double a = 1 / (sigma * sigma + 1);
                            Tensor xin = s.scaleModelInput(x, i);
                            Tensor eps = xin.sub(x0.mul(new Scalar(Math.sqrt(a)))).div(new Scalar(Math.sqrt(1 - a)));
                            Tensor out = p == NoiseSchedule.Prediction.EPSILON ? eps
                                    : eps.mul(new Scalar(Math.sqrt(a))).sub(x0.mul(new Scalar(Math.sqrt(1 - a))));
                            x = s.step(out, i, x);
                        }
                        double err = x.sub(x0).abs().max().item_double();
                        assertTrue(err < 1e-3, name + " " + p + " " + steps + " steps: final latent off x0 by " + err);
                    }
                }
            }
        }
    }

    @Test
    void unknownSamplerListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Samplers.create("heun", NoiseSchedule.sd21(), 10));
        for (String name : Samplers.NAMES) assertTrue(e.getMessage().contains(name), e.getMessage());
    }
}
