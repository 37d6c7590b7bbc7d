package io.cdiffset.io.raster;

/** False-colour rendering of single-band float maps (e.g. confidence maps) to RGB U8 rasters. */
public final class ColorMaps {

    /** Available palettes. VIRIDIS is interpolated linearly between its 9 reference colours. */
    public enum Palette {
        VIRIDIS(new int[]{0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21908C, 0x27AD81, 0x5DC863, 0xAADC32, 0xFDE725}),
        GREY(new int[]{0x000000, 0xFFFFFF});

        private final int[] lut = new int[256];

        Palette(int[] anchors) {
            for (int i = 0; i < 256; i++) {
                double t = i / 255.0 * (anchors.length - 1);
                int k = Math.min((int) Math.floor(t), anchors.length - 2);
                double f = t - k;
                int a = anchors[k];
                int b = anchors[k + 1];
                int r = (int) Math.round(((a >> 16) & 255) * (1 - f) + ((b >> 16) & 255) * f);
                int g = (int) Math.round(((a >> 8) & 255) * (1 - f) + ((b >> 8) & 255) * f);
                int bl = (int) Math.round((a & 255) * (1 - f) + (b & 255) * f);
                lut[i] = (r << 16) | (g << 8) | bl;
            }
        }

        /** RGB of palette entry 0..255 as 0xRRGGBB. */
        public int rgb(int index) {
            return lut[Math.max(0, Math.min(255, index))];
        }
    }

    private ColorMaps() {
    }

    /** Viridis, min-max normalised over the finite values. */
    public static Raster colorize(float[] values, int width, int height) {
        return colorize(values, width, height, Palette.VIRIDIS);
    }

    /** Min-max normalised over the finite values (a constant map renders as the lowest colour). */
    public static Raster colorize(float[] values, int width, int height, Palette palette) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            if (Float.isFinite(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (min > max) {
            min = 0;
            max = 1;
        }
        return colorize(values, width, height, palette, min, max);
    }

    /**
     * Maps {@code values} (length width*height) linearly from [min, max] to the palette (clamped); NaN/Inf pixels
     * are black. Returns a 3-band U8 raster.
     */
    public static Raster colorize(float[] values, int width, int height, Palette palette, float min, float max) {
        if (values.length != width * height) {
            throw new IllegalArgumentException("map has " + values.length + " values, expected " + width + "x"
                    + height);
        }
        int n = width * height;
        float[] out = new float[3 * n];
        float range = max - min;
        for (int i = 0; i < n; i++) {
            float v = values[i];
            if (!Float.isFinite(v)) {
                continue;
            }
            float t = range > 0 ? (v - min) / range : 0f;
            int idx = Math.round(Math.max(0f, Math.min(1f, t)) * 255f);
            int rgb = palette.rgb(idx);
            out[i] = (rgb >> 16) & 255;
            out[n + i] = (rgb >> 8) & 255;
            out[2 * n + i] = rgb & 255;
        }
        return new Raster(width, height, 3, out, SampleType.U8);
    }

    /** Colour-maps band 0 of a raster, min-max normalised; keeps its georeferencing. */
    public static Raster colorize(Raster singleBand, Palette palette) {
        float[] band = new float[singleBand.planeSize()];
        System.arraycopy(singleBand.data(), 0, band, 0, band.length);
        return colorize(band, singleBand.width(), singleBand.height(), palette).withGeo(singleBand.geo());
    }
}
