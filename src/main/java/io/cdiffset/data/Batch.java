package io.cdiffset.data;

/**
 * A batch of aligned SAR/EO crops in model format.
 *
 * @param ids  sample ids (pair id, or crop id {@code <pair>_x<X>_y<Y>} in fixed-crop mode)
 * @param sar  [b, 3, size, size] float in [-1, 1], row-major
 * @param eo   [b, 3, size, size] float in [-1, 1]
 * @param b    number of samples (the last batch of an epoch may be smaller unless dropLast)
 * @param size crop size S
 */
public record Batch(String[] ids, float[] sar, float[] eo, int b, int size) {

    /** Floats per sample: 3*size*size. */
    public int sampleLength() {
        return 3 * size * size;
    }

    @Override
    public String toString() {
        return "Batch[b=" + b + ", size=" + size + "]";
    }
}
