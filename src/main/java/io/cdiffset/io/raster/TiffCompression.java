package io.cdiffset.io.raster;

/** Compression used by {@link Rasters#writeGeoTiff(java.nio.file.Path, Raster, GeoInfo, TiffCompression)}. */
public enum TiffCompression {
    NONE,
    DEFLATE
}
