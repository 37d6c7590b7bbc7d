package io.cdiffset.metrics;

import java.util.List;

/** Shared argument checks for the image metrics. */
final class ImageChecks {
    private ImageChecks() {
    }

    static void checkPair(float[] pred, float[] target, int c, int h, int w) {
        if (pred == null || target == null) {
            throw new IllegalArgumentException("pred and target must not be null");
        }
        if (c <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("shape must be positive, got (c=" + c + ", h=" + h + ", w=" + w + ")");
        }
        long n = (long) c * h * w;
        if (pred.length != n || target.length != n) {
            throw new IllegalArgumentException("expected " + n + " values for CHW (" + c + ", " + h + ", " + w
                    + "), got pred " + pred.length + " and target " + target.length);
        }
    }

    static void checkSameLength(float[] pred, float[] target) {
        if (pred == null || target == null) {
            throw new IllegalArgumentException("pred and target must not be null");
        }
        if (pred.length != target.length || pred.length == 0) {
            throw new IllegalArgumentException("pred and target must have the same non-zero length, got "
                    + pred.length + " and " + target.length);
        }
    }

    static void checkBatch(List<float[]> preds, List<float[]> targets) {
        if (preds == null || targets == null || preds.isEmpty() || preds.size() != targets.size()) {
            throw new IllegalArgumentException("preds and targets must be non-empty lists of the same size, got "
                    + (preds == null ? "null" : preds.size()) + " and " + (targets == null ? "null" : targets.size()));
        }
    }
}
