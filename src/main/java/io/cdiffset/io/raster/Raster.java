package io.cdiffset.io.raster;

/**
 * An image as raw sample values in a band-sequential float array: {@code data[b*H*W + y*W + x]}.
 * Values are the raw samples (0..255 for U8, 0..65535 for U16, raw floats for F32/F64); no scaling is applied.
 * {@code geo} is the georeferencing (nullable). The array is not copied; treat a Raster as immutable.
 */
public record Raster(int width, int height, int bands, float[] data, SampleType sampleType, GeoInfo geo) {

    public Raster {
        if (width <= 0 || height <= 0 || bands <= 0) {
            throw new IllegalArgumentException(
                    "raster size must be positive, got " + width + "x" + height + "x" + bands + " (WxHxbands)");
        }
        if (data == null) {
            throw new IllegalArgumentException("raster data is null");
        }
        long n = (long) width * height * bands;
        if (data.length != n) {
            throw new IllegalArgumentException("raster data has " + data.length + " values but " + width + "x"
                    + height + "x" + bands + " needs " + n);
        }
        if (sampleType == null) {
            throw new IllegalArgumentException("raster sample type is null");
        }
    }

    /** Raster without georeferencing. */
    public Raster(int width, int height, int bands, float[] data, SampleType sampleType) {
        this(width, height, bands, data, sampleType, null);
    }

    /** Pixels per band, {@code width*height}. */
    public int planeSize() {
        return width * height;
    }

    public float get(int band, int y, int x) {
        return data[band * width * height + y * width + x];
    }

    public Raster withGeo(GeoInfo g) {
        return new Raster(width, height, bands, data, sampleType, g);
    }

    /** A copy of the window (x, y, w, h); georeferencing (if any) is shifted to the window origin. */
    public Raster window(int x, int y, int w, int h) {
        if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height) {
            throw new IllegalArgumentException("window " + x + "," + y + " " + w + "x" + h
                    + " is outside the " + width + "x" + height + " raster");
        }
        float[] out = new float[w * h * bands];
        for (int b = 0; b < bands; b++) {
            for (int r = 0; r < h; r++) {
                System.arraycopy(data, b * width * height + (y + r) * width + x, out, b * w * h + r * w, w);
            }
        }
        return new Raster(w, h, bands, out, sampleType, geo == null ? null : geo.window(x, y));
    }

    @Override
    public String toString() {
        return "Raster[" + width + "x" + height + "x" + bands + " " + sampleType + (geo != null ? " geo" : "") + "]";
    }
}
