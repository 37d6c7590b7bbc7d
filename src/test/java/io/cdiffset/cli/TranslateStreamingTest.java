package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.data.SarMapping;
import io.cdiffset.data.SarRows;
import io.cdiffset.engine.Precision;
import io.cdiffset.io.raster.ColorMaps;
import io.cdiffset.io.raster.GeoInfo;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.translate.SceneTranslator;
import io.cdiffset.translate.WholeSceneReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static io.cdiffset.cli.TranslateCommandTest.files;
import static io.cdiffset.cli.TranslateCommandTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code translate} on TIFF inputs goes through the streaming path (row-band reads, streamed percentiles, outputs
 * written as rows arrive); its files must hold exactly what the whole-image path (read whole, SarMapping.toModel,
 * the whole-array translator, normalise, colour map) gives.
 */
class TranslateStreamingTest {
    @TempDir
    static Path tmp;
    static Path modelDir;
    static ModelBundle model;

    @BeforeAll
    static void setUp() {
        modelDir = TestModels.tinyModel(tmp.resolve("model"));
        model = ModelBundle.load(modelDir, null);
    }

    static final int W = 203, H = 170;

    @Test
    void u8GeoTiffStreamedEqualsWholeImagePath() throws Exception {
        double[] gt = {500000.0, 10.0, 0.0, 4649776.0, 0.0, -10.0};
        GeoInfo geo = GeoInfo.fromGeoTransform(gt, 32633);
        Path in = tmp.resolve("u8.tif");
        Rasters.writeGeoTiff(in, TranslateCommandTest.sarRamp(W, H, geo), geo);
        compare(in, "u8", ".tif", 2);
    }

    @Test
    void floatFourBandTiffStreamedEqualsWholeImagePath() throws Exception {
        Random rnd = new Random(5);
        float[] d = new float[4 * W * H];
        for (int i = 0; i < d.length; i++) d[i] = (float) Math.exp(rnd.nextGaussian() * 2) * (i % 7 == 0 ? 0 : 1);
        Path in = tmp.resolve("quad.tif");
        Rasters.writeGeoTiff(in, new Raster(W, H, 4, d, SampleType.F32, null), null);
        compare(in, "quad", ".png", 1);
    }

    @Test
    void u16TiffStreamedEqualsWholeImagePath() throws Exception {
        // a real 16-bit TIFF (javax.imageio's writer; the project's writer emits U8 or F32 only)
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(W, H, java.awt.image.BufferedImage.TYPE_USHORT_GRAY);
        for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) img.getRaster().setSample(x, y, 0, (x * 311 + y * 97 + (x * y) % 1000) % 65536);
        Path in = tmp.resolve("u16.tif");
        assertTrue(javax.imageio.ImageIO.write(img, "tif", in.toFile()));
        assertEquals(SampleType.U16, Rasters.readHeader(in).sampleType());
        compare(in, "u16", ".png", 3);
    }

    /** CLI (streamed) outputs vs. the whole-image path computed here, value for value. */
    void compare(Path in, String stem, String eoExt, int batch) throws Exception {
        Path out = tmp.resolve("out-" + stem);
        TranslateCommandTest.Run r = run("translate", in.toString(), "-o", out.toString(), "--model", modelDir.toString(), "--steps", "2",
                "--tile", "64", "--overlap", "16", "--batch", String.valueOf(batch), "--seed", "4", "--confidence");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of(stem + eoExt, stem + "_confidence.png", stem + "_confidence.tif"), files(out));

        Raster sar = Rasters.read(in);
        float[] x = SarMapping.toModel(sar, in.getFileName().toString());
        SceneTranslator.Output o = WholeSceneReference.translate(model,
                new SceneTranslator.Options(2, 4, 64, 16, batch, Precision.FP32), x, H, W);
        float[] eo = new float[o.eo().length];
        for (int i = 0; i < eo.length; i++) eo[i] = Math.round(Math.max(0f, Math.min(1f, o.eo()[i])) * 255f);
        float[] norm = SceneTranslator.normalise(o.confidence());
        Raster colour = ColorMaps.colorize(norm, W, H);

        Raster gotEo = Rasters.read(out.resolve(stem + eoExt));
        Raster gotConf = Rasters.read(out.resolve(stem + "_confidence.tif"));
        Raster gotColour = Rasters.read(out.resolve(stem + "_confidence.png"));
        System.out.printf("%s (%s, batch %d): max |Δ| EO %s, confidence tif %s, confidence png %s%n", in.getFileName(), sar.sampleType(), batch,
                maxAbsDiff(eo, gotEo.data()), maxAbsDiff(norm, gotConf.data()), maxAbsDiff(colour.data(), gotColour.data()));
        assertArrayEquals(eo, gotEo.data(), "EO");
        assertArrayEquals(norm, gotConf.data(), "confidence tif");
        assertArrayEquals(colour.data(), gotColour.data(), "confidence png");
        assertEquals(sar.geo(), gotEo.geo());
        assertEquals(sar.geo(), gotConf.geo());
    }

    @Test
    void streamedPercentilesEqualSarMapping() throws Exception {
        // > 2^20 values per band, so the histogram refinement runs; heavy ties at 0, a long tail, negative values
        int w = 1300, h = 900;
        Random rnd = new Random(9);
        float[] d = new float[4 * w * h];
        for (int i = 0; i < d.length; i++) {
            double g = rnd.nextGaussian();
            d[i] = i % 3 == 0 ? 0f : (float) (i % 11 == 0 ? -Math.exp(g) : Math.exp(g * 3));
        }
        for (int i = 3 * w * h; i < 4 * w * h; i++) if (i % 200 != 0) d[i] = 0f; // band 4: both percentiles inside a tie
        d[12345] = 1e30f;
        d[w * h + 5] = -1e30f;
        for (SampleType t : new SampleType[]{SampleType.F32, SampleType.U8}) {
            float[] dd = d.clone();
            if (t == SampleType.U8) for (int i = 0; i < dd.length; i++) dd[i] = Math.abs(Math.round(dd[i])) % 256;
            Raster r = new Raster(w, h, 4, dd, t, null);
            float[] ref = SarMapping.toModel(r, "x.tif");
            SarRows rows = new SarRows((y0, n) -> r.window(0, y0, w, n), w, h, 4, t, "x.tif");
            double max = 0;
            for (int y0 = 0; y0 < h; y0 += 97) {
                int y1 = Math.min(h, y0 + 97), n = y1 - y0;
                float[] got = rows.rows(y0, y1);
                for (int c = 0; c < 3; c++)
                    for (int i = 0; i < n * w; i++) {
                        float a = ref[c * w * h + y0 * w + i], b = got[c * n * w + i];
                        max = Math.max(max, Math.abs(a - b));
                        assertEquals(Float.floatToIntBits(a), Float.floatToIntBits(b), "channel " + c + " row " + (y0 + i / w));
                    }
            }
            System.out.printf("streamed SAR mapping vs SarMapping.toModel, 4-band %s %dx%d: max |Δ| %s%n", t, w, h, max);
        }
        // a file read through Rasters.readWindow (16-bit, 1 band)
        float[] u16 = new float[w * h];
        for (int i = 0; i < u16.length; i++) u16[i] = (i * 7919L % 65536);
        Path f = tmp.resolve("u16big.tif");
        Rasters.writeGeoTiff(f, new Raster(w, h, 1, u16, SampleType.U16, null), null);
        float[] ref = SarMapping.toModel(Rasters.read(f), "u16big.tif");
        assertArrayEquals(ref, SarRows.open(f, Rasters.readHeader(f)).rows(0, h));
    }

    @Test
    void nanInSecondBandNamedLikeSarMapping() throws Exception {
        int w = 40, h = 30;
        float[] d = new float[4 * w * h];
        java.util.Arrays.fill(d, 1f);
        d[w * h + 3 * w + 7] = Float.NaN;
        d[3 * w * h + 1] = Float.POSITIVE_INFINITY;
        Raster r = new Raster(w, h, 4, d, SampleType.F32, null);
        String ref = assertThrows(RuntimeException.class, () -> SarMapping.toModel(r, "n.tif")).getMessage();
        String got = assertThrows(RuntimeException.class, () -> new SarRows((y0, n) -> r.window(0, y0, w, n), w, h, 4, SampleType.F32, "n.tif")).getMessage();
        System.out.println("NaN error: " + got);
        assertEquals(ref, got);
    }

    @Test
    void failingStripMidSceneLeavesNoOutput() throws Exception {
        // a 2048-wide U8 TIFF has 128-row strips: the first row of windows reads strip 0 and writes output rows,
        // the second needs strip 1, which is corrupted
        int w = 2048, h = 170;
        Path in = tmp.resolve("broken.tif");
        GeoInfo geo = GeoInfo.fromGeoTransform(new double[]{0, 1, 0, 0, 0, -1}, 4326);
        Rasters.writeGeoTiff(in, TranslateCommandTest.sarRamp(w, h, geo), geo);
        long[] strips = stripOffsets(Files.readAllBytes(in));
        assertEquals(2, strips.length);
        byte[] b = Files.readAllBytes(in);
        for (int i = 0; i < 64; i++) b[(int) strips[1] + 2 + i] = (byte) (i * 37 + 1);
        Files.write(in, b);
        Path out = tmp.resolve("out-broken");
        TranslateCommandTest.Run r = run("translate", in.toString(), "-o", out.toString(), "--model", modelDir.toString(), "--steps", "1",
                "--tile", "128", "--overlap", "16", "--confidence");
        String[] lines = r.err().strip().split("\n");
        System.out.println("corrupt second strip: exit " + r.code() + ", " + lines[lines.length - 1] + "; files left: " + files(out));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("window 1/"), "the failure must come after translation started: " + r.err());
        assertEquals(List.of(), files(out), "no output and no temporary file may remain");
    }

    /** StripOffsets of a little-endian classic TIFF (first IFD). */
    static long[] stripOffsets(byte[] tiff) {
        ByteBuffer bb = ByteBuffer.wrap(tiff).order(ByteOrder.LITTLE_ENDIAN);
        int ifd = bb.getInt(4);
        int n = bb.getShort(ifd) & 0xFFFF;
        for (int i = 0; i < n; i++) {
            int e = ifd + 2 + 12 * i;
            if ((bb.getShort(e) & 0xFFFF) == 273) {
                int count = bb.getInt(e + 4);
                long[] out = new long[count];
                int at = count == 1 ? e + 8 : bb.getInt(e + 8);
                for (int k = 0; k < count; k++) out[k] = count == 1 ? bb.getInt(e + 8) : bb.getInt(at + 4 * k) & 0xFFFFFFFFL;
                return out;
            }
        }
        throw new IllegalStateException("no StripOffsets");
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }
}
