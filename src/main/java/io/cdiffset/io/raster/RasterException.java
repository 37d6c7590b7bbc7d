package io.cdiffset.io.raster;

/**
 * The single exception type thrown by {@link Rasters} for every read/write failure (missing file, corrupt or
 * truncated data, unsupported compression, zero-size image, I/O error). The message is always ONE line that names
 * the file, says what is wrong and what to do, e.g.
 * {@code corrupt TIFF x.tif: strip 3 offset 123456 is past the end of the file (89000 bytes); re-export the image}.
 * It is unchecked so it can cross lambdas and worker threads; the CLI can print {@link #getMessage()} as-is.
 */
public class RasterException extends io.cdiffset.engine.InputException {
    private static final long serialVersionUID = 1L;

    public RasterException(String message) {
        super(oneLine(message));
    }

    public RasterException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    static String oneLine(String s) {
        if (s == null) {
            return "unknown raster error";
        }
        return s.replace('\r', ' ').replace('\n', ' ');
    }
}
