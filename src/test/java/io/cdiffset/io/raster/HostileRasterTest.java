package io.cdiffset.io.raster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Issue #13: declared sizes are checked against the file and a pixel limit before any pixel memory is used. */
class HostileRasterTest {
    @TempDir
    Path tmp;

    @Test
    void tiffWhoseStripsAllPointAtOneRowIsRefusedByTheHeader() throws Exception {
        Path f = HostileFiles.tiffStripsOnOneRow(tmp.resolve("bomb.tif"), 100_000);
        RasterException e = assertThrows(RasterException.class, () -> Rasters.readHeader(f));
        assertTrue(e.getMessage().contains("cover only 100000 bytes"), e.getMessage());
    }

    @Test
    void wholeReadOfAGigapixelPngSaysTooLargeNotDamaged() throws Exception {
        Path f = HostileFiles.png(tmp.resolve("huge.png"), 100_000, 100_000);
        RasterException e = assertThrows(RasterException.class, () -> Rasters.read(f));
        assertTrue(e.getMessage().contains("too large to read whole"), e.getMessage());
        assertFalse(e.getMessage().contains("damaged or truncated"), e.getMessage());
    }

    @Test
    void pngTooSmallForItsSizeIsRefusedBeforeDecoding() throws Exception {
        Path f = HostileFiles.png(tmp.resolve("bomb.png"), 20_000, 20_000);
        RasterException e = assertThrows(RasterException.class, () -> Rasters.read(f));
        assertTrue(e.getMessage().contains("too little data"), e.getMessage());
    }

    @Test
    void aStreamedSceneTooWideForItsBandIsRefusedUnlessAllowed() {
        Path f = tmp.resolve("wide.tif");
        RasterHeader wide = new RasterHeader(400_000, 2_000, 1, SampleType.U8, "TIFF", null);   // 8e8 pixels, under 2e10
        RasterException e = assertThrows(RasterException.class, () -> Rasters.checkPixels(f, wide, null));
        assertTrue(e.getMessage().contains("too wide to stream") && e.getMessage().contains("--max-pixels 800000000"), e.getMessage());
        Rasters.checkPixels(f, wide, 800_000_000L);                                           // the user raised it
        Rasters.checkPixels(f, new RasterHeader(100_000, 100_000, 1, SampleType.U8, "TIFF", null), null); // 1e10, 1.0e8 per band: fine
    }

    @Test
    void pixelLimitNamesTheLimitAndTheOption() throws Exception {
        Path f = HostileFiles.png(tmp.resolve("big.png"), 20_000, 20_000);
        RasterHeader h = Rasters.readHeader(f);
        RasterException e = assertThrows(RasterException.class, () -> Rasters.checkPixels(f, h, null));
        assertTrue(e.getMessage().contains("limit of " + Rasters.MAX_WHOLE_PIXELS) && e.getMessage().contains("--max-pixels 400000000"), e.getMessage());
        RasterException e2 = assertThrows(RasterException.class, () -> Rasters.checkPixels(f, h, 1000L));
        assertTrue(e2.getMessage().contains("set by --max-pixels"), e2.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rasters.checkPixels(f, h, 0L));
    }
}
