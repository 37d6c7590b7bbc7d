package io.cdiffset.cli;

import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Issue #13: evaluate --pred/--target silently dropped targets without a prediction. */
class EvaluateMissingTest {
    @TempDir
    Path tmp;

    static void rgb(Path f, int seed) {
        float[] d = new float[3 * 16 * 16];
        for (int i = 0; i < d.length; i++) d[i] = (i * 37 + seed * 11) % 256;
        Rasters.writePng(f, new Raster(16, 16, 3, d, SampleType.U8, null));
    }

    @Test
    void unmatchedFilesAreListedAndFailUnlessAllowMissing() throws Exception {
        Path pred = Files.createDirectories(tmp.resolve("pred")), target = Files.createDirectories(tmp.resolve("target"));
        rgb(pred.resolve("a.png"), 1);
        rgb(target.resolve("a.png"), 2);
        for (int i = 0; i < 7; i++) rgb(target.resolve("t" + i + ".png"), i);
        rgb(pred.resolve("only_pred.png"), 3);
        Path out = tmp.resolve("report");
        TranslateCommandTest.Run r = TranslateCommandTest.run("evaluate", "--pred", pred.toString(), "--target", target.toString(), "-o", out.toString(), "--no-images");
        System.out.println("without --allow-missing: exit " + r.code() + ": " + r.err().strip());
        assertEquals(2, r.code(), r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains("8 file(s)") && line.contains("only_pred.png (no target)") && line.contains("t0.png (no prediction)")
                && line.contains("and 3 more") && line.contains("--allow-missing"), line);
        assertFalse(line.contains("t6.png"), "at most 5 named: " + line);
        assertFalse(Files.exists(out), "no report folder left");

        r = TranslateCommandTest.run("evaluate", "--pred", pred.toString(), "--target", target.toString(), "-o", out.toString(), "--no-images", "--allow-missing");
        System.out.println("with --allow-missing: exit " + r.code());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: 8 file(s)") && r.err().contains("scoring only the 1 matched pair(s)"), r.err());
        assertTrue(Files.readString(out.resolve("per_image.csv")).contains("a"), "the matched pair is scored");

        r = TranslateCommandTest.run("evaluate", "--pred", pred.toString(), "--target", target.toString(), "-o", tmp.resolve("r2").toString(), "--allow-missing", "--max-pixels", "100");
        System.out.println("--max-pixels 100: exit " + r.code() + ": " + r.err().strip());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("limit of 100 set by --max-pixels"), r.err());
    }
}
