package io.cdiffset.translate;

import io.cdiffset.TestModels;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.diffusion.SamplingSettings;
import io.cdiffset.engine.Engine;
import io.cdiffset.engine.GrowthProbe;
import io.cdiffset.engine.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Native memory over the real scene-translation loop ({@link SceneTranslator#translate(SarSource, int, int, RowSink,
 * io.cdiffset.engine.Progress)}, streamed to a sink that keeps nothing): measured after every window of a tall
 * scene, it must not grow with the number of windows done (each window's tensors are freed by its scope).
 */
class SceneLoopMemoryTest {
    @Test
    void nativeMemoryDoesNotGrowPerWindow(@TempDir Path tmp) throws IOException {
        Engine.init();
        ModelBundle model = ModelBundle.load(TestModels.tinyModel(tmp.resolve("m")), null);
        int tile = 32, overlap = 8, w = 32, h = 24 * 25 + tile; // 26 rows of windows (the width is padded to the UNet's smallest input)
        float[] sar = new float[3 * h * w];
        for (int i = 0; i < sar.length; i++) sar[i] = (float) Math.sin(i * 0.37);
        int steps = 2;
        SceneTranslator tr = new SceneTranslator(model, new SceneTranslator.Options(new SamplingSettings("ddim", steps, 1.0), 0, tile, overlap, 1, Precision.FP32));
        GrowthProbe probe = new GrowthProbe();
        long[] rows = {0};
        // the rows above each next row of windows are emitted once that row of windows is done
        tr.translate(SarSource.inMemory(sar, h, w), h, w, (y, n, eo, conf) -> {
            rows[0] += n;
            probe.sample();
        }, io.cdiffset.engine.Progress.NONE);
        assertEquals(h, rows[0], "every row emitted once");
        List<SceneTranslator.Window> wins = SceneTranslator.windows(tr.paddedSize(h, w)[0], tr.paddedSize(h, w)[1], tile, overlap);
        long bands = wins.stream().mapToInt(SceneTranslator.Window::y).distinct().count();
        assertEquals(bands, probe.count(), "one band of rows per row of windows");
        assertEquals(26, bands);
        double growth = probe.growthMb(5);
        // medians of samples 5-14 and 16-25: centres 11 rows of windows apart
        System.out.printf("scene loop (%d windows in %d rows): native memory growth %.2f MB over 11 rows of windows (%.1f KB per window)%n",
                wins.size(), bands, growth, growth * 1000 / (11.0 * wins.size() / bands));
        assertTrue(growth < 8, "native memory grew by " + growth + " MB over " + wins.size() + " windows");
    }
}
