package io.cdiffset.translate;

/**
 * Where {@link SceneTranslator} gets the SAR image from, a band of rows at a time, so a scene never has to be held
 * in memory whole.
 */
@FunctionalInterface
public interface SarSource {
    /**
     * Rows {@code [y0, y1)} of the image in model space: 3 channels in [-1, 1], full width, channel-major
     * ({@code out[c*(y1-y0)*W + (y-y0)*W + x]}). The caller does not modify the array.
     */
    float[] rows(int y0, int y1);

    /** A source over an image held in memory (CHW, 3 channels, {@code h × w}). */
    static SarSource inMemory(float[] sar, int h, int w) {
        if (sar.length != 3L * h * w) {
            throw new IllegalArgumentException("SAR array has " + sar.length + " values, expected 3x" + h + "x" + w);
        }
        return (y0, y1) -> {
            int n = y1 - y0;
            float[] out = new float[3 * n * w];
            for (int c = 0; c < 3; c++) System.arraycopy(sar, c * h * w + y0 * w, out, c * n * w, n * w);
            return out;
        };
    }
}
