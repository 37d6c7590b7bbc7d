package io.cdiffset.io.raster;

/** Argument checks shared by the streaming writers ({@link TiffStreamWriter}, {@link PngStreamWriter}). */
final class RowBands {
    private RowBands() {
    }

    /** Throws if the writer is finished, the rows overrun the image, or the band holds too few values. */
    static void check(String format, boolean finished, int rows, int rowsWritten, int height, int length, int bands, int width) {
        if (finished) {
            throw new IllegalStateException(format + " already finished");
        }
        if (rows < 0 || rowsWritten + rows > height) {
            throw new IllegalArgumentException("writing " + rows + " rows after " + rowsWritten + " exceeds the "
                    + height + " rows of the image");
        }
        long need = (long) bands * rows * width;
        if (length < need) {
            throw new IllegalArgumentException("row band has " + length + " values, needs " + need);
        }
    }
}
