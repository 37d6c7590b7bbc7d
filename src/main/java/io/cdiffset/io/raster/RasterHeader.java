package io.cdiffset.io.raster;

/**
 * Cheap-to-obtain description of an image file (no pixel decoding): size, number of bands (after alpha removal,
 * i.e. the band count {@link Rasters#read} would return), sample type, format name ("TIFF", "PNG", "JPEG") and
 * the georeferencing if any (TIFF only, else {@code null}).
 */
public record RasterHeader(int width, int height, int bands, SampleType sampleType, String format, GeoInfo geo) {
}
