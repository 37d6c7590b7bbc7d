package io.cdiffset.metrics;

import java.util.List;

/**
 * Structural similarity as torchmetrics {@code StructuralSimilarityIndexMeasure(data_range=1.0)} with its defaults:
 * Gaussian window 11×11, σ = 1.5 (1-D taps {@code exp(-x²/(2σ²))}, x = −5..5, normalised; 2-D = outer product),
 * inputs reflect-padded by 5 (PyTorch {@code reflect}: edge not repeated), valid depthwise convolution giving H×W maps
 * of μ, E[x²], E[xy]; σ² = max(E[x²] − μ², 0); C1 = 0.01², C2 = 0.03²; the SSIM map is averaged over C·H·W with no
 * border crop, then over images.
 *
 * <p><b>Float32-faithful on purpose.</b> The SSIM of real 8-bit images is sensitive to the float32 rounding of
 * E[x²] − μ² (on the fixture's Sentinel-2 pair the float64 value differs from torch's by 1.4e-5, above the 1e-5
 * parity tolerance). This class therefore reproduces torch's CPU arithmetic: the float32 Gaussian taps exactly as
 * torchmetrics computes them, float32 products, a direct 11×11 convolution accumulated row-major (kernel row outer,
 * column inner) with one fused multiply-add per tap (oneDNN's depthwise kernel order — verified bit-exact against
 * torch 2.13 CPU {@code conv2d} on the fixture), and the SSIM formula in float32. Only the final mean is summed in
 * double (torch's float32 cascade sum differs by ~1e-8).
 */
public final class Ssim {
    public static final int KERNEL_SIZE = 11;
    public static final double SIGMA = 1.5;
    public static final double K1 = 0.01;
    public static final double K2 = 0.03;
    private static final int PAD = (KERNEL_SIZE - 1) / 2;

    /**
     * torchmetrics' normalised 1-D taps as float32 bit patterns: {@code exp(-(x/1.5)²/2)} and {@code g / g.sum()}
     * evaluated in float32 by torch (they differ from the correctly rounded values by up to ~3e-7 relative).
     */
    private static final int[] TAP_BITS = {
        0x3a86cab8, 0x3bf8fefc, 0x3d13758c, 0x3ddff87e, 0x3e5a1e1f, 0x3e8832b0,
        0x3e5a1e1f, 0x3ddff87e, 0x3d13758c, 0x3bf8fefc, 0x3a86cab8};
    private static final float[] KERNEL_2D = kernel2d();
    private static final float C1 = (float) ((K1 * Psnr.DATA_RANGE) * (K1 * Psnr.DATA_RANGE));
    private static final float C2 = (float) ((K2 * Psnr.DATA_RANGE) * (K2 * Psnr.DATA_RANGE));

    private Ssim() {
    }

    /** SSIM of one CHW image pair. Requires h, w &gt; 5 (reflect padding). */
    public static double of(float[] pred, float[] target, int c, int h, int w) {
        ImageChecks.checkPair(pred, target, c, h, w);
        if (h <= PAD || w <= PAD) {
            throw new IllegalArgumentException("SSIM needs h and w > " + PAD + " (reflect padding), got " + h + "x" + w);
        }
        int ph = h + 2 * PAD;
        int pw = w + 2 * PAD;
        float[][] in = new float[5][ph * pw];
        float[][] out = new float[5][h * w];
        double total = 0;
        for (int ch = 0; ch < c; ch++) {
            int base = ch * h * w;
            for (int i = 0; i < ph; i++) {
                int si = reflect(i - PAD, h);
                for (int j = 0; j < pw; j++) {
                    int sj = reflect(j - PAD, w);
                    float a = pred[base + si * w + sj];
                    float b = target[base + si * w + sj];
                    int k = i * pw + j;
                    in[0][k] = a;
                    in[1][k] = b;
                    in[2][k] = a * a;
                    in[3][k] = b * b;
                    in[4][k] = a * b;
                }
            }
            for (int m = 0; m < 5; m++) {
                convValid(in[m], pw, out[m], h, w);
            }
            double sum = 0;
            for (int k = 0; k < h * w; k++) {
                float muP = out[0][k];
                float muT = out[1][k];
                float muP2 = muP * muP;
                float muT2 = muT * muT;
                float muPT = muP * muT;
                float varP = Math.max(out[2][k] - muP2, 0f);
                float varT = Math.max(out[3][k] - muT2, 0f);
                float cov = out[4][k] - muPT;
                float upper = 2f * cov + C2;
                float lower = (varP + varT) + C2;
                float num = (2f * muPT + C1) * upper;
                float den = ((muP2 + muT2) + C1) * lower;
                sum += num / den;
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

    /** The normalised float32 1-D taps torchmetrics uses (x = −5..5). */
    static float[] gaussianTaps() {
        float[] t = new float[KERNEL_SIZE];
        for (int i = 0; i < KERNEL_SIZE; i++) {
            t[i] = Float.intBitsToFloat(TAP_BITS[i]);
        }
        return t;
    }

    /** Outer product in float32 (torch {@code matmul(g.t(), g)}: one rounded product per entry), row-major. */
    private static float[] kernel2d() {
        float[] g = gaussianTaps();
        float[] k = new float[KERNEL_SIZE * KERNEL_SIZE];
        for (int a = 0; a < KERNEL_SIZE; a++) {
            for (int b = 0; b < KERNEL_SIZE; b++) {
                k[a * KERNEL_SIZE + b] = g[a] * g[b];
            }
        }
        return k;
    }

    /**
     * Valid 11×11 convolution of a padded map (row stride {@code pw}) into h×w: float32 accumulator starting at 0,
     * one {@link Math#fma(float, float, float)} per tap in row-major tap order (bit-exact with torch CPU). Fast where
     * the CPU has FMA instructions (x86-64 since Haswell, AArch64).
     */
    private static void convValid(float[] src, int pw, float[] dst, int h, int w) {
        float[] acc = new float[w];
        for (int i = 0; i < h; i++) {
            java.util.Arrays.fill(acc, 0f);
            for (int a = 0; a < KERNEL_SIZE; a++) {
                int rowBase = (i + a) * pw;
                for (int b = 0; b < KERNEL_SIZE; b++) {
                    float kv = KERNEL_2D[a * KERNEL_SIZE + b];
                    int off = rowBase + b;
                    for (int j = 0; j < w; j++) {
                        acc[j] = Math.fma(kv, src[off + j], acc[j]);
                    }
                }
            }
            System.arraycopy(acc, 0, dst, i * w, w);
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
