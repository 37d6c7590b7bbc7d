package io.cdiffset.io.raster;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Little-endian classic TIFF writer for whole rasters: U8 (values rounded and clamped to 0..255) or F32 samples, N
 * bands pixel-interleaved, strips, no compression or Deflate, with GeoTIFF tags written back verbatim. The bytes
 * are produced by {@link TiffStreamWriter}, the same code that writes scenes row band by row band.
 */
final class TiffWriter {

    private TiffWriter() {
    }

    static void write(Path file, Raster r, GeoInfo geo, TiffCompression comp) throws IOException {
        try (TiffStreamWriter w = TiffStreamWriter.create(file, r.width(), r.height(), r.bands(), r.sampleType(), geo,
                comp)) {
            w.writeRows(r.data(), r.height());
            w.finish();
        }
    }

    static byte toU8(float v) {
        if (!(v > 0)) {
            return 0; // also NaN
        }
        if (v >= 255) {
            return (byte) 255;
        }
        return (byte) Math.round(v);
    }
}
