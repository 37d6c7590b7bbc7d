package io.cdiffset.io.raster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.*;

/** The row-band writers: a TIFF written band by band is byte-identical to the whole-raster one; PNGs decode exactly. */
class StreamWritersTest {
    @TempDir
    Path tmp;

    static float[] rows(float[] d, int bands, int w, int h, int y0, int n) {
        float[] out = new float[bands * n * w];
        for (int b = 0; b < bands; b++) System.arraycopy(d, b * w * h + y0 * w, out, b * n * w, n * w);
        return out;
    }

    @Test
    void tiffInUnevenBandsEqualsWholeRasterBytes() throws Exception {
        GeoInfo geo = GeoInfo.fromGeoTransform(new double[]{10, 0.5, 0, 20, 0, -0.5}, 32631).withNoData("0");
        int w = 517, h = 301; // F32 3 bands: 6204-byte rows, 42-row strips
        for (SampleType t : new SampleType[]{SampleType.U8, SampleType.F32}) {
            for (TiffCompression c : TiffCompression.values()) {
                float[] d = new float[3 * w * h];
                for (int i = 0; i < d.length; i++) d[i] = (float) ((i * 2654435761L % 1000) / 3.7);
                Path whole = tmp.resolve("whole.tif"), streamed = tmp.resolve("streamed.tif");
                TiffWriter.write(whole, new Raster(w, h, 3, d, t), geo, c);
                try (TiffStreamWriter sw = TiffStreamWriter.create(streamed, w, h, 3, t, geo, c)) {
                    int[] bands = {1, 40, 3, 100, 0, 157};
                    int y = 0;
                    for (int n : bands) {
                        sw.writeRows(rows(d, 3, w, h, y, n), n);
                        y += n;
                    }
                    assertEquals(h, y);
                    sw.finish();
                }
                assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(streamed), t + " " + c);
            }
        }
    }

    @Test
    void pngDecodesToTheRoundedValues() throws Exception {
        int w = 333, h = 77;
        for (int bands : new int[]{1, 3}) {
            float[] d = new float[bands * w * h];
            for (int i = 0; i < d.length; i++) d[i] = (float) ((i * 7919L % 300) - 20 + 0.4);
            Path p = tmp.resolve("s" + bands + ".png");
            try (PngStreamWriter pw = PngStreamWriter.create(p, w, h, bands)) {
                pw.writeRows(rows(d, bands, w, h, 0, 50), 50);
                pw.writeRows(rows(d, bands, w, h, 50, 27), 27);
                pw.finish();
            }
            BufferedImage img = ImageIO.read(p.toFile());
            assertEquals(w, img.getWidth());
            assertEquals(h, img.getHeight());
            Raster r = Rasters.read(p);
            assertEquals(bands, r.bands());
            for (int i = 0; i < d.length; i++) assertEquals(TiffWriter.toU8(d[i]) & 0xFF, (int) r.data()[i], "sample " + i);
        }
    }

    @Test
    void incompleteStreamsRefuseToFinish() throws Exception {
        try (TiffStreamWriter sw = TiffStreamWriter.create(tmp.resolve("a.tif"), 4, 4, 1, SampleType.U8, null, TiffCompression.NONE)) {
            sw.writeRows(new float[8], 2);
            assertThrows(IllegalStateException.class, sw::finish);
            assertThrows(IllegalArgumentException.class, () -> sw.writeRows(new float[12], 3));
        }
        try (PngStreamWriter pw = PngStreamWriter.create(tmp.resolve("a.png"), 4, 4, 1)) {
            assertThrows(IllegalStateException.class, pw::finish);
        }
    }
}
