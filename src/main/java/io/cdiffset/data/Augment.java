package io.cdiffset.data;

import java.util.SplittableRandom;

/**
 * Joint SAR/EO geometric augmentation: draw one {@link Params} per sample and apply it to both images, so they
 * stay aligned. Composition order: crop (x, y, size×size) → horizontal flip → vertical flip → rotate 90°
 * clockwise. Crops are square, so rotation keeps the size.
 */
public final class Augment {

    private Augment() {
    }

    /** A concrete transform: crop origin, crop size and the three flags. */
    public record Params(int x, int y, int size, boolean hflip, boolean vflip, boolean rot90) {
    }

    /**
     * Random crop (uniform origin; the whole image when it is exactly {@code size}), horizontal flip p=0.5,
     * vertical flip p=0.5, 90° rotation p=0.5. Always draws the same number of values from {@code rnd} in the same
     * order (x, y, h, v, r), so results only depend on the seed.
     */
    public static Params random(int width, int height, int size, SplittableRandom rnd) {
        return random(width, height, size, rnd, true, true);
    }

    /** Like {@link #random(int, int, int, SplittableRandom)} with flips and/or rotation switchable. */
    public static Params random(int width, int height, int size, SplittableRandom rnd, boolean flips,
                                boolean rotate) {
        checkSize(width, height, size);
        int x = rnd.nextInt(width - size + 1);
        int y = rnd.nextInt(height - size + 1);
        boolean h = rnd.nextBoolean();
        boolean v = rnd.nextBoolean();
        boolean r = rnd.nextBoolean();
        return new Params(x, y, size, flips && h, flips && v, rotate && r);
    }

    /** Centre crop, no flips (evaluation). */
    public static Params center(int width, int height, int size) {
        checkSize(width, height, size);
        return new Params((width - size) / 2, (height - size) / 2, size, false, false, false);
    }

    private static void checkSize(int width, int height, int size) {
        if (size <= 0 || width < size || height < size) {
            throw new IllegalArgumentException("image " + width + "x" + height + " is smaller than the crop size "
                    + size);
        }
    }

    /**
     * For output pixel k = oy*size+ox, the source offset {@code sy*width+sx} inside one channel plane.
     */
    static int[] indexMap(Params p, int width, int height) {
        int s = p.size();
        if (p.x() < 0 || p.y() < 0 || p.x() + s > width || p.y() + s > height) {
            throw new IllegalArgumentException("crop " + p + " is outside the " + width + "x" + height + " image");
        }
        int[] map = new int[s * s];
        for (int oy = 0; oy < s; oy++) {
            for (int ox = 0; ox < s; ox++) {
                int y2 = p.rot90() ? s - 1 - ox : oy;
                int x2 = p.rot90() ? oy : ox;
                int y1 = p.vflip() ? s - 1 - y2 : y2;
                int x1 = p.hflip() ? s - 1 - x2 : x2;
                map[oy * s + ox] = (p.y() + y1) * width + p.x() + x1;
            }
        }
        return map;
    }

    /** Applies {@code p} to a CHW image, writing channels*size*size floats into {@code dst} at {@code dstOff}. */
    public static void apply(float[] src, int channels, int height, int width, Params p, float[] dst, int dstOff) {
        int[] map = indexMap(p, width, height);
        int plane = width * height;
        int out = map.length;
        for (int c = 0; c < channels; c++) {
            int so = c * plane;
            int doff = dstOff + c * out;
            for (int k = 0; k < out; k++) {
                dst[doff + k] = src[so + map[k]];
            }
        }
    }

    /** Applies {@code p} to a CHW image and returns the channels*size*size result. */
    public static float[] apply(float[] src, int channels, int height, int width, Params p) {
        float[] dst = new float[channels * p.size() * p.size()];
        apply(src, channels, height, width, p, dst, 0);
        return dst;
    }
}
