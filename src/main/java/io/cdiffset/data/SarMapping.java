package io.cdiffset.data;

import io.cdiffset.io.raster.Raster;

/**
 * SAR raster → 3-channel float CHW in [-1, 1], the model's input format.
 * <ul>
 *   <li>1 band → repeated to 3 channels; 4 bands (HH, HV, VH, VV) → [HH, (HV+VH)/2, VV]; 2, 3 or 5+ bands are
 *   errors.</li>
 *   <li>U8 data: {@code x/127.5 - 1}. Any other sample type: each input band clipped to its 1st–99th percentile
 *   (numpy linear interpolation) and scaled to 0–255 first (as the C-DiffSET authors do), then
 *   {@code /127.5 - 1}; the cross-pol average is taken after the per-band scaling.</li>
 *   <li>NaN/Inf pixels → {@link DataException} "NaN/Inf pixels in FILE ...; mask or fill them first".</li>
 * </ul>
 */
public final class SarMapping {

    private SarMapping() {
    }

    /** Number of model channels. */
    public static final int CHANNELS = 3;

    /** Throws the standard band-count error if {@code bands} is not 1 or 4. */
    public static void checkBands(int bands, String fileName) {
        if (bands != 1 && bands != 4) {
            throw new DataException("expected 1 or 4 SAR bands, got " + bands + " in " + fileName
                    + "; use single-polarisation (1 band) or quad-pol HH,HV,VH,VV (4 bands) SAR");
        }
    }

    /**
     * @param fileName name used in error messages (usually the path)
     * @return float[3*H*W], channel-major, values in [-1, 1]
     */
    public static float[] toModel(Raster sar, String fileName) {
        checkBands(sar.bands(), fileName);
        int n = sar.planeSize();
        float[] out = new float[CHANNELS * n];
        if (sar.bands() == 1) {
            float[] b = Stretch.band255(sar, 0, fileName);
            Stretch.toModel(b, out, 0);
            System.arraycopy(out, 0, out, n, n);
            System.arraycopy(out, 0, out, 2 * n, n);
        } else {
            float[] hh = Stretch.band255(sar, 0, fileName);
            float[] hv = Stretch.band255(sar, 1, fileName);
            float[] vh = Stretch.band255(sar, 2, fileName);
            float[] vv = Stretch.band255(sar, 3, fileName);
            float[] cross = new float[n];
            for (int i = 0; i < n; i++) {
                cross[i] = (hv[i] + vh[i]) * 0.5f;
            }
            Stretch.toModel(hh, out, 0);
            Stretch.toModel(cross, out, 1);
            Stretch.toModel(vv, out, 2);
        }
        return out;
    }
}
