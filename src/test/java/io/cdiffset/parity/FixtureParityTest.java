package io.cdiffset.parity;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every reference fixture shipped in src/test/resources/fixtures passes at its README tolerance. */
class FixtureParityTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");

    static void check(String kind) {
        List<Result> results = ParityCheck.run(FIXTURES.resolve(kind));
        assertFalse(results.isEmpty(), "no outputs compared for " + kind);
        StringBuilder sb = new StringBuilder();
        boolean ok = true;
        for (Result r : results) {
            sb.append(r.line()).append('\n');
            ok &= r.pass();
        }
        System.out.println(sb);
        assertTrue(ok, kind + " parity failed:\n" + sb);
    }

    @Test void unet() { check("unet"); }
    @Test void vae() { check("vae"); }
    @Test void textEncoder() { check("text_encoder"); }
    @Test void scheduler() { check("scheduler"); }
    @Test void cdiffLoss() { check("cdiff_loss"); }
    @Test void pipeline() { check("pipeline"); }
    @Test void trainStep() { check("train_step"); }
    @Test void tokenizer() { check("tokenizer"); }
    @Test void metrics() { check("metrics"); }
    @Test void metricNets() { check("metric_nets"); }
    @Test void pth() { check("pth"); }
    @Test void ldmSingleFile() { check("ldm_single_file"); }
}
