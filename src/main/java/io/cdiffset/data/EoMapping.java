package io.cdiffset.data;

import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.SampleType;

/**
 * Optical (EO) raster ↔ 3-channel float CHW in [-1, 1].
 * Forward: 3 bands (RGB) or the first 3 bands of a 4+ band image; U8 → {@code x/127.5 - 1}; other types stretched
 * per band between the 1st and 99th percentile like {@link SarMapping}. Fewer than 3 bands is an error (a grey
 * "EO" image usually means the SAR and EO folders are swapped). Inverse: {@code clamp(x*0.5+0.5, 0, 1)*255}
 * rounded, as a U8 raster.
 */
public final class EoMapping {

    private EoMapping() {
    }

    public static void checkBands(int bands, String fileName) {
        if (bands < 3) {
            throw new DataException("expected 3 or more EO (optical) bands, got " + bands + " in " + fileName
                    + "; EO images must be RGB (are the SAR and EO folders swapped?)");
        }
    }

    /** @return float[3*H*W] in [-1, 1] */
    public static float[] toModel(Raster eo, String fileName) {
        checkBands(eo.bands(), fileName);
        int n = eo.planeSize();
        float[] out = new float[3 * n];
        for (int c = 0; c < 3; c++) {
            Stretch.toModel(Stretch.band255(eo, c, fileName), out, c);
        }
        return out;
    }

    /** Model output [-1, 1] CHW (channels 1 or 3) → U8 raster. */
    public static Raster toRaster(float[] chw, int channels, int height, int width) {
        return toRaster(chw, 0, channels, height, width);
    }

    /** Same, reading image {@code offset} elements into {@code chw} (e.g. {@code i*3*H*W} for batch item i). */
    public static Raster toRaster(float[] chw, int offset, int channels, int height, int width) {
        int n = channels * height * width;
        if (offset < 0 || offset + n > chw.length) {
            throw new IllegalArgumentException("array of " + chw.length + " floats has no " + channels + "x" + height
                    + "x" + width + " image at offset " + offset);
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            float v = chw[offset + i] * 0.5f + 0.5f;
            v = Float.isNaN(v) ? 0f : Math.max(0f, Math.min(1f, v));
            out[i] = Math.round(v * 255f);
        }
        return new Raster(width, height, channels, out, SampleType.U8);
    }
}
