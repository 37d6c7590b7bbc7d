package io.cdiffset.translate;

import io.cdiffset.TestModels;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Progress;
import io.cdiffset.diffusion.ModelBundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A 1,536 × 1,536 input translated with overlapping windows: the mean gradient magnitude across the window borders
 * must not exceed the one inside windows. A faint artificial seam added to the same mosaic
 * raises the measure clearly, so the test can fail.
 */
class SeamTest {
    @TempDir
    Path tmp;

    @Test
    void blendedTilesShowNoSeams() {
        ModelBundle model = ModelBundle.load(TestModels.tinyModel(tmp.resolve("m")), null);
        int n = 1536;
        float[] sar = new float[3 * n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                float v = (float) (0.6 * Math.sin(x / 37.0) * Math.cos(y / 53.0) + 0.2 * Math.sin((x + y) / 11.0));
                for (int c = 0; c < 3; c++) sar[c * n * n + y * n + x] = v;
            }
        }
        int tile = 512, overlap = 64;
        SceneTranslator blended = new SceneTranslator(model, new SceneTranslator.Options(1, 3, tile, overlap, 2, Precision.FP32));
        SceneTranslator.Output o = blended.translate(sar, n, n, Progress.NONE);
        double ratio = borderRatio(o.eo(), n, SceneTranslator.positions(n, tile, overlap), tile);
        System.out.printf("seam ratio (border / interior mean |gradient|), blended tile %d overlap %d: %.4f%n", tile, overlap, ratio);

        // control: the same measurement on the same mosaic with a step, as large as the mosaic's mean gradient,
        // added along every window border: a seam of that size must register
        double step = meanGradient(o.eo(), n);
        float[] seamed = o.eo().clone();
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    int blockX = 0, blockY = 0;
                    for (int p : SceneTranslator.positions(n, tile, overlap)) {
                        if (p > 0 && x >= p) blockX++;
                        if (p > 0 && y >= p) blockY++;
                    }
                    seamed[c * n * n + y * n + x] += (float) step * ((blockX + blockY) % 2);
                }
            }
        }
        double seamRatio = borderRatio(seamed, n, SceneTranslator.positions(n, tile, overlap), tile);
        System.out.printf("seam ratio with a %.4f step added at the window starts (control): %.4f%n", step, seamRatio);
        assertTrue(seamRatio > 1.05, "control: an artificial seam must raise the ratio, got " + seamRatio);
        assertTrue(ratio <= 1.0, "blended tiles show seams: border/interior gradient ratio " + ratio);
        assertEquals(3 * n * n, o.eo().length);
        assertNotNull(o.confidence());
    }

    static double meanGradient(float[] eo, int n) {
        double sum = 0;
        long cnt = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < n; y++) {
                for (int x = 1; x < n; x++) {
                    sum += Math.abs(eo[c * n * n + y * n + x] - eo[c * n * n + y * n + x - 1]);
                    cnt++;
                }
            }
        }
        return sum / cnt;
    }

    /**
     * Mean |horizontal gradient| at the columns where a window starts or ends (a seam would sit there), divided by the
     * mean over all other columns; the same for rows, averaged.
     */
    static double borderRatio(float[] eo, int n, int[] starts, int tile) {
        java.util.Set<Integer> cuts = new java.util.TreeSet<>();
        for (int s : starts) {
            if (s > 0) cuts.add(s);
            if (s + tile < n) cuts.add(s + tile);
        }
        double bCol = 0, iCol = 0, bRow = 0, iRow = 0;
        long nb = 0, ni = 0;
        for (int c = 0; c < 3; c++) {
            int off = c * n * n;
            for (int y = 0; y < n; y++) {
                for (int x = 1; x < n; x++) {
                    double gx = Math.abs(eo[off + y * n + x] - eo[off + y * n + x - 1]);
                    double gy = Math.abs(eo[off + x * n + y] - eo[off + (x - 1) * n + y]);
                    if (cuts.contains(x)) {
                        bCol += gx;
                        bRow += gy;
                        nb++;
                    } else {
                        iCol += gx;
                        iRow += gy;
                        ni++;
                    }
                }
            }
        }
        return ((bCol + bRow) / nb) / ((iCol + iRow) / ni);
    }

    @Test
    void windowsCoverTheImageAndLastIsFlush() {
        assertArrayEquals(new int[]{0}, SceneTranslator.positions(300, 512, 64));
        assertArrayEquals(new int[]{0, 448, 896, 1024}, SceneTranslator.positions(1536, 512, 64));
        for (int n : new int[]{520, 1000, 1536, 4096}) {
            int[] p = SceneTranslator.positions(n, 512, 64);
            assertEquals(0, p[0]);
            assertEquals(n - 512, p[p.length - 1]);
            for (int i = 1; i < p.length; i++) assertTrue(p[i] - p[i - 1] <= 448 && p[i] > p[i - 1]);
        }
        List<SceneTranslator.Window> w = SceneTranslator.windows(1536, 1536, 512, 64);
        assertEquals(16, w.size());
    }
}
