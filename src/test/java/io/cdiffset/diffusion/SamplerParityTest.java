package io.cdiffset.diffusion;

import io.cdiffset.engine.Engine;
import io.cdiffset.parity.ParityCheck;
import io.cdiffset.parity.Result;
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

    @Test
    void unknownSamplerListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Samplers.create("heun", NoiseSchedule.sd21(), 10));
        for (String name : Samplers.NAMES) assertTrue(e.getMessage().contains(name), e.getMessage());
    }
}
