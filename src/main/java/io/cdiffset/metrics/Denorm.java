package io.cdiffset.metrics;

/**
 * Maps model-space images in [-1, 1] to [0, 1] before scoring.
 *
 * <ul>
 *   <li>{@link #standard}: {@code clamp(x·0.5 + 0.5, 0, 1)} — the correct inverse of the [-1, 1] normalisation.
 *       Report this one.</li>
 *   <li>{@link #authorsQuirk}: {@code clamp(x + 0.5, 0, 1)} — what the C-DiffSET authors' evaluation code does
 *       (applied to prediction and target alike). It reads several dB higher; offer it only as a clearly labelled
 *       extra for comparison with the paper's tables.</li>
 * </ul>
 * Arithmetic is float32 like the torch reference.
 */
public final class Denorm {
    private Denorm() {
    }

    /** {@code clamp(x·0.5 + 0.5, 0, 1)}. */
    public static float standard(float x) {
        return clamp01(x * 0.5f + 0.5f);
    }

    /** The C-DiffSET authors' evaluation quirk: {@code clamp(x + 0.5, 0, 1)}. */
    public static float authorsQuirk(float x) {
        return clamp01(x + 0.5f);
    }

    /** Element-wise {@link #standard(float)} into a new array. */
    public static float[] standard(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = standard(x[i]);
        }
        return out;
    }

    /** Element-wise {@link #authorsQuirk(float)} into a new array. */
    public static float[] authorsQuirk(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = authorsQuirk(x[i]);
        }
        return out;
    }

    private static float clamp01(float v) {
        if (Float.isNaN(v)) {
            return v; // torch.clamp propagates NaN
        }
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }
}
