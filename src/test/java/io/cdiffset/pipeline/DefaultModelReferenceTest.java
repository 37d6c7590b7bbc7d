package io.cdiffset.pipeline;

import io.cdiffset.engine.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pins what the shipped default model makes of a shipped sample: the library call ({@link Translation}) with a fixed
 * seed must reproduce, within one 8-bit level, the output the command line wrote before the refactor (see
 * {@code src/test/resources/reference/default-model/README.md}). Every other translation test uses a tiny random
 * model; this one loads the real {@code models/default}.
 */
class DefaultModelReferenceTest {
    static final Path REF = Path.of("src/test/resources/reference/default-model");
    static final String NAME = "s1s2_003_y384_x256";

    @Test
    void defaultModelReproducesTheStoredReference(@TempDir Path out) throws IOException {
        TranslateOptions o = TranslateOptions.defaults().withSeed(0).withConfidence(true).withSampling("ddim", 10, null);
        Translation t = Translation.load(Path.of("models/default"), null, o, line -> {});
        assertEquals(10.0, t.sampling().sarGuidance(), "the model's sampling.json gives SAR guidance 10");
        Translation.Result r = t.translateFile(Path.of("samples/sar/" + NAME + ".png"), out, Progress.NONE);
        assertEquals(1, r.windows());
        assertTrue(r.written().contains(out.resolve(NAME + ".png")), "written: " + r.written());
        for (String f : List.of(NAME + ".png", NAME + "_confidence.png")) {
            int[] diff = compare(ImageIO.read(REF.resolve(f).toFile()), ImageIO.read(out.resolve(f).toFile()));
            System.out.printf("%s: max |Δ| %d levels, %d of the samples differ%n", f, diff[0], diff[1]);
            assertTrue(diff[0] <= 1, f + ": a sample differs from the reference by " + diff[0] + " levels (" + diff[1] + " samples differ)");
        }
    }

    /** Max absolute difference over every 8-bit sample, and how many samples differ at all. */
    static int[] compare(BufferedImage want, BufferedImage got) {
        assertEquals(want.getWidth(), got.getWidth());
        assertEquals(want.getHeight(), got.getHeight());
        assertEquals(want.getRaster().getNumBands(), got.getRaster().getNumBands());
        int[] a = want.getRaster().getPixels(0, 0, want.getWidth(), want.getHeight(), (int[]) null);
        int[] b = got.getRaster().getPixels(0, 0, got.getWidth(), got.getHeight(), (int[]) null);
        int max = 0, n = 0;
        for (int i = 0; i < a.length; i++) {
            int d = Math.abs(a[i] - b[i]);
            max = Math.max(max, d);
            if (d > 0) n++;
        }
        return new int[]{max, n};
    }
}
