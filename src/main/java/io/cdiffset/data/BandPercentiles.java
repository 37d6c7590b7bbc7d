package io.cdiffset.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exact order statistics of bands that are read in passes (never held whole): each wanted rank starts with the
 * band's [min, max] and is narrowed by histogram passes (65,536 bins, each with its own min and max) until at most
 * 2^20 values remain in its interval, which one more pass collects and sorts. A typical band needs one histogram
 * pass and one collecting pass. The selected values are exactly those a full sort would put at those ranks.
 */
final class BandPercentiles {
    static final int BINS = 1 << 16;
    static final int COLLECT_LIMIT = 1 << 20;

    /** One wanted rank of one band. */
    static final class Target {
        final int band;
        final long rank;
        float lo;
        float hi;
        long below;
        long count;
        boolean done;
        float value;
        // histogram mode
        int[] counts;
        float[] binMin;
        float[] binMax;
        double scale;
        // collecting mode
        float[] values;
        int filled;

        Target(int band, long rank, float min, float max, long n) {
            this.band = band;
            this.rank = rank;
            this.lo = min;
            this.hi = max;
            this.count = n;
            if (min == max) resolve(min);
        }

        private void resolve(float v) {
            done = true;
            value = v;
            counts = null;
            binMin = null;
            binMax = null;
            values = null;
        }

        void startPass() {
            if (count <= COLLECT_LIMIT) {
                values = new float[(int) count];
                filled = 0;
            } else {
                counts = new int[BINS];
                binMin = new float[BINS];
                binMax = new float[BINS];
                Arrays.fill(binMin, Float.POSITIVE_INFINITY);
                Arrays.fill(binMax, Float.NEGATIVE_INFINITY);
                scale = BINS / ((double) hi - lo);
            }
        }

        void accept(float[] data, int off, int len) {
            if (values != null) {
                for (int i = off; i < off + len; i++) {
                    float v = data[i];
                    if (v >= lo && v <= hi) values[filled++] = v;
                }
            } else {
                for (int i = off; i < off + len; i++) {
                    float v = data[i];
                    if (v >= lo && v <= hi) {
                        int b = Math.min(BINS - 1, (int) (((double) v - lo) * scale)); // monotone in v
                        counts[b]++;
                        if (v < binMin[b]) binMin[b] = v;
                        if (v > binMax[b]) binMax[b] = v;
                    }
                }
            }
        }

        void endPass() {
            if (values != null) {
                if (filled != count) throw new IllegalStateException("band changed between passes: " + filled + " != " + count);
                Arrays.sort(values);
                resolve(values[(int) (rank - below)]);
                return;
            }
            long cum = below;
            for (int b = 0; b < BINS; b++) {
                if (rank < cum + counts[b]) {
                    below = cum;
                    count = counts[b];
                    lo = binMin[b];
                    hi = binMax[b];
                    counts = null;
                    binMin = null;
                    binMax = null;
                    if (lo == hi) resolve(lo);
                    return;
                }
                cum += counts[b];
            }
            throw new IllegalStateException("band changed between passes: rank " + rank + " not found");
        }
    }

    /** A pass over all bands: calls {@code visitor} with each chunk of each band. */
    interface Pass {
        void run(ChunkVisitor visitor);
    }

    /** Receives band {@code band}'s values {@code data[off, off+len)} (in any chunking). */
    interface ChunkVisitor {
        void chunk(int band, float[] data, int off, int len);
    }

    private BandPercentiles() {
    }

    /**
     * The values at {@code ranks} (0-based, ascending order) of each band, given each band's size {@code n}, min and
     * max (finite values only). Returns {@code [band][rank index]}.
     */
    static float[][] select(Pass pass, int bands, long n, float[] min, float[] max, long[] ranks) {
        List<Target> all = new ArrayList<>();
        for (int b = 0; b < bands; b++) for (long k : ranks) all.add(new Target(b, k, min[b], max[b], n));
        while (true) {
            List<Target> open = all.stream().filter(t -> !t.done).toList();
            if (open.isEmpty()) break;
            open.forEach(Target::startPass);
            pass.run((band, data, off, len) -> {
                for (Target t : open) if (t.band == band) t.accept(data, off, len);
            });
            open.forEach(Target::endPass);
        }
        float[][] out = new float[bands][ranks.length];
        for (int i = 0; i < all.size(); i++) out[i / ranks.length][i % ranks.length] = all.get(i).value;
        return out;
    }

    /** numpy.percentile (linear interpolation) from the values at the two ranks it needs; see {@link #ranks}. */
    static double percentile(long n, double p, float atLo, float atHi) {
        if (n == 1) return atLo;
        double pos = p / 100.0 * (n - 1);
        long lo = (long) Math.floor(pos);
        double f = pos - lo;
        return atLo + (atHi - (double) atLo) * f;
    }

    /** The two ranks {floor(p/100·(n−1)), min(that+1, n−1)} numpy's linear percentile interpolates between. */
    static long[] ranks(long n, double p) {
        if (n == 1) return new long[]{0, 0};
        double pos = p / 100.0 * (n - 1);
        long lo = (long) Math.floor(pos);
        return new long[]{lo, Math.min(lo + 1, n - 1)};
    }
}
