package io.cdiffset.train;

import io.cdiffset.data.Datasets;
import io.cdiffset.data.EoMapping;
import io.cdiffset.data.Pair;
import io.cdiffset.data.PairDataset;
import io.cdiffset.data.SarMapping;
import io.cdiffset.data.Split;
import io.cdiffset.data.Splits;
import io.cdiffset.engine.Progress;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Decoded SAR/EO pairs held in memory as CHW floats in [-1,1] (3 channels each), with deterministic joint
 * augmentation: random crop, horizontal flip, vertical flip and 90° rotation, each with p = 0.5, the same for SAR
 * and EO. Sizes here are small (the demo set is 56 × 1024²); large sets would stream instead.
 */
public final class PairImages {
    public record Image(String id, float[] sar, float[] eo, int height, int width) {}

    public record Crops(float[] sar, float[] eo, int batch, int size) {}

    private final List<Image> images;

    public PairImages(List<Image> images) {
        if (images.isEmpty()) throw new IllegalArgumentException("no training images");
        this.images = images;
    }

    public List<Image> images() {
        return images;
    }

    public int size() {
        return images.size();
    }

    /** Opens, validates (before any training) and splits a dataset, then decodes the chosen part. */
    /**
     * The train and validation images of a run: {@code dataOverride} ({@code --data}) or {@code data.dir} (resolved
     * with {@link TrainConfig#path}), split as {@code data.split} says, every image at least a crop in size.
     */
    public static PairImages[] load(TrainSettings s, Path dataOverride, Progress progress) {
        TrainSettings.Data d = s.data();
        String dir = dataOverride != null ? dataOverride.toString() : d.dir();
        if (dataOverride == null && TrainSettings.set(dir)) dir = TrainConfig.path(dir).toString();
        if (!TrainSettings.set(dir)) throw new IllegalArgumentException("no training data: pass --data DIR or set data.dir");
        return load(Path.of(dir), d.layout(), d.split(), d.trainFraction(), s.train().seed(), d.crop(), progress);
    }

    public static PairImages[] load(Path dir, String layout, String split, double trainFraction, long seed, int minSize, Progress progress) {
        PairDataset ds = Datasets.open(dir, layout);
        Datasets.validate(ds, minSize, false);
        Split s = choose(ds, split, trainFraction, seed);
        return new PairImages[]{decode(ds, s.train(), progress), decode(ds, s.test(), progress)};
    }

    static Split choose(PairDataset ds, String split, double trainFraction, long seed) {
        if (split.startsWith("file:")) return Splits.fromList(ds, Path.of(split.substring(5)));
        if (split.equals("random")) return Splits.random(ds, trainFraction, seed);
        if (split.equals("scene")) return Splits.byGroup(ds, trainFraction, seed);
        if (!split.equals("auto")) throw new IllegalArgumentException("data.split must be auto, random, scene or file:<ids.txt>, got " + split);
        return Splits.hasColumn(ds) ? Splits.fromColumn(ds) : Splits.byGroup(ds, trainFraction, seed);
    }

    static PairImages decode(PairDataset ds, int[] idx, Progress progress) {
        List<Image> out = new ArrayList<>();
        for (int k = 0; k < idx.length; k++) {
            Pair p = ds.load(idx[k]);
            String name = p.ref().sar().getFileName().toString();
            float[] sar = SarMapping.toModel(p.sar(), name);
            float[] eo = EoMapping.toModel(p.eo(), p.ref().eo().getFileName().toString());
            out.add(new Image(p.ref().id(), sar, eo, p.sar().height(), p.sar().width()));
            progress.update(k + 1, idx.length, "decoding images");
        }
        return new PairImages(out);
    }

    /** {@code batch} random crops of size {@code s}; fully determined by {@code rng}. */
    public Crops sample(SplittableRandom rng, int batch, int s) {
        float[] sar = new float[batch * 3 * s * s];
        float[] eo = new float[batch * 3 * s * s];
        for (int b = 0; b < batch; b++) {
            Image im = images.get(rng.nextInt(images.size()));
            if (im.height() < s || im.width() < s) {
                throw new IllegalArgumentException(im.id() + " is " + im.width() + "x" + im.height() + ", smaller than the crop size " + s);
            }
            int y0 = rng.nextInt(im.height() - s + 1), x0 = rng.nextInt(im.width() - s + 1);
            boolean hf = rng.nextBoolean(), vf = rng.nextBoolean(), rot = rng.nextBoolean();
            cropInto(im.sar(), im.height(), im.width(), y0, x0, s, hf, vf, rot, sar, b * 3 * s * s);
            cropInto(im.eo(), im.height(), im.width(), y0, x0, s, hf, vf, rot, eo, b * 3 * s * s);
        }
        return new Crops(sar, eo, batch, s);
    }

    /** Non-overlapping s×s crops of every image (row-major), un-augmented: evaluation and validation. */
    public List<String> gridIds(int s) {
        List<String> ids = new ArrayList<>();
        for (Image im : images) {
            for (int y = 0; y + s <= im.height(); y += s) {
                for (int x = 0; x + s <= im.width(); x += s) ids.add(im.id() + "_y" + y + "_x" + x);
            }
        }
        return ids;
    }

    public Crops gridCrops(int s, int from, int count) {
        float[] sar = new float[count * 3 * s * s];
        float[] eo = new float[count * 3 * s * s];
        int k = 0, n = 0;
        for (Image im : images) {
            for (int y = 0; y + s <= im.height(); y += s) {
                for (int x = 0; x + s <= im.width(); x += s) {
                    if (k >= from && n < count) {
                        cropInto(im.sar(), im.height(), im.width(), y, x, s, false, false, false, sar, n * 3 * s * s);
                        cropInto(im.eo(), im.height(), im.width(), y, x, s, false, false, false, eo, n * 3 * s * s);
                        n++;
                    }
                    k++;
                }
            }
        }
        if (n < count) throw new IllegalArgumentException("only " + n + " crops of " + s + " available from index " + from);
        return new Crops(sar, eo, count, s);
    }

    static void cropInto(float[] src, int h, int w, int y0, int x0, int s, boolean hf, boolean vf, boolean rot, float[] dst, int off) {
        cropInto(src, 3, h, w, y0, x0, s, hf, vf, rot, dst, off);
    }

    /** Copies an s×s window of a C×H×W array with optional 90° rotation and flips (same order for every channel). */
    public static void cropInto(float[] src, int channels, int h, int w, int y0, int x0, int s, boolean hf, boolean vf, boolean rot, float[] dst, int off) {
        for (int c = 0; c < channels; c++) {
            int base = c * h * w;
            int dbase = off + c * s * s;
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    int sy = y, sx = x;
                    if (rot) { // rotate 90° counter-clockwise: out(y,x) = in(x, s-1-y)
                        sy = x;
                        sx = s - 1 - y;
                    }
                    if (hf) sx = s - 1 - sx;
                    if (vf) sy = s - 1 - sy;
                    dst[dbase + y * s + x] = src[base + (y0 + sy) * w + (x0 + sx)];
                }
            }
        }
    }
}
