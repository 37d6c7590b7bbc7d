package io.cdiffset.io.raster;

import java.io.Closeable;
import java.io.IOException;

/**
 * A raster file written row band by row band ({@link TiffStreamWriter}, {@link CogWriter}, {@link PngStreamWriter}),
 * so a scene writer can pick the format without caring how its rows are stored.
 */
public interface RasterRowWriter extends Closeable {
    /** Appends the next {@code rows} rows, band-sequential: {@code data[b*rows*W + r*W + x]}. */
    void writeRows(float[] data, int rows) throws IOException;

    /** Completes the file (all rows must have been written). */
    void finish() throws IOException;
}
