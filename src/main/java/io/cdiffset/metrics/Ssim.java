package io.cdiffset.metrics;

import java.util.List;

/**
 * Structural similarity as torchmetrics {@code StructuralSimilarityIndexMeasure(data_range=1.0)} with its defaults:
 * Gaussian window 11×11, σ = 1.5 (1-D taps {@code exp(-x²/(2σ²))}, x = −5..5, normalised; 2-D = outer product),
 * inputs reflect-padded by 5 (PyTorch {@code reflect}: edge not repeated), valid depthwise convolution giving H×W maps
 * of μ, E[x²], E[xy]; σ² = max(E[x²] − μ², 0); C1 = 0.01², C2 = 0.03²; the SSIM map is averaged over C·H·W with no
 * border crop, then over images. Computed in double precision (separable convolution).
 */
public final class Ssim {
    public static final int KERNEL_SIZE = 11;
    public static final double SIGMA = 1.5;
    public static final double K1 = 0.01;
    public static final double K2 = 0.03;
    private static final int PAD = (KERNEL_SIZE - 1) / 2;
    private static final double[] TAPS = gaussianTaps();

    private Ssim() {
    }

    /** SSIM of one CHW image pair. Requires h, w &gt; 5 (reflect padding). */
    public static double of(float[] pred, float[] target, int c, int h, int w) {
        ImageChecks.checkPair(pred, target, c, h, w);
        if (h <= PAD || w <= PAD) {
            throw new IllegalArgumentException("SSIM needs h and w > " + PAD + " (reflect padding), got " + h + "x" + w);
        }
        final double c1 = (K1 * Psnr.DATA_RANGE) * (K1 * Psnr.DATA_RANGE);
        final double c2 = (K2 * Psnr.DATA_RANGE) * (K2 * Psnr.DATA_RANGE);
        int ph = h + 2 * PAD;
        int pw = w + 2 * PAD;
        double[] x = new double[ph * pw];
        double[] y = new double[ph * pw];
        double[][] in = new double[5][ph * pw];
        double[] tmp = new double[ph * w];
        double[][] out = new double[5][h * w];
        double total = 0;
        for (int ch = 0; ch < c; ch++) {
            int base = ch * h * w;
            for (int i = 0; i < ph; i++) {
                int si = reflect(i - PAD, h);
                for (int j = 0; j < pw; j++) {
                    int sj = reflect(j - PAD, w);
                    x[i * pw + j] = pred[base + si * w + sj];
                    y[i * pw + j] = target[base + si * w + sj];
                }
            }
            for (int k = 0; k < x.length; k++) {
                double a = x[k];
                double b = y[k];
                in[0][k] = a;
                in[1][k] = b;
                in[2][k] = a * a;
                in[3][k] = b * b;
                in[4][k] = a * b;
            }
            for (int m = 0; m < 5; m++) {
                gaussianValid(in[m], ph, pw, tmp, out[m], h, w);
            }
            double sum = 0;
            for (int k = 0; k < h * w; k++) {
                double muX = out[0][k];
                double muY = out[1][k];
                double muX2 = muX * muX;
                double muY2 = muY * muY;
                double muXY = muX * muY;
                double varX = Math.max(out[2][k] - muX2, 0.0);
                double varY = Math.max(out[3][k] - muY2, 0.0);
                double cov = out[4][k] - muXY;
                double upper = 2 * cov + c2;
                double lower = varX + varY + c2;
                sum += ((2 * muXY + c1) * upper) / ((muX2 + muY2 + c1) * lower);
            }
            total += sum;
        }
        return total / ((double) c * h * w);
    }

    /** torchmetrics module on a batch: the mean of the per-image SSIMs. */
    public static double batch(List<float[]> preds, List<float[]> targets, int c, int h, int w) {
        ImageChecks.checkBatch(preds, targets);
        double sum = 0;
        for (int i = 0; i < preds.size(); i++) {
            sum += of(preds.get(i), targets.get(i), c, h, w);
        }
        return sum / preds.size();
    }

    /** 1-D normalised Gaussian taps for x = −5..5. */
    static double[] gaussianTaps() {
        double[] t = new double[KERNEL_SIZE];
        double s = 0;
        for (int i = 0; i < KERNEL_SIZE; i++) {
            double d = i - PAD;
            t[i] = Math.exp(-(d / SIGMA) * (d / SIGMA) / 2.0);
            s += t[i];
        }
        for (int i = 0; i < KERNEL_SIZE; i++) {
            t[i] /= s;
        }
        return t;
    }

    /** Valid 2-D convolution of a (ph×pw) map with the separable Gaussian, giving (h×w). */
    private static void gaussianValid(double[] src, int ph, int pw, double[] tmp, double[] dst, int h, int w) {
        for (int i = 0; i < ph; i++) {
            int row = i * pw;
            for (int j = 0; j < w; j++) {
                double s = 0;
                for (int k = 0; k < KERNEL_SIZE; k++) {
                    s += TAPS[k] * src[row + j + k];
                }
                tmp[i * w + j] = s;
            }
        }
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                double s = 0;
                for (int k = 0; k < KERNEL_SIZE; k++) {
                    s += TAPS[k] * tmp[(i + k) * w + j];
                }
                dst[i * w + j] = s;
            }
        }
    }

    /** PyTorch {@code reflect} index (d c b | a b c d | c b a), valid for |overhang| &lt; n. */
    static int reflect(int i, int n) {
        if (i < 0) {
            return -i;
        }
        if (i >= n) {
            return 2 * (n - 1) - i;
        }
        return i;
    }
}
