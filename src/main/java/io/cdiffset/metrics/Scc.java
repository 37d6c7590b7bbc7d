package io.cdiffset.metrics;

import java.util.List;

/**
 * Spatial correlation coefficient as torchmetrics {@code SpatialCorrelationCoefficient()} with its defaults
 * (high-pass filter {@code [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]}, window 8). Per channel:
 * <ol>
 *   <li>high-pass = 2 · convolution of the symmetric-reflect-padded image (edge repeated, pad 1) with the kernel;</li>
 *   <li>local means over an 8×8 box on the high-passed images zero-padded left/top 4, right/bottom 3;</li>
 *   <li>var = E[x²] − E[x]² clamped at 0, cov = E[xy] − E[x]E[y];</li>
 *   <li>scc = cov / (sqrt(var_target)·sqrt(var_pred)), 0 where the denominator is 0;</li>
 * </ol>
 * mean over pixels and channels, then over images. Computed in double precision.
 */
public final class Scc {
    public static final int WINDOW = 8;
    private static final int[][] HIGH_PASS = {{-1, -1, -1}, {-1, 8, -1}, {-1, -1, -1}};
    private static final int LEAD = (int) Math.ceil((WINDOW - 1) / 2.0);  // 4 (left / top)
    private static final int TRAIL = (WINDOW - 1) / 2;                    // 3 (right / bottom)

    private Scc() {
    }

    /** SCC of one CHW image pair. Requires h, w &gt;= 8 (window size). */
    public static double of(float[] pred, float[] target, int c, int h, int w) {
        ImageChecks.checkPair(pred, target, c, h, w);
        if (h < WINDOW || w < WINDOW) {
            throw new IllegalArgumentException("SCC needs h and w >= " + WINDOW + ", got " + h + "x" + w);
        }
        int n = h * w;
        double[] p = new double[n];
        double[] t = new double[n];
        double[][] maps = new double[5][n];
        double[][] means = new double[5][n];
        double[] tmp = new double[n];
        double total = 0;
        for (int ch = 0; ch < c; ch++) {
            highPass(pred, ch * n, h, w, p);
            highPass(target, ch * n, h, w, t);
            for (int k = 0; k < n; k++) {
                maps[0][k] = p[k];
                maps[1][k] = t[k];
                maps[2][k] = p[k] * p[k];
                maps[3][k] = t[k] * t[k];
                maps[4][k] = t[k] * p[k];
            }
            for (int m = 0; m < 5; m++) {
                boxMean(maps[m], h, w, tmp, means[m]);
            }
            double sum = 0;
            for (int k = 0; k < n; k++) {
                double muP = means[0][k];
                double muT = means[1][k];
                double varP = means[2][k] - muP * muP;
                double varT = means[3][k] - muT * muT;
                double cov = means[4][k] - muT * muP;
                if (varP < 0) {
                    varP = 0;
                }
                if (varT < 0) {
                    varT = 0;
                }
                double den = Math.sqrt(varT) * Math.sqrt(varP);
                sum += den == 0 ? 0.0 : cov / den;
            }
            total += sum;
        }
        return total / ((double) c * n);
    }

    /** torchmetrics module on a batch: the mean of the per-image SCCs. */
    public static double batch(List<float[]> preds, List<float[]> targets, int c, int h, int w) {
        ImageChecks.checkBatch(preds, targets);
        double sum = 0;
        for (int i = 0; i < preds.size(); i++) {
            sum += of(preds.get(i), targets.get(i), c, h, w);
        }
        return sum / preds.size();
    }

    /** 2 · (symmetric-padded image ⊛ flipped high-pass kernel) for one channel. */
    private static void highPass(float[] img, int base, int h, int w, double[] out) {
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                double s = 0;
                for (int di = -1; di <= 1; di++) {
                    int si = symmetric(i + di, h);
                    for (int dj = -1; dj <= 1; dj++) {
                        int sj = symmetric(j + dj, w);
                        // kernel flipped then cross-correlated (= true convolution); this kernel is symmetric
                        s += HIGH_PASS[1 - di][1 - dj] * (double) img[base + si * w + sj];
                    }
                }
                out[i * w + j] = 2.0 * s;
            }
        }
    }

    /** Mean over the 8×8 box [i−4, i+3]×[j−4, j+3] with zeros outside the image. */
    private static void boxMean(double[] src, int h, int w, double[] tmp, double[] dst) {
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                double s = 0;
                int lo = Math.max(0, j - LEAD);
                int hi = Math.min(w - 1, j + TRAIL);
                for (int k = lo; k <= hi; k++) {
                    s += src[i * w + k];
                }
                tmp[i * w + j] = s;
            }
        }
        double inv = 1.0 / (WINDOW * WINDOW);
        for (int i = 0; i < h; i++) {
            int lo = Math.max(0, i - LEAD);
            int hi = Math.min(h - 1, i + TRAIL);
            for (int j = 0; j < w; j++) {
                double s = 0;
                for (int k = lo; k <= hi; k++) {
                    s += tmp[k * w + j];
                }
                dst[i * w + j] = s * inv;
            }
        }
    }

    /** Symmetric index (d c b a | a b c d | d c b a) for an overhang of 1. */
    private static int symmetric(int i, int n) {
        if (i < 0) {
            return -i - 1;
        }
        if (i >= n) {
            return 2 * n - 1 - i;
        }
        return i;
    }
}
