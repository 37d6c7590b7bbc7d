package io.cdiffset.translate;

import io.cdiffset.TestModels;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Progress;
import io.cdiffset.io.raster.GeoInfo;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.diffusion.ModelBundle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The row-band streaming translator against the whole-array implementation it replaced: same numbers bit for bit
 * (padding, batches that span two rows of windows, tiny images), rows handed out once each in order with a bounded
 * band, and no file left behind when a source or sink fails mid-way.
 */
class SceneTranslatorStreamTest {
    @TempDir
    static Path tmp;
    static ModelBundle model;

    @BeforeAll
    static void load() {
        model = ModelBundle.load(TestModels.tinyModel(tmp.resolve("m")), null);
    }

    static float[] sar(int h, int w) {
        float[] d = new float[3 * h * w];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    d[c * h * w + y * w + x] = (float) (0.7 * Math.sin(x / 9.0 + c) * Math.cos(y / 13.0) + 0.2 * Math.sin((x * 3 + y) / 5.0));
        return d;
    }

    static SceneTranslator.Options opt(int tile, int overlap, int batch) {
        return new SceneTranslator.Options(2, 11, tile, overlap, batch, Precision.FP32);
    }

    @Test
    void streamedEqualsWholeArrayReferenceBitForBit() {
        // {h, w, tile, overlap, batch}: padding on both sides, batches of 3 spanning rows of windows, a tiny image
        // (padded to the UNet's minimum by mirroring), a single window
        int[][] cases = {{170, 203, 64, 16, 1}, {170, 203, 64, 16, 3}, {13, 20, 64, 16, 2}, {96, 120, 128, 32, 1}};
        for (int[] k : cases) {
            int h = k[0], w = k[1];
            float[] in = sar(h, w);
            SceneTranslator.Options o = opt(k[2], k[3], k[4]);
            SceneTranslator.Output ref = WholeSceneReference.translate(model, o, in, h, w);
            SceneTranslator.Output got = new SceneTranslator(model, o).translate(in, h, w, Progress.NONE);
            double dEo = maxAbsDiff(ref.eo(), got.eo()), dConf = maxAbsDiff(ref.confidence(), got.confidence());
            System.out.printf("stream vs whole-array %dx%d tile %d overlap %d batch %d: max |Δeo| %s, max |Δconf| %s%n",
                    w, h, k[2], k[3], k[4], dEo, dConf);
            assertArrayEquals(ref.eo(), got.eo(), "EO " + w + "x" + h);
            assertArrayEquals(ref.confidence(), got.confidence(), "confidence " + w + "x" + h);
        }
    }

    @Test
    void paddedRowsMatchReflectPad() {
        for (int[] k : new int[][]{{13, 20, 128, 128}, {1, 1, 64, 64}, {170, 203, 176, 208}, {64, 64, 64, 64}}) {
            int h = k[0], w = k[1], hp = k[2], wp = k[3];
            float[] in = sar(h, w);
            float[] ref = SceneTranslator.reflectPad(in, 3, h, w, hp, wp);
            PaddedRows rows = new PaddedRows(SarSource.inMemory(in, h, w), h, w, hp, wp);
            for (int y0 = 0; y0 + 32 <= hp; y0 += 16) {
                SceneTranslator.Window win = new SceneTranslator.Window(y0, 8, 32, Math.min(wp - 8, 40));
                float[] got = new float[3 * win.h() * win.w()];
                rows.copyWindow(win, got, 0);
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < win.h(); y++)
                        for (int x = 0; x < win.w(); x++)
                            assertEquals(ref[c * hp * wp + (y0 + y) * wp + 8 + x], got[c * win.h() * win.w() + y * win.w() + x]);
            }
        }
    }

    @Test
    void rowsArriveOnceInOrderFromABoundedBand() throws IOException {
        int h = 170, w = 203, tile = 64, overlap = 16;
        List<int[]> calls = new ArrayList<>();
        int[] maxRead = {0};
        SarSource src = SarSource.inMemory(sar(h, w), h, w);
        SarSource counting = (y0, y1) -> {
            maxRead[0] = Math.max(maxRead[0], y1 - y0);
            return src.rows(y0, y1);
        };
        new SceneTranslator(model, opt(tile, overlap, 3)).translate(counting, h, w, (y, n, eo, conf) -> {
            assertEquals(3 * n * w, eo.length);
            assertEquals(n * w, conf.length);
            calls.add(new int[]{y, n});
        }, Progress.NONE);
        int next = 0, maxBand = 0;
        for (int[] c : calls) {
            assertEquals(next, c[0], "rows in order, each once");
            next += c[1];
            maxBand = Math.max(maxBand, c[1]);
        }
        assertEquals(h, next);
        int ring = SceneTranslator.bandRows(SceneTranslator.windows(176, 208, tile, overlap), 3);
        System.out.printf("%dx%d tile %d: %d sink calls, largest %d rows; source reads ≤ %d rows; blend ring %d rows (image %d)%n",
                w, h, tile, calls.size(), maxBand, maxRead[0], ring, h);
        assertTrue(maxRead[0] <= tile, "source reads at most a tile of rows");
        assertTrue(ring <= 2 * tile && ring < 176, "blend band " + ring + " rows");
        assertTrue(maxBand <= tile);
    }

    @Test
    void failureMidWayLeavesNoFiles() throws IOException {
        int h = 170, w = 203;
        float[] in = sar(h, w);
        SceneTranslator tr = new SceneTranslator(model, opt(64, 16, 1));
        GeoInfo geo = GeoInfo.fromGeoTransform(new double[]{500000, 10, 0, 4649776, 0, -10}, 32633);
        // 1: the source fails on its third band of rows (after rows were already written)
        Path out1 = tmp.resolve("fail-source");
        int[] reads = {0};
        SarSource failing = (y0, y1) -> {
            if (++reads[0] == 3) throw new IllegalStateException("injected read failure");
            return SarSource.inMemory(in, h, w).rows(y0, y1);
        };
        int[] written = {0};
        RuntimeException e1 = assertThrows(IllegalStateException.class, () -> {
            try (SceneWriter sw = writer(out1, w, h, geo)) {
                tr.translate(failing, h, w, (y, n, eo, c) -> {
                    sw.rows(y, n, eo, c);
                    written[0] += n;
                }, Progress.NONE);
                sw.commit();
            }
        });
        System.out.printf("injected source failure after %d rows written: %s; files left: %s%n", written[0], e1.getMessage(), list(out1));
        assertTrue(written[0] > 0, "the failure must come mid-way");
        assertEquals(List.of(), list(out1));
        // 2: the sink fails on its second band
        Path out2 = tmp.resolve("fail-sink");
        int[] calls = {0};
        IOException e2 = assertThrows(IOException.class, () -> {
            try (SceneWriter sw = writer(out2, w, h, null)) {
                tr.translate(SarSource.inMemory(in, h, w), h, w, (y, n, eo, c) -> {
                    sw.rows(y, n, eo, c);
                    if (++calls[0] == 2) throw new IOException("injected disk full");
                }, Progress.NONE);
                sw.commit();
            }
        });
        System.out.printf("injected sink failure: %s; files left: %s%n", e2.getMessage(), list(out2));
        assertEquals(List.of(), list(out2));
        // 3: the same writer without failure publishes exactly the three targets and nothing else
        Path out3 = tmp.resolve("ok");
        try (SceneWriter sw = writer(out3, w, h, geo)) {
            tr.translate(SarSource.inMemory(in, h, w), h, w, sw, Progress.NONE);
            sw.commit();
        }
        assertEquals(List.of("s.tif", "s_confidence.png", "s_confidence.tif"), list(out3));
        Raster eo = Rasters.read(out3.resolve("s.tif"));
        assertEquals(32633, eo.geo().epsgCode());
    }

    static SceneWriter writer(Path dir, int w, int h, GeoInfo geo) throws IOException {
        Files.createDirectories(dir);
        return new SceneWriter(w, h, geo, dir.resolve(geo != null ? "s.tif" : "s.png"), dir.resolve("s_confidence.png"), dir.resolve("s_confidence.tif"));
    }

    static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }
}
