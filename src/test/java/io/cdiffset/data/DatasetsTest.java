package io.cdiffset.data;

import static io.cdiffset.data.Fixtures.grey;
import static io.cdiffset.data.Fixtures.png;
import static io.cdiffset.data.Fixtures.replicate;
import static org.junit.jupiter.api.Assertions.*;

import io.cdiffset.engine.Progress;
import io.cdiffset.io.raster.GeoInfo;
import io.cdiffset.train.PairImages;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

    @TempDir
    Path dir;

    static DataException assertDataError(Runnable r, String... fragments) {
        DataException e = assertThrows(DataException.class, r::run);
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), "expected '" + f + "' in: " + m);
        }
        return e;
    }

    @Test
    void csvLayout() throws IOException {
        Fixtures.csvDataset(dir, 6, 16);
        PairDataset ds = Datasets.open(dir, "auto");
        assertEquals("csv", ds.layout());
        assertEquals(6, ds.size());
        PairRef r = ds.ref(2);
        assertEquals("002", r.id());
        assertEquals(dir.resolve("sar/002.png").toAbsolutePath().normalize(), r.sar());
        assertEquals(dir.resolve("eo/002.png").toAbsolutePath().normalize(), r.eo());
        assertEquals("train", r.split());
        assertEquals("scene1", r.group());
        assertEquals(2, ds.indexOf("002"));
        Datasets.validate(ds, 16, true);
        Pair p = ds.load(3);
        assertEquals(1, p.sar().bands());
        assertEquals(3, p.eo().bands());
        Split s = Splits.fromColumn(ds);
        assertArrayEquals(new int[]{0, 4}, s.test());
        assertArrayEquals(new int[]{1, 2, 3, 5}, s.train());
        // the csv file itself can be passed
        assertEquals(6, Datasets.open(dir.resolve("pairs.csv"), "auto").size());
    }

    /** The demo data set's own pairs.csv (56 scenes, fixed split) with its images cropped to 32 × 32 (see its README). */
    @Test
    void realVolkovCsvOpensAndSplits() {
        Path real = Path.of("src/test/resources/data/s1s2-volkov-32");
        PairDataset ds = Datasets.open(real, "auto");
        assertEquals(56, ds.size());
        Split s = Splits.fromColumn(ds);
        assertEquals(44, s.train().length);
        assertEquals(12, s.test().length);
        Datasets.validate(ds, 32, false);
        // the training loader's validation grid: 4 × 4 non-overlapping 8-pixel crops per test scene
        PairImages[] split = PairImages.load(real, "auto", "auto", 0.8, 2024, 8, Progress.NONE);
        assertEquals(16 * 12, split[1].gridIds(8).size());
    }

    /** SpaceNet6's float SAR through the training loader: every crop value in the model's [-1, 1]. */
    @Test
    void spaceNet6FloatSarThroughTheTrainingLoader() {
        spaceNet6(dir, 2, 2);
        PairImages[] split = PairImages.load(dir, "auto", "random", 0.5, 1, 8, Progress.NONE);
        PairImages.Crops c = split[0].sample(new java.util.SplittableRandom(1), 2, 8);
        float min = 1, max = -1;
        for (float v : c.sar()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min >= -1f && max <= 1f && max > min, "SAR range " + min + " .. " + max);
    }

    @Test
    void qxsLayout() throws IOException {
        for (int i = 0; i < 3; i++) {
            Raster g = grey(8, 8, i);
            png(dir.resolve("qxs/sar_256_oc_0.2/" + i + ".png"), g);
            png(dir.resolve("qxs/opt_256_oc_0.2/" + i + ".png"), replicate(g));
        }
        PairDataset ds = Datasets.open(dir, "auto"); // found one level down
        assertEquals("qxs", ds.layout());
        assertEquals(3, ds.size());
        assertEquals("1", ds.ref(1).id());
        assertTrue(ds.ref(1).sar().endsWith(Path.of("sar_256_oc_0.2", "1.png")));
        assertTrue(ds.ref(1).eo().endsWith(Path.of("opt_256_oc_0.2", "1.png")));
        Datasets.validate(ds);
        assertEquals(3, Datasets.open(dir.resolve("qxs"), "qxs").size());
    }

    @Test
    void sar2optLayout() throws IOException {
        for (String split : new String[]{"train", "test"}) {
            for (int i = 0; i < (split.equals("train") ? 3 : 2); i++) {
                Raster g = grey(8, 8, i);
                png(dir.resolve(split + "A/" + split + i + ".png"), g);
                png(dir.resolve(split + "B/" + split + i + ".png"), replicate(g));
            }
        }
        PairDataset ds = Datasets.open(dir, "auto");
        assertEquals("sar2opt", ds.layout());
        assertEquals(5, ds.size());
        Split s = Splits.fromColumn(ds);
        assertEquals(3, s.train().length);
        assertEquals(2, s.test().length);
        assertEquals("test", ds.ref(s.test()[0]).split());
        assertTrue(ds.ref(s.test()[0]).sar().toString().contains("testA"));
        assertTrue(ds.ref(s.test()[0]).eo().toString().contains("testB"));
        Datasets.validate(ds);
    }

    @Test
    void sar2optPrefixesIdsWhenNamesRepeatAcrossSplits() throws IOException {
        for (String split : new String[]{"train", "test"}) {
            Raster g = grey(8, 8, 1);
            png(dir.resolve(split + "A/0001.png"), g);
            png(dir.resolve(split + "B/0001.png"), replicate(g));
        }
        PairDataset ds = Datasets.open(dir, "sar2opt");
        assertEquals("train_0001", ds.ref(0).id());
        assertEquals("test_0001", ds.ref(1).id());
    }

    static final String SN6 = "SN6_Train_AOI_11_Rotterdam_";

    static void spaceNet6(Path root, int strips, int tilesPerStrip) {
        Random rnd = new Random(3);
        for (int s = 0; s < strips; s++) {
            String strip = "2019080411122" + s + "_2019080411145" + s;
            for (int t = 0; t < tilesPerStrip; t++) {
                String key = strip + "_tile_" + (100 * s + t);
                int w = 12;
                float[] sar = new float[4 * w * w];
                for (int i = 0; i < sar.length; i++) {
                    sar[i] = (float) Math.abs(rnd.nextGaussian() * 30);
                }
                GeoInfo geo = GeoInfo.fromGeoTransform(new double[]{594000 + t * 6, 0.5, 0, 5750000, 0, -0.5},
                        32631);
                Rasters.writeGeoTiff(root.resolve("SAR-Intensity/" + SN6 + "SAR-Intensity_" + key + ".tif"),
                        new Raster(w, w, 4, sar, SampleType.F32, geo), geo);
                float[] rgb = new float[3 * w * w];
                for (int i = 0; i < rgb.length; i++) {
                    rgb[i] = rnd.nextInt(256);
                }
                Rasters.writeGeoTiff(root.resolve("PS-RGB/" + SN6 + "PS-RGB_" + key + ".tif"),
                        new Raster(w, w, 3, rgb, SampleType.U8, geo), geo);
            }
        }
    }

    @Test
    void spaceNet6Layout() {
        spaceNet6(dir, 3, 2);
        PairDataset ds = Datasets.open(dir, "auto");
        assertEquals("spacenet6", ds.layout());
        assertEquals(6, ds.size());
        PairRef r = ds.ref(0);
        assertEquals("20190804111220_20190804111450_tile_0", r.id());
        assertEquals("20190804111220_20190804111450", r.group());
        assertTrue(r.sar().getFileName().toString().contains("SAR-Intensity_" + r.id()));
        assertTrue(r.eo().getFileName().toString().contains("PS-RGB_" + r.id()));
        Datasets.validate(ds, 8, true);
        Pair p = ds.load(0);
        assertEquals(4, p.sar().bands());
        assertEquals(SampleType.F32, p.sar().sampleType());
        assertEquals(32631, p.sar().geo().epsgCode());
        float[] m = SarMapping.toModel(p.sar(), r.sar().toString());
        for (float v : m) {
            assertTrue(v >= -1f && v <= 1f);
        }
    }

    // ------------------------------------------------------------------ bad data

    @Test
    void emptyAndUnknownFolders() throws IOException {
        Files.createDirectories(dir.resolve("sar_256_oc_0.2"));
        Files.createDirectories(dir.resolve("opt_256_oc_0.2"));
        assertDataError(() -> Datasets.open(dir, "auto"), "no images", "sar_256_oc_0.2");
        Path other = Files.createDirectories(dir.resolve("x/random"));
        assertDataError(() -> Datasets.open(other, "auto"), "no known data set layout in", "random");
        assertDataError(() -> Datasets.open(dir.resolve("missing"), "auto"), "not found", "missing");
        assertDataError(() -> Datasets.open(dir, "pix2pix"), "unknown data set layout 'pix2pix'");
    }

    @Test
    void missingPartnerNamesTheFile() throws IOException {
        Raster g = grey(8, 8, 1);
        png(dir.resolve("sar_256_oc_0.2/a.png"), g);
        png(dir.resolve("opt_256_oc_0.2/a.png"), replicate(g));
        png(dir.resolve("sar_256_oc_0.2/lonely.png"), g);
        assertDataError(() -> Datasets.open(dir, "qxs"), "missing EO partner", "lonely.png", "opt_256_oc_0.2");
        Files.delete(dir.resolve("sar_256_oc_0.2/lonely.png"));
        png(dir.resolve("opt_256_oc_0.2/orphan.png"), replicate(g));
        assertDataError(() -> Datasets.open(dir, "qxs"), "missing SAR partner", "orphan.png");
    }

    @Test
    void validationProblemsNameTheFile() throws IOException {
        Raster g = grey(8, 8, 1);
        png(dir.resolve("sar_256_oc_0.2/ok.png"), g);
        png(dir.resolve("opt_256_oc_0.2/ok.png"), replicate(g));
        // size mismatch
        png(dir.resolve("sar_256_oc_0.2/mismatch.png"), g);
        png(dir.resolve("opt_256_oc_0.2/mismatch.png"), replicate(grey(10, 8, 1)));
        PairDataset ds1 = Datasets.open(dir, "qxs");
        DataException e = assertDataError(() -> Datasets.validate(ds1), "size mismatch", "mismatch.png", "8x8",
                "10x8");
        assertEquals(1, e.problems().size());
        Files.delete(dir.resolve("opt_256_oc_0.2/mismatch.png"));
        Files.delete(dir.resolve("sar_256_oc_0.2/mismatch.png"));
        // 3-band SAR
        png(dir.resolve("sar_256_oc_0.2/rgbsar.png"), replicate(g));
        png(dir.resolve("opt_256_oc_0.2/rgbsar.png"), replicate(g));
        // unreadable
        Files.writeString(dir.resolve("sar_256_oc_0.2/broken.png"), "not a png");
        png(dir.resolve("opt_256_oc_0.2/broken.png"), replicate(g));
        PairDataset ds2 = Datasets.open(dir, "qxs");
        e = assertDataError(() -> Datasets.validate(ds2), "broken.png", "(and 1 more problem in");
        assertEquals(2, e.problems().size());
        assertTrue(e.problems().get(1).startsWith("expected 1 or 4 SAR bands, got 3 in "), e.problems().get(1));
        assertTrue(e.problems().get(1).contains("rgbsar.png"));
        // crop larger than the images
        Files.delete(dir.resolve("sar_256_oc_0.2/broken.png"));
        Files.delete(dir.resolve("opt_256_oc_0.2/broken.png"));
        Files.delete(dir.resolve("sar_256_oc_0.2/rgbsar.png"));
        Files.delete(dir.resolve("opt_256_oc_0.2/rgbsar.png"));
        PairDataset ds3 = Datasets.open(dir, "qxs");
        Datasets.validate(ds3, 8, true);
        assertDataError(() -> Datasets.validate(ds3, 16, false), "ok.png", "smaller than the crop size 16");
    }

    @Test
    void nanPixelsFoundByFullValidation() throws IOException {
        float[] d = new float[64];
        d[9] = Float.NaN;
        Rasters.writeGeoTiff(dir.resolve("sar_256_oc_0.2/nan.tif"), new Raster(8, 8, 1, d, SampleType.F32), null);
        png(dir.resolve("opt_256_oc_0.2/nan.png"), replicate(grey(8, 8, 1)));
        PairDataset ds = Datasets.open(dir, "auto");
        Datasets.validate(ds); // headers are fine
        assertDataError(() -> Datasets.validate(ds, 0, true), "NaN/Inf pixels in", "nan.tif", "x=1 y=1");
    }

    @Test
    void csvProblems() throws IOException {
        Fixtures.csvDataset(dir, 2, 8);
        Files.writeString(dir.resolve("pairs.csv"), "id,sar,split\n000,sar/000.png,train\n");
        assertDataError(() -> Datasets.open(dir, "csv"), "missing column 'eo'", "pairs.csv");
        Files.writeString(dir.resolve("pairs.csv"), "id,sar,eo\n000,sar/000.png,eo/nope.png\n");
        assertDataError(() -> Datasets.open(dir, "auto"), "missing EO image", "nope.png", "pairs.csv line 2");
        Files.writeString(dir.resolve("pairs.csv"), "id,sar,eo\n000,sar/000.png,eo/000.png\n000,sar/001.png,eo/001.png\n");
        assertDataError(() -> Datasets.open(dir, "auto"), "duplicate pair id '000'");
        Files.writeString(dir.resolve("pairs.csv"), "id,sar,eo\n\"0,0\",\"sar/000.png\",eo/000.png\n");
        assertEquals("0,0", Datasets.open(dir, "auto").ref(0).id());
        Files.writeString(dir.resolve("pairs.csv"), "id,sar,eo\n");
        assertDataError(() -> Datasets.open(dir, "auto"), "no pairs listed in", "pairs.csv");
    }
}
