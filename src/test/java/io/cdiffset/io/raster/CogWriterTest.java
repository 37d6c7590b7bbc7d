package io.cdiffset.io.raster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Cloud-Optimized GeoTIFF writer: written in uneven row bands, the full-resolution image reads back with exactly
 * the samples of the strip writer (U8 rounded, F32 as is) and the same georeferencing; gdalinfo (Debian's gdal-bin)
 * reports the COG layout, the tiles, the overview sizes and the CRS without a warning.
 */
class CogWriterTest {
    @TempDir
    Path tmp;

    @Test
    void readsBackExactlyAndGdalSeesTilesAndOverviews() throws Exception {
        GeoInfo geo = GeoInfo.fromGeoTransform(new double[]{600000, 10, 0, 5000000, 0, -10}, 32632);
        int w = 613, h = 300; // 3 × 2 tiles; overviews 307×150 and 154×75
        for (SampleType t : new SampleType[]{SampleType.U8, SampleType.F32}) {
            int bands = t == SampleType.U8 ? 3 : 1;
            float[] d = new float[bands * w * h];
            for (int i = 0; i < d.length; i++) d[i] = (float) ((i * 2654435761L % 1000) / 3.7);
            Path cog = tmp.resolve("c-" + t + ".tif"), strips = tmp.resolve("s-" + t + ".tif");
            TiffWriter.write(strips, new Raster(w, h, bands, d, t), geo, TiffCompression.DEFLATE);
            try (CogWriter cw = CogWriter.create(cog, w, h, bands, t, geo)) {
                assertEquals(2, cw.overviews());
                int y = 0;
                for (int n : new int[]{1, 255, 3, 41}) {
                    cw.writeRows(StreamWritersTest.rows(d, bands, w, h, y, n), n);
                    y += n;
                }
                assertEquals(h, y);
                cw.finish();
            }
            Raster want = Rasters.read(strips), got = Rasters.read(cog);
            assertArrayEquals(want.data(), got.data(), t + " samples");
            assertEquals(want.geo(), got.geo());
            String info = gdalinfo(cog);
            for (String s : List.of("LAYOUT=COG", "COMPRESSION=DEFLATE", "Block=256x256", "Overviews: 307x150, 154x75", "\"EPSG\",32632]",
                    "Origin = (600000.000000000000000,5000000.000000000000000)", "Pixel Size = (10.000000000000000,-10.000000000000000)")) {
                assertTrue(info.contains(s), "gdalinfo lacks " + s + ":\n" + info);
            }
            assertTrue(!info.contains("ERROR") && !info.contains("Warning"), info);
        }
    }

    static String gdalinfo(Path file) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("gdalinfo", file.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("gdalinfo is not installed; install Debian's gdal-bin (apt-get install gdal-bin), as .ci/run does", e);
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        return out;
    }
}
