package io.cdiffset.data;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * LRU cache of mapped (model-format, 3-channel) images keyed by path, bounded by bytes. Images whose values are
 * exactly {@code k/127.5-1} for integer k in 0..255 (every U8 source) are stored as one byte per value.
 */
final class ImageCache {

    /** A mapped CHW image, compact when possible. */
    static final class Chw {
        final int channels, height, width;
        private final byte[] codes;
        private final float[] values;

        private Chw(int c, int h, int w, byte[] codes, float[] values) {
            this.channels = c;
            this.height = h;
            this.width = w;
            this.codes = codes;
            this.values = values;
        }

        static Chw of(float[] v, int c, int h, int w) {
            byte[] codes = new byte[v.length];
            for (int i = 0; i < v.length; i++) {
                int k = Math.round((v[i] + 1f) * 127.5f);
                if (k < 0 || k > 255 || k / 127.5f - 1f != v[i]) {
                    return new Chw(c, h, w, null, v);
                }
                codes[i] = (byte) k;
            }
            return new Chw(c, h, w, codes, null);
        }

        long bytes() {
            return codes != null ? codes.length : 4L * values.length;
        }

        /** Crop/flip/rotate into dst (channels*size*size floats at off). */
        void extract(Augment.Params p, float[] dst, int off) {
            int[] map = Augment.indexMap(p, width, height);
            int plane = width * height;
            int n = map.length;
            for (int c = 0; c < channels; c++) {
                int so = c * plane;
                int d = off + c * n;
                if (codes != null) {
                    for (int k = 0; k < n; k++) {
                        dst[d + k] = (codes[so + map[k]] & 0xFF) / 127.5f - 1f;
                    }
                } else {
                    for (int k = 0; k < n; k++) {
                        dst[d + k] = values[so + map[k]];
                    }
                }
            }
        }
    }

    private final long budget;
    private long used;
    private final LinkedHashMap<Path, Chw> map = new LinkedHashMap<>(16, 0.75f, true);

    ImageCache(long budgetBytes) {
        this.budget = budgetBytes;
    }

    synchronized Chw get(Path p) {
        return map.get(p);
    }

    synchronized void put(Path p, Chw img) {
        long b = img.bytes();
        if (b > budget || map.containsKey(p)) {
            return;
        }
        Iterator<Map.Entry<Path, Chw>> it = map.entrySet().iterator();
        while (used + b > budget && it.hasNext()) {
            used -= it.next().getValue().bytes();
            it.remove();
        }
        map.put(p, img);
        used += b;
    }

    synchronized long usedBytes() {
        return used;
    }
}
