package io.cdiffset.data;

import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.SampleType;
import java.util.Arrays;

/** Shared per-band scaling to the 0..255 range used by {@link SarMapping} and {@link EoMapping}. */
final class Stretch {
    static final double LOW_PERCENTILE = 1.0;
    static final double HIGH_PERCENTILE = 99.0;

    private Stretch() {
    }

    /** Throws "NaN/Inf pixels in FILE ..." if band {@code b} has a non-finite value. */
    static void checkFinite(Raster r, int b, String fileName) {
        float[] d = r.data();
        int n = r.planeSize();
        int off = b * n;
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(d[off + i])) {
                int x = i % r.width();
                int y = i / r.width();
                throw new DataException("NaN/Inf pixels in " + fileName + " (band " + (b + 1) + ", first at x=" + x
                        + " y=" + y + "); mask or fill them first");
            }
        }
    }

    /**
     * Band {@code b} on the 0..255 scale: U8 values as they are; any other type clipped to its 1st..99th percentile
     * and scaled linearly to 0..255 (a constant band maps to 0).
     */
    static float[] band255(Raster r, int b, String fileName) {
        checkFinite(r, b, fileName);
        int n = r.planeSize();
        float[] out = new float[n];
        System.arraycopy(r.data(), b * n, out, 0, n);
        if (r.sampleType() == SampleType.U8) {
            return out;
        }
        float[] sorted = out.clone();
        Arrays.sort(sorted);
        double lo = percentile(sorted, LOW_PERCENTILE);
        double hi = percentile(sorted, HIGH_PERCENTILE);
        double range = hi - lo;
        for (int i = 0; i < n; i++) {
            double v = range > 0 ? (out[i] - lo) / range : 0;
            out[i] = (float) (Math.max(0, Math.min(1, v)) * 255.0);
        }
        return out;
    }

    /** numpy.percentile (linear interpolation) of an ascending-sorted array. */
    static double percentile(float[] sorted, double p) {
        if (sorted.length == 1) {
            return sorted[0];
        }
        double pos = p / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        double f = pos - lo;
        return sorted[lo] + (sorted[hi] - (double) sorted[lo]) * f;
    }

    /** 0..255 → [-1, 1] in place, into dst at channel c. */
    static void toModel(float[] v255, float[] dst, int c) {
        int n = v255.length;
        int off = c * n;
        for (int i = 0; i < n; i++) {
            dst[off + i] = v255[i] / 127.5f - 1f;
        }
    }
}
