package io.cdiffset.io.raster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Issue #13: garbage GeoTIFF tags (NaN / infinite / zero pixel scale) give a warning and no georeferencing, not a copy. */
class GeoGarbageTest {
    @TempDir
    Path tmp;

    @Test
    void nanInfiniteOrZeroPixelScaleIsWarnedAboutAndDropped() throws Exception {
        GeoInfo good = GeoInfo.fromGeoTransform(new double[]{600000, 10, 0, 5000000, 0, -10}, 32632);
        double[][] scales = {{Double.NaN, 10, 0}, {10, Double.POSITIVE_INFINITY, 0}, {0, 10, 0}, {10, 0, 0}};
        for (double[] scale : scales) {
            GeoInfo bad = new GeoInfo(null, scale, good.tiePoints(), null, good.geoKeyDirectory(), null, null, null);
            Path f = tmp.resolve("bad.tif");
            Rasters.writeGeoTiff(f, new Raster(4, 4, 1, new float[16], SampleType.U8, null), bad);
            PrintStream old = System.err;
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            RasterHeader h;
            try {
                h = Rasters.readHeader(f);
            } finally {
                System.setErr(old);
            }
            String warning = err.toString(StandardCharsets.UTF_8).strip();
            System.out.println(java.util.Arrays.toString(scale) + " -> " + warning);
            assertNull(h.geo(), "no georeferencing for pixel scale " + java.util.Arrays.toString(scale));
            assertNull(Rasters.read(f).geo());
            assertEquals(1, warning.lines().count(), warning);
            assertTrue(warning.startsWith("cdiffset: warning: ") && warning.contains("bad.tif") && warning.contains("not be georeferenced"), warning);
        }
        Path f = tmp.resolve("good.tif");
        Rasters.writeGeoTiff(f, new Raster(4, 4, 1, new float[16], SampleType.U8, null), good);
        assertEquals(good, Rasters.readHeader(f).geo(), "a valid geotransform is kept");
    }
}
