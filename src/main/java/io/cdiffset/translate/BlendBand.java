package io.cdiffset.translate;

import java.util.Arrays;

/**
 * The blending accumulators of {@link SceneTranslator} for a band of rows of the padded image: per pixel the
 * weighted sums of the 3 EO channels and the confidence, and the sum of weights (5 floats). Rows live in a ring of
 * {@code capacity} slots (row y in slot y mod capacity), so memory is {@code 5 × capacity × paddedWidth} floats
 * whatever the scene height; a row's slot is cleared when the row is taken out.
 */
final class BlendBand {
    private static final int FIELDS = 5;
    private final int wp;
    private final int capacity;
    private final float[] data;

    BlendBand(int paddedWidth, int capacity) {
        this.wp = paddedWidth;
        this.capacity = capacity;
        this.data = new float[Math.multiplyExact(Math.multiplyExact(FIELDS, capacity), paddedWidth)];
    }

    int capacity() {
        return capacity;
    }

    private int base(int y) {
        return (y % capacity) * FIELDS * wp;
    }

    /**
     * Adds one decoded window with its blend weights: EO {@code eo[eoOff + ch*th*tw + y*tw + x]}, confidence
     * {@code c[cOff + y*tw + x]} (c may be null); the order of the float operations is that of the whole-scene
     * accumulation, so the result is bit-identical to it.
     */
    void add(SceneTranslator.Window win, float[] eo, int eoOff, float[] c, int cOff, float[] wgt) {
        int th = win.h(), tw = win.w();
        for (int y = 0; y < th; y++) {
            int b = base(win.y() + y) + win.x();
            for (int x = 0; x < tw; x++) {
                float wv = wgt[y * tw + x];
                int p = b + x;
                for (int ch = 0; ch < 3; ch++) data[p + ch * wp] += wv * eo[eoOff + ch * th * tw + y * tw + x];
                if (c != null) data[p + 3 * wp] += wv * c[cOff + y * tw + x];
                data[p + 4 * wp] += wv;
            }
        }
    }

    /**
     * Rows {@code [y0, y1)} normalised by the weight sum and cropped to width {@code w}: {eo (3×rows×w), confidence
     * (rows×w) or null if {@code withConfidence} is false}.
     */
    float[][] normalised(int y0, int y1, int w, boolean withConfidence) {
        int n = y1 - y0;
        float[] eo = new float[3 * n * w];
        float[] conf = withConfidence ? new float[n * w] : null;
        for (int y = y0; y < y1; y++) {
            int b = base(y);
            int r = y - y0;
            for (int x = 0; x < w; x++) {
                float s = data[b + 4 * wp + x];
                for (int c = 0; c < 3; c++) eo[c * n * w + r * w + x] = data[b + c * wp + x] / s;
                if (conf != null) conf[r * w + x] = data[b + 3 * wp + x] / s;
            }
        }
        return new float[][]{eo, conf};
    }

    /** Zeroes the slots of rows {@code [y0, y1)} so they can hold later rows. */
    void clear(int y0, int y1) {
        for (int y = y0; y < y1; y++) {
            int b = base(y);
            Arrays.fill(data, b, b + FIELDS * wp, 0f);
        }
    }
}
