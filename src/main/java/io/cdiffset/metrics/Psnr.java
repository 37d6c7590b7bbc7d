package io.cdiffset.metrics;

import java.util.List;

/**
 * Peak signal-to-noise ratio as torchmetrics {@code PeakSignalNoiseRatio(data_range=1.0)}:
 * {@code 10·log10(1 / MSE)} where the MSE is pooled over every element passed to one call. A batch therefore
 * gives ONE pooled MSE ({@link #pooled}), which is not the mean of the per-image PSNRs ({@link #meanOfImages}, the
 * way C-DiffSET's report averages per-image scores). A perfect match gives {@code +Infinity}, as in torch.
 */
public final class Psnr {
    /** The data range the C-DiffSET evaluation uses. */
    public static final double DATA_RANGE = 1.0;

    private Psnr() {
    }

    /** Σ (pred − target)² in double precision. */
    public static double sumSquaredError(float[] pred, float[] target) {
        ImageChecks.checkSameLength(pred, target);
        double sse = 0;
        for (int i = 0; i < pred.length; i++) {
            double d = (double) pred[i] - (double) target[i];
            sse += d * d;
        }
        return sse;
    }

    public static double mse(float[] pred, float[] target) {
        return sumSquaredError(pred, target) / pred.length;
    }

    /** PSNR (dB) from a mean squared error, data range 1. */
    public static double fromMse(double mse) {
        return 10.0 * Math.log10(DATA_RANGE * DATA_RANGE / mse);
    }

    /** PSNR (dB) of one image (any layout; both arrays the same length). */
    public static double of(float[] pred, float[] target) {
        return fromMse(mse(pred, target));
    }

    /** torchmetrics module called once on a batch: PSNR of the MSE pooled over all images. */
    public static double pooled(List<float[]> preds, List<float[]> targets) {
        ImageChecks.checkBatch(preds, targets);
        double sse = 0;
        long n = 0;
        for (int i = 0; i < preds.size(); i++) {
            sse += sumSquaredError(preds.get(i), targets.get(i));
            n += preds.get(i).length;
        }
        return fromMse(sse / n);
    }

    /** Mean of the per-image PSNRs (C-DiffSET's per-image reporting). */
    public static double meanOfImages(List<float[]> preds, List<float[]> targets) {
        ImageChecks.checkBatch(preds, targets);
        double sum = 0;
        for (int i = 0; i < preds.size(); i++) {
            sum += of(preds.get(i), targets.get(i));
        }
        return sum / preds.size();
    }
}
