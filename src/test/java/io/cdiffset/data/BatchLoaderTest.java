package io.cdiffset.data;

import static org.junit.jupiter.api.Assertions.*;

import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchLoaderTest {

    @TempDir
    Path dir;

    private static List<Batch> run(BatchLoader l, int epoch) {
        List<Batch> out = new ArrayList<>();
        try (BatchLoader.Epoch e = l.epoch(epoch)) {
            while (e.hasNext()) {
                out.add(e.next());
            }
        }
        return out;
    }

    private static void assertSame(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).ids(), b.get(i).ids());
            assertArrayEquals(a.get(i).sar(), b.get(i).sar());
            assertArrayEquals(a.get(i).eo(), b.get(i).eo());
        }
    }

    private static boolean differ(List<Batch> a, List<Batch> b) {
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i).sar(), b.get(i).sar())) {
                return true;
            }
        }
        return false;
    }

    @Test
    void sarAndEoGetTheSameAugmentation() throws IOException {
        Fixtures.csvDataset(dir, 8, 24);
        PairDataset ds = Datasets.open(dir, "auto");
        int[] all = {0, 1, 2, 3, 4, 5, 6, 7};
        BatchLoader.Options o = new BatchLoader.Options().batchSize(3).size(16).seed(11).workers(3).prefetch(2);
        try (BatchLoader l = BatchLoader.random(ds, all, o)) {
            assertEquals(2, l.batchesPerEpoch()); // dropLast
            Set<Integer> crops = new HashSet<>();
            for (int epoch = 0; epoch < 5; epoch++) {
                for (Batch b : run(l, epoch)) {
                    assertEquals(3, b.b());
                    assertEquals(3 * 3 * 16 * 16, b.sar().length);
                    // EO is the SAR replicated, so any misaligned crop/flip/rotation would differ
                    assertArrayEquals(b.sar(), b.eo());
                    for (int j = 0; j < b.b(); j++) {
                        crops.add(Arrays.hashCode(Arrays.copyOfRange(b.sar(), j * 768, j * 768 + 256)));
                    }
                    for (float v : b.sar()) {
                        assertTrue(v >= -1f && v <= 1f);
                    }
                }
            }
            assertTrue(crops.size() > 20, "crops should vary across epochs: " + crops.size());
            assertEquals(16L, l.decodes(), "every image decoded once thanks to the cache");
        }
    }

    @Test
    void deterministicForASeedRegardlessOfThreads() throws IOException {
        Fixtures.csvDataset(dir, 10, 20);
        PairDataset ds = Datasets.open(dir, "auto");
        int[] idx = Splits.fromColumn(ds).train();
        BatchLoader.Options a = new BatchLoader.Options().batchSize(2).size(8).seed(5).workers(4).prefetch(4);
        BatchLoader.Options b = new BatchLoader.Options().batchSize(2).size(8).seed(5).workers(1).prefetch(1)
                .cacheBytes(0);
        try (BatchLoader la = BatchLoader.random(ds, idx, a); BatchLoader lb = BatchLoader.random(ds, idx, b)) {
            List<Batch> a0 = run(la, 0);
            List<Batch> b0 = run(lb, 0);
            assertSame(a0, b0);
            List<Batch> a1 = run(la, 1);
            assertSame(a1, run(lb, 1));
            assertTrue(differ(a0, a1), "a new epoch reshuffles/re-crops");
            assertTrue(lb.decodes() > la.decodes(), "no cache → more decodes");
        }
        try (BatchLoader lc = BatchLoader.random(ds, idx, new BatchLoader.Options().batchSize(2).size(8).seed(6))) {
            try (BatchLoader la = BatchLoader.random(ds, idx, a)) {
                assertTrue(differ(run(la, 0), run(lc, 0)), "another seed gives other batches");
            }
        }
    }

    @Test
    void centerAndFixedCropModes() throws IOException {
        Fixtures.csvDataset(dir, 3, 16);
        PairDataset ds = Datasets.open(dir, "auto");
        int[] idx = {0, 1, 2};
        BatchLoader.Options o = new BatchLoader.Options().batchSize(5).size(8).workers(2);
        try (BatchLoader l = BatchLoader.fixedCrops(ds, idx, o)) {
            assertEquals(12, l.samples());
            List<Batch> bs = run(l, 0);
            assertEquals(3, bs.size()); // 5 + 5 + 2, not dropped
            assertEquals(2, bs.get(2).b());
            assertEquals("000_x0_y0", bs.get(0).ids()[0]);
            assertEquals("000_x8_y0", bs.get(0).ids()[1]);
            assertEquals("002_x8_y8", bs.get(2).ids()[1]);
            // crop 000_x8_y0 equals the source pixels mapped to [-1,1]
            Raster sar = Rasters.read(ds.ref(0).sar());
            float[] sample = Arrays.copyOfRange(bs.get(0).sar(), 3 * 64, 3 * 64 + 64);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    assertEquals(sar.get(0, y, 8 + x) / 127.5f - 1f, sample[y * 8 + x], 0);
                }
            }
            assertSame(bs, run(l, 3)); // evaluation order independent of the epoch
        }
        try (BatchLoader l = BatchLoader.center(ds, idx, o)) {
            Batch b = run(l, 0).get(0);
            assertArrayEquals(new String[]{"000", "001", "002"}, b.ids());
            Raster sar = Rasters.read(ds.ref(1).sar());
            assertEquals(sar.get(0, 4, 4) / 127.5f - 1f, b.sar()[3 * 64], 0);
        }
    }

    @Test
    void workerErrorsSurfaceWithTheFileName() throws IOException {
        Fixtures.csvDataset(dir, 4, 16);
        Files.writeString(dir.resolve("eo/002.png"), "garbage, not a png");
        PairDataset ds = Datasets.open(dir, "auto");
        BatchLoader.Options o = new BatchLoader.Options().batchSize(1).size(8).workers(2).shuffle(false);
        try (BatchLoader l = BatchLoader.random(ds, new int[]{0, 1, 2, 3}, o)) {
            BatchLoader.Epoch e = l.epoch(0);
            e.next();
            e.next();
            DataException ex = assertThrows(DataException.class, e::next);
            assertTrue(ex.getMessage().contains("002.png"), ex.getMessage());
            assertFalse(ex.getMessage().contains("\n"));
        }
        BatchLoader l = BatchLoader.random(ds, new int[]{0}, o);
        l.close();
        assertThrows(IllegalStateException.class, () -> l.epoch(0));
    }

    @Test
    void spaceNet6FloatSarThroughTheLoader() {
        DatasetsTest.spaceNet6(dir, 2, 2);
        PairDataset ds = Datasets.open(dir, "auto");
        try (BatchLoader l = BatchLoader.random(ds, new int[]{0, 1, 2, 3},
                new BatchLoader.Options().batchSize(2).size(8).seed(1))) {
            List<Batch> bs = run(l, 0);
            assertEquals(2, bs.size());
            for (Batch b : bs) {
                float min = 1;
                float max = -1;
                for (float v : b.sar()) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
                assertTrue(min >= -1f && max <= 1f && max > min);
            }
        }
    }
}
