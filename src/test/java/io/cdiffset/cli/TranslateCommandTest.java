package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.io.raster.GeoInfo;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** End-to-end translate runs through the CLI with a tiny fixture model. */
class TranslateCommandTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void setUp() {
        model = TestModels.tinyModel(tmp.resolve("model"));
    }

    record Run(int code, String err) {}

    static Run run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true));
        try {
            int code = Main.run(args);
            return new Run(code, buf.toString());
        } finally {
            System.setErr(old);
        }
    }

    static Raster sarRamp(int w, int h, GeoInfo geo) {
        float[] d = new float[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) d[y * w + x] = (float) ((x * 7 + y * 3 + (x * y) % 17) % 256);
        return new Raster(w, h, 1, d, SampleType.U8, geo);
    }

    static List<String> files(Path dir) throws Exception {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void geoTiffInGeoTiffOutKeepsGeoreferencing() throws Exception {
        double[] gt = {500000.0, 10.0, 0.0, 4649776.0, 0.0, -10.0};
        GeoInfo geo = GeoInfo.fromGeoTransform(gt, 32633);
        Path in = tmp.resolve("scene.tif");
        Rasters.writeGeoTiff(in, sarRamp(136, 160, geo), geo);
        Path out = tmp.resolve("out-geo");
        Run r = run("translate", in.toString(), "-o", out.toString(), "--model", model.toString(), "--steps", "2", "--confidence");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("scene.tif", "scene_confidence.png", "scene_confidence.tif"), files(out));
        Raster eo = Rasters.read(out.resolve("scene.tif"));
        assertEquals(136, eo.width());
        assertEquals(160, eo.height());
        assertEquals(3, eo.bands());
        assertNotNull(eo.geo());
        assertArrayEquals(gt, eo.geo().geoTransform(), 1e-9);
        assertEquals(32633, eo.geo().epsgCode());
        Raster conf = Rasters.read(out.resolve("scene_confidence.tif"));
        assertEquals(1, conf.bands());
        assertEquals(SampleType.F32, conf.sampleType());
        assertArrayEquals(gt, conf.geo().geoTransform(), 1e-9);
        double lo = Arrays.stream(toDouble(conf.data())).min().orElseThrow(), hi = Arrays.stream(toDouble(conf.data())).max().orElseThrow();
        assertEquals(0.0, lo, 1e-6);
        assertEquals(1.0, hi, 1e-6);
    }

    @Test
    void sameSeedSameOutputOtherSeedOtherOutput() throws Exception {
        Path in = tmp.resolve("det.png");
        Rasters.writePng(in, sarRamp(128, 128, null));
        Path a = tmp.resolve("det-a"), b = tmp.resolve("det-b"), c = tmp.resolve("det-c");
        assertEquals(0, run("translate", in.toString(), "-o", a.toString(), "--model", model.toString(), "--steps", "2", "--seed", "7").code());
        assertEquals(0, run("translate", in.toString(), "-o", b.toString(), "--model", model.toString(), "--steps", "2", "--seed", "7").code());
        assertEquals(0, run("translate", in.toString(), "-o", c.toString(), "--model", model.toString(), "--steps", "2", "--seed", "8").code());
        assertArrayEquals(Files.readAllBytes(a.resolve("det.png")), Files.readAllBytes(b.resolve("det.png")));
        assertFalse(Arrays.equals(Files.readAllBytes(a.resolve("det.png")), Files.readAllBytes(c.resolve("det.png"))));
    }

    @Test
    void missingFile() throws Exception {
        Path out = tmp.resolve("out-missing");
        Run r = run("translate", tmp.resolve("nope.tif").toString(), "-o", out.toString(), "--model", model.toString());
        assertBadInput(r, "nope.tif", out);
    }

    @Test
    void threeBandSar() throws Exception {
        Path in = tmp.resolve("rgb_sar.png");
        float[] d = new float[3 * 64 * 64];
        for (int i = 0; i < d.length; i++) d[i] = i % 200;
        Rasters.writePng(in, new Raster(64, 64, 3, d, SampleType.U8, null));
        Path out = tmp.resolve("out-3band");
        Run r = run("translate", in.toString(), "-o", out.toString(), "--model", model.toString(), "--steps", "2");
        assertBadInput(r, "rgb_sar.png", out);
        assertTrue(r.err().contains("got 3"), r.err());
    }

    @Test
    void corruptTiff() throws Exception {
        Path good = tmp.resolve("good.tif");
        Rasters.writeGeoTiff(good, sarRamp(64, 64, null), null);
        byte[] b = Files.readAllBytes(good);
        Path bad = tmp.resolve("corrupt.tif");
        Files.write(bad, Arrays.copyOf(b, b.length / 3));
        Path out = tmp.resolve("out-corrupt");
        assertBadInput(run("translate", bad.toString(), "-o", out.toString(), "--model", model.toString(), "--steps", "2"), "corrupt.tif", out);
    }

    @Test
    void zeroSizeImage() throws Exception {
        Path empty = tmp.resolve("empty.png");
        Files.write(empty, new byte[0]);
        Path out = tmp.resolve("out-empty");
        assertBadInput(run("translate", empty.toString(), "-o", out.toString(), "--model", model.toString(), "--steps", "2"), "empty.png", out);
    }

    @Test
    void nanPixels() throws Exception {
        float[] d = new float[64 * 64];
        Arrays.fill(d, 0.5f);
        d[100] = Float.NaN;
        d[200] = Float.POSITIVE_INFINITY;
        Path in = tmp.resolve("nan.tif");
        Rasters.writeGeoTiff(in, new Raster(64, 64, 1, d, SampleType.F32, null), null);
        Path out = tmp.resolve("out-nan");
        Run r = run("translate", in.toString(), "-o", out.toString(), "--model", model.toString(), "--steps", "2");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("nan.tif"), r.err());
        assertEquals(List.of(), files(out).stream().filter(f -> !f.startsWith(".")).toList(), "no output for a bad image");
    }

    @Test
    void outputFolderNotWritable() throws Exception {
        Path in = tmp.resolve("ok.png");
        Rasters.writePng(in, sarRamp(64, 64, null));
        Path blocker = tmp.resolve("a-file");
        Files.writeString(blocker, "x");
        Run r = run("translate", in.toString(), "-o", blocker.resolve("sub").toString(), "--model", model.toString(), "--steps", "2");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("not writable"), r.err());
    }

    static void assertBadInput(Run r, String name, Path out) throws Exception {
        assertEquals(2, r.code(), r.err());
        String[] lines = r.err().strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("cdiffset: error: ") && last.contains(name), r.err());
        assertEquals(List.of(), files(out), "no output may be written");
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
