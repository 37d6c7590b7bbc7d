package io.cdiffset.data;

import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.RasterException;
import io.cdiffset.io.raster.Rasters;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Produces {@link Batch}es from a data set on background daemon threads with a bounded prefetch queue.
 * <p>
 * Three modes: {@link #random} (training: random crop + flips/rotation, reshuffled every epoch),
 * {@link #center} (evaluation: centre crop) and {@link #fixedCrops} (every non-overlapping crop).
 * Results are deterministic for a given seed regardless of thread timing: the epoch order comes from
 * (seed, epoch) and each sample's augmentation RNG from (seed, epoch, sample index).
 * Decoded+mapped images are kept in an LRU cache (byte budget, U8 sources stored at 1 byte/value).
 * Worker failures are re-thrown in the consumer as a {@link DataException} whose one-line message names the file.
 * Use with try-with-resources; {@link #close()} stops the threads.
 */
public final class BatchLoader implements AutoCloseable {

    /** Loader settings (fluent). Unset shuffle/dropLast default to true for {@link #random}, false otherwise. */
    public static final class Options {
        int batchSize = 4;
        int size = 256;
        long seed = 0;
        int workers = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() - 1));
        int prefetch = 4;
        long cacheBytes = 1L << 30;
        Boolean shuffle;
        Boolean dropLast;
        boolean flips = true;
        boolean rotate = true;

        public Options batchSize(int v) {
            if (v <= 0) {
                throw new IllegalArgumentException("batch size must be positive");
            }
            batchSize = v;
            return this;
        }

        /** Crop size S. */
        public Options size(int v) {
            if (v <= 0) {
                throw new IllegalArgumentException("crop size must be positive");
            }
            size = v;
            return this;
        }

        public Options seed(long v) {
            seed = v;
            return this;
        }

        /** Background threads (≥ 1). */
        public Options workers(int v) {
            workers = Math.max(1, v);
            return this;
        }

        /** Maximum batches prepared ahead of the consumer (≥ 1). */
        public Options prefetch(int v) {
            prefetch = Math.max(1, v);
            return this;
        }

        /** Image cache budget in bytes; 0 disables caching. Default 1 GiB. */
        public Options cacheBytes(long v) {
            cacheBytes = Math.max(0, v);
            return this;
        }

        public Options shuffle(boolean v) {
            shuffle = v;
            return this;
        }

        public Options dropLast(boolean v) {
            dropLast = v;
            return this;
        }

        /** Random flips in {@link #random} mode (default on). */
        public Options flips(boolean v) {
            flips = v;
            return this;
        }

        /** Random 90° rotation in {@link #random} mode (default on). */
        public Options rotate(boolean v) {
            rotate = v;
            return this;
        }
    }

    private enum Mode { RANDOM, CENTER, FIXED }

    private record Sample(int pairIndex, String id, int x, int y) {
    }

    private final PairDataset ds;
    private final List<Sample> samples;
    private final Mode mode;
    private final int batchSize;
    private final int size;
    private final long seed;
    private final int prefetch;
    private final boolean shuffle;
    private final boolean dropLast;
    private final boolean flips;
    private final boolean rotate;
    private final ImageCache cache;
    private final ExecutorService pool;
    private final AtomicLong decodes = new AtomicLong();
    private volatile boolean closed;

    private BatchLoader(PairDataset ds, List<Sample> samples, Mode mode, Options o) {
        this.ds = ds;
        this.samples = List.copyOf(samples);
        this.mode = mode;
        this.batchSize = o.batchSize;
        this.size = o.size;
        this.seed = o.seed;
        this.prefetch = o.prefetch;
        this.shuffle = o.shuffle != null ? o.shuffle : mode == Mode.RANDOM;
        this.dropLast = o.dropLast != null ? o.dropLast : mode == Mode.RANDOM;
        this.flips = o.flips;
        this.rotate = o.rotate;
        this.cache = o.cacheBytes > 0 ? new ImageCache(o.cacheBytes) : null;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(o.workers, r -> {
            Thread t = new Thread(r, "cdiffset-loader-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Training: one random crop per pair and epoch, random flips/rotation, shuffled (default), dropLast (default). */
    public static BatchLoader random(PairDataset ds, int[] indices, Options o) {
        return new BatchLoader(ds, pairSamples(ds, indices), Mode.RANDOM, o);
    }

    /** Evaluation: one centre crop per pair, no augmentation, dataset order (default). */
    public static BatchLoader center(PairDataset ds, int[] indices, Options o) {
        return new BatchLoader(ds, pairSamples(ds, indices), Mode.CENTER, o);
    }

    /** Every non-overlapping size×size crop of the given pairs ({@link FixedCrops#plan}), no augmentation. */
    public static BatchLoader fixedCrops(PairDataset ds, int[] indices, Options o) {
        List<Sample> s = new ArrayList<>();
        for (FixedCrops.Crop c : FixedCrops.plan(ds, indices, o.size)) {
            s.add(new Sample(c.pairIndex(), c.id(), c.x(), c.y()));
        }
        return new BatchLoader(ds, s, Mode.FIXED, o);
    }

    private static List<Sample> pairSamples(PairDataset ds, int[] indices) {
        List<Sample> s = new ArrayList<>();
        for (int i : indices) {
            s.add(new Sample(i, ds.ref(i).id(), -1, -1));
        }
        return s;
    }

    /** Samples per epoch (pairs, or crops in fixed-crop mode). */
    public int samples() {
        return samples.size();
    }

    public int batchesPerEpoch() {
        int n = samples.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** Number of image files decoded so far (cache misses); for diagnostics. */
    public long decodes() {
        return decodes.get();
    }

    /**
     * Starts an epoch. Iterate it (in a try-with-resources) to get {@link #batchesPerEpoch()} batches; loading
     * runs ahead by up to {@code prefetch} batches.
     */
    public Epoch epoch(int epoch) {
        if (closed) {
            throw new IllegalStateException("BatchLoader is closed");
        }
        return new Epoch(epoch);
    }

    @Override
    public void close() {
        closed = true;
        pool.shutdownNow();
    }

    /** Iterator over the batches of one epoch. */
    public final class Epoch implements Iterator<Batch>, AutoCloseable {
        private final int epoch;
        private final int[] order;
        private final int nBatches;
        private final ArrayDeque<Future<Batch>> pending = new ArrayDeque<>();
        private int submitted;
        private int consumed;

        private Epoch(int epoch) {
            this.epoch = epoch;
            int n = samples.size();
            this.order = shuffle ? Splits.permutation(n, new SplittableRandom(mix(seed, epoch, -1)))
                    : identity(n);
            this.nBatches = batchesPerEpoch();
            fill();
        }

        private void fill() {
            while (submitted < nBatches && pending.size() < prefetch) {
                final int bi = submitted++;
                pending.add(pool.submit(() -> makeBatch(epoch, order, bi)));
            }
        }

        @Override
        public boolean hasNext() {
            return consumed < nBatches;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Future<Batch> f = pending.poll();
            consumed++;
            fill();
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new DataException("interrupted while loading data", e);
            } catch (ExecutionException e) {
                close();
                Throwable c = e.getCause();
                throw new DataException(c.getMessage() != null ? c.getMessage() : c.toString(), c);
            } catch (CancellationException e) {
                throw new DataException("data loading was cancelled (loader closed)", e);
            }
        }

        /** Cancels batches still being prepared. */
        @Override
        public void close() {
            for (Future<Batch> f : pending) {
                f.cancel(true);
            }
            pending.clear();
            consumed = nBatches;
        }
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    /** SplitMix64-style mixing of (seed, epoch, index) into one RNG seed. */
    static long mix(long seed, long epoch, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private Batch makeBatch(int epoch, int[] order, int bi) {
        int from = bi * batchSize;
        int b = Math.min(batchSize, order.length - from);
        int len = 3 * size * size;
        float[] sar = new float[b * len];
        float[] eo = new float[b * len];
        String[] ids = new String[b];
        for (int j = 0; j < b; j++) {
            int si = order[from + j];
            Sample s = samples.get(si);
            PairRef ref = ds.ref(s.pairIndex());
            ImageCache.Chw simg = mapped(ref.sar().toString(), ref, true);
            ImageCache.Chw eimg = mapped(ref.eo().toString(), ref, false);
            if (simg.width != eimg.width || simg.height != eimg.height) {
                throw new DataException("size mismatch in pair '" + ref.id() + "': SAR " + ref.sar() + " is "
                        + simg.width + "x" + simg.height + " but EO " + ref.eo() + " is " + eimg.width + "x"
                        + eimg.height + "; resample both to the same grid");
            }
            if (simg.width < size || simg.height < size) {
                throw new DataException("image " + ref.sar() + " is " + simg.width + "x" + simg.height
                        + ", smaller than the crop size " + size + "; use a smaller crop size or drop the pair");
            }
            Augment.Params p = switch (mode) {
                case RANDOM -> Augment.random(simg.width, simg.height, size,
                        new SplittableRandom(mix(seed, epoch, si)), flips, rotate);
                case CENTER -> Augment.center(simg.width, simg.height, size);
                case FIXED -> new Augment.Params(s.x(), s.y(), size, false, false, false);
            };
            simg.extract(p, sar, j * len);
            eimg.extract(p, eo, j * len);
            ids[j] = s.id();
        }
        return new Batch(ids, sar, eo, b, size);
    }

    private ImageCache.Chw mapped(String name, PairRef ref, boolean isSar) {
        java.nio.file.Path path = isSar ? ref.sar() : ref.eo();
        if (cache != null) {
            ImageCache.Chw c = cache.get(path);
            if (c != null) {
                return c;
            }
        }
        Raster r;
        try {
            r = Rasters.read(path);
        } catch (RasterException e) {
            throw new DataException(e.getMessage(), e);
        }
        decodes.incrementAndGet();
        float[] m = isSar ? SarMapping.toModel(r, name) : EoMapping.toModel(r, name);
        ImageCache.Chw c = ImageCache.Chw.of(m, 3, r.height(), r.width());
        if (cache != null) {
            cache.put(path, c);
        }
        return c;
    }
}
