package io.cdiffset.spark;

import io.cdiffset.TestModels;
import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Progress;
import io.cdiffset.io.raster.GeoInfo;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import io.cdiffset.pipeline.TranslateOptions;
import io.cdiffset.pipeline.Translation;
import org.apache.spark.api.java.JavaSparkContext;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spark-translate} on {@code local[2]}: each scene's files equal, byte for byte, what single-process
 * {@code translate} writes with the same options and seed at the same libtorch threads (scenes smaller than a window,
 * not a multiple of the stride, float data with a scene-level stretch; 2 windows per task); a corrupt scene fails
 * alone and is named in the report; a second run skips every scene and changes no output, a damaged output is redone;
 * {@code gdalinfo} reads the COGs with the inputs' CRS and geotransform.
 */
class SparkTranslateTest {
    @TempDir
    static Path tmp;
    static Path modelDir;
    static Path scenes;

    /** The job's options: small windows, 2 steps, 2 windows per group, confidence, COG. */
    static TranslateOptions options(int batch) {
        return TranslateOptions.defaults().withSampling(null, 2, null).withSeed(7).withWindows(64, 16, batch).withConfidence(true).withFormat("cog");
    }

    @BeforeAll
    static void setUp() throws Exception {
        modelDir = TestModels.tinyModel(tmp.resolve("model"));
        scenes = Files.createDirectories(tmp.resolve("scenes"));
        writeScenes(scenes);
    }

    /** Three small georeferenced scenes of different kinds and sizes, and one file that is not an image. */
    static void writeScenes(Path dir) throws Exception {
        GeoInfo geo = GeoInfo.fromGeoTransform(new double[]{500000, 10, 0, 4649776, 0, -10}, 32633);
        Rasters.writeGeoTiff(dir.resolve("a_large.tif"), ramp(100, 60, geo), geo); // two windows; not a multiple of the stride
        Rasters.writeGeoTiff(dir.resolve("b_small.tif"), ramp(40, 50, geo), geo); // smaller than one window
        Random rnd = new Random(3);
        float[] d = new float[90 * 60];
        for (int i = 0; i < d.length; i++) d[i] = (float) Math.exp(rnd.nextGaussian() * 2); // float: scene-level percentile stretch
        GeoInfo geo2 = GeoInfo.fromGeoTransform(new double[]{12.5, 0.001, 0, 45.1, 0, -0.001}, 4326);
        Rasters.writeGeoTiff(dir.resolve("c_float.tif"), new Raster(90, 60, 1, d, SampleType.F32, geo2), geo2);
        byte[] junk = new byte[4096];
        rnd.nextBytes(junk);
        junk[0] = 'I';
        junk[1] = 'I';
        junk[2] = 42;
        junk[3] = 0;
        Files.write(dir.resolve("d_corrupt.tif"), junk);
    }

    static Raster ramp(int w, int h, GeoInfo geo) {
        float[] d = new float[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) d[y * w + x] = (float) ((x * 7 + y * 3 + (x * y) % 17) % 256);
        return new Raster(w, h, 1, d, SampleType.U8, geo);
    }

    static final List<String> GOOD = List.of("a_large", "b_small", "c_float");

    /** Single-process translate of the good scenes into {@code out}, at the current libtorch threads. */
    static void reference(Path out, int batch) throws Exception {
        Translation t = Translation.load(modelDir, null, options(batch), m -> {});
        for (String s : GOOD) t.translateFile(scenes.resolve(s + ".tif"), out, Progress.NONE);
    }

    static JobSpec spec(Path out, int threads, int batch) {
        return new JobSpec(modelDir.toAbsolutePath().toString(), null, options(batch), out.toAbsolutePath().toString(), threads);
    }

    @Test
    void localJobEqualsSingleProcessSkipsOnRerunAndReportsTheCorruptScene() throws Exception {
        Engine.init();
        int threads = torch.get_num_threads();
        Path ref = tmp.resolve("ref");
        reference(ref, 2);
        Path out = tmp.resolve("out-local");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        SparkTranslate.Report first, second;
        Map<String, FileTime> before;
        try (JavaSparkContext sc = SparkJobs.context("test", "local[2]", Map.of("spark.ui.enabled", "false"))) {
            List<String> list = SceneFiles.list(scenes.toString(), sc.hadoopConfiguration());
            assertEquals(4, list.size());
            first = SparkTranslate.run(sc, spec(out, threads, 2), list, new PrintStream(log, true));
            System.out.print(log);
            before = times(out);
            second = SparkTranslate.run(sc, spec(out, threads, 2), list, new PrintStream(log, true));
        }
        assertEquals(3, first.count(SparkTranslate.Status.DONE), first.summary());
        assertEquals(1, first.count(SparkTranslate.Status.FAILED), first.summary());
        SparkTranslate.SceneReport bad = first.scenes().get(3);
        assertTrue(bad.scene().endsWith("d_corrupt.tif") && bad.status() == SparkTranslate.Status.FAILED && bad.reason() != null, bad.toString());
        assertSameOutputs(ref, out);
        String csv = Files.readString(out.resolve(SparkTranslate.REPORT));
        assertTrue(csv.lines().anyMatch(l -> l.contains("d_corrupt.tif,failed,")), csv);
        assertTrue(log.toString().contains("windows "), log.toString());

        // second run: every good scene skipped, no output touched, the corrupt one fails again
        assertEquals(3, second.count(SparkTranslate.Status.SKIPPED), second.summary());
        assertEquals(1, second.count(SparkTranslate.Status.FAILED), second.summary());
        Map<String, FileTime> after = times(out);
        assertEquals(before, after, "the second run changed outputs");

        // a scene whose output was damaged is redone
        Path eo = out.resolve("b_small.tif");
        Files.write(eo, new byte[]{1, 2, 3});
        try (JavaSparkContext sc = SparkJobs.context("test", "local[2]", Map.of("spark.ui.enabled", "false"))) {
            SparkTranslate.Report third = SparkTranslate.run(sc, spec(out, threads, 2), SceneFiles.list(scenes.toString(), sc.hadoopConfiguration()),
                    new PrintStream(new ByteArrayOutputStream(), true));
            assertEquals(1, third.count(SparkTranslate.Status.DONE), third.summary());
            assertEquals(2, third.count(SparkTranslate.Status.SKIPPED), third.summary());
        }
        assertSameOutputs(ref, out);
        List<String> utm = List.of("\"EPSG\",32633]", "Origin = (500000.000000000000000,4649776.000000000000000)",
                "Pixel Size = (10.000000000000000,-10.000000000000000)", "Size is 100, 60");
        Gdal.checkCog(out.resolve("a_large.tif"), utm, false); // overviews of larger images: CogWriterTest
        Gdal.checkCog(out.resolve("a_large_confidence.tif"), utm, false);
        Gdal.checkCog(out.resolve("c_float.tif"), List.of("\"EPSG\",4326]", "Origin = (12.500000000000000,45.100000000000001)", "Size is 90, 60"), false);
    }

    /** Every output of the good scenes is in {@code out} with the reference's exact bytes. */
    static void assertSameOutputs(Path ref, Path out) throws Exception {
        for (String s : GOOD) {
            for (String suffix : List.of(".tif", "_confidence.png", "_confidence.tif")) {
                byte[] want = Files.readAllBytes(ref.resolve(s + suffix));
                byte[] got = Files.readAllBytes(out.resolve(s + suffix));
                assertArrayEquals(want, got, s + suffix + " differs from single-process translate");
            }
        }
    }

    /** Modification times of every file below {@code dir} except the report. */
    static Map<String, FileTime> times(Path dir) throws Exception {
        Map<String, FileTime> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                if (!p.getFileName().toString().equals(SparkTranslate.REPORT)) m.put(dir.relativize(p).toString(), Files.getLastModifiedTime(p));
            }
        }
        return m;
    }

    /** Runs gdalinfo (Debian's gdal-bin) and checks what a cloud pipeline needs from a COG. */
    static final class Gdal {
        static void checkCog(Path file, List<String> expected, boolean overviews) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("gdalinfo", file.toString()));
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            } catch (java.io.IOException e) {
                throw new AssertionError("gdalinfo is not installed; install Debian's gdal-bin (apt-get install gdal-bin), as .ci/run does", e);
            }
            String info = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), info);
            assertTrue(!info.contains("ERROR") && !info.contains("Warning"), info);
            assertTrue(info.contains("LAYOUT=COG"), info);
            assertTrue(info.contains("COMPRESSION=DEFLATE"), info);
            assertTrue(info.contains("Block=256x256"), info);
            for (String e : expected) assertTrue(info.contains(e), "gdalinfo lacks " + e + ":\n" + info);
            assertEquals(overviews, info.contains("Overviews:"), info);
            System.out.println(file.getFileName() + ": gdalinfo ok (" + info.lines().filter(l -> l.contains("Overviews") || l.contains("Origin")).toList() + ")");
        }
    }
}
