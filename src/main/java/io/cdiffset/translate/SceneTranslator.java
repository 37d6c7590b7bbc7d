package io.cdiffset.translate;

import io.cdiffset.diffusion.CDiffSetSampler;
import io.cdiffset.diffusion.SamplingSettings;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Progress;
import io.cdiffset.engine.Tensors;
import io.cdiffset.diffusion.ModelBundle;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates a SAR image of any size: the image is padded to a multiple of 8, cut into overlapping windows of
 * {@code tile} pixels, each window is sampled with DDIM from its crop of ONE seeded noise canvas (so overlaps agree),
 * and the decoded windows are blended with weights that ramp linearly across the overlaps (no visible seams).
 * Windows are processed one row of windows at a time, reading the SAR from a {@link SarSource} and handing finished
 * rows to a {@link RowSink}, so memory is bounded by the tile size and the image width, not the image height.
 */
public final class SceneTranslator {
    /** How a scene is translated: sampling, noise seed, windows (size, overlap, how many at once) and precision. */
    public record Options(SamplingSettings sampling, long seed, int tile, int overlap, int batch, Precision precision) {
        /** Plain C-DiffSET sampling (DDIM, SAR guidance 1). */
        public Options(int steps, long seed, int tile, int overlap, int batch, Precision precision) {
            this(steps, seed, tile, overlap, batch, precision, 1.0, "ddim");
        }

        /** DDIM with SAR guidance. */
        public Options(int steps, long seed, int tile, int overlap, int batch, Precision precision, double sarGuidance) {
            this(steps, seed, tile, overlap, batch, precision, sarGuidance, "ddim");
        }

        /** Any sampler ({@link io.cdiffset.diffusion.Samplers#NAMES}). */
        public Options(int steps, long seed, int tile, int overlap, int batch, Precision precision, double sarGuidance, String sampler) {
            this(new SamplingSettings(sampler, steps, sarGuidance), seed, tile, overlap, batch, precision);
        }

        public Options {
            java.util.Objects.requireNonNull(sampling, "sampling");
            java.util.Objects.requireNonNull(precision, "precision");
            if (tile % 8 != 0 || tile < 32) throw new IllegalArgumentException("--tile must be a multiple of 8 and at least 32, got " + tile);
            if (overlap % 8 != 0 || overlap < 0 || overlap >= tile) throw new IllegalArgumentException("--overlap must be a multiple of 8 below the tile size, got " + overlap);
            if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1");
        }

        public int steps() {
            return sampling.steps();
        }
    }

    /** EO in [0,1] (CHW, 3 channels) and the confidence 1/σ² at the middle step (HW, not normalised; null if the model has no variance head). */
    public record Output(float[] eo, float[] confidence, int height, int width) {}

    /** A window of the padded image: top-left corner and size. */
    public record Window(int y, int x, int h, int w) implements java.io.Serializable {}

    private final ModelBundle model;
    private final Options opt;
    private final CDiffSetSampler sampler;

    public SceneTranslator(ModelBundle model, Options opt) {
        this.model = model;
        this.opt = opt;
        this.sampler = CDiffSetSampler.create(model, opt.sampling());
    }

    /** Window origins along one axis of length n (a multiple of 8): stride tile−overlap, last one flush with the end. */
    public static int[] positions(int n, int tile, int overlap) {
        if (n <= tile) return new int[]{0};
        int stride = tile - overlap;
        List<Integer> p = new ArrayList<>();
        for (int s = 0; ; s += stride) {
            if (s + tile >= n) {
                p.add(n - tile);
                break;
            }
            p.add(s);
        }
        return p.stream().mapToInt(Integer::intValue).toArray();
    }

    public static List<Window> windows(int h, int w, int tile, int overlap) {
        List<Window> out = new ArrayList<>();
        int th = Math.min(tile, h), tw = Math.min(tile, w);
        for (int y : positions(h, tile, overlap)) for (int x : positions(w, tile, overlap)) out.add(new Window(y, x, th, tw));
        return out;
    }

    /**
     * Translates an image held in memory (the whole result is returned; for scenes too large for that use
     * {@link #translate(SarSource, int, int, RowSink, Progress)}).
     *
     * @param sar CHW in [-1,1], 3 channels.
     */
    public Output translate(float[] sar, int h, int w, Progress progress) {
        float[] outEo = new float[3 * h * w];
        float[][] outConf = new float[1][];
        RowSink collect = (y, rows, eo, conf) -> {
            for (int c = 0; c < 3; c++) System.arraycopy(eo, c * rows * w, outEo, c * h * w + y * w, rows * w);
            if (conf != null) {
                if (outConf[0] == null) outConf[0] = new float[h * w];
                System.arraycopy(conf, 0, outConf[0], y * w, rows * w);
            }
        };
        try {
            translate(SarSource.inMemory(sar, h, w), h, w, collect, progress);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the collecting sink does no I/O
        }
        return new Output(outEo, outConf[0], h, w);
    }

    /**
     * Translates an {@code h × w} image row band by row band: the SAR is read from {@code source} one row of windows
     * at a time, and each output row goes to {@code sink} (top to bottom, exactly once) as soon as no later window
     * overlaps it. Memory is bounded by the tile size and the image width (about 8 floats per pixel of a band of
     * tile rows, plus the seeded noise canvas of 4×(H/8)×(W/8) floats); the numbers are bit-identical to
     * {@link #translate(float[], int, int, Progress)}.
     */
    public void translate(SarSource source, int h, int w, RowSink sink, Progress progress) throws IOException {
        Plan plan = plan(h, w);
        Tensor canvas = noiseCanvas(opt.seed(), plan.hp(), plan.wp());
        PaddedRows input = new PaddedRows(source, h, w, plan.hp(), plan.wp());
        Assembler assembler = new Assembler(plan, hasConfidence(), sink);
        int total = plan.windows().size();
        long steps = (long) total * opt.steps();
        for (int g = 0; g < plan.groups(); g++) {
            List<Window> group = plan.group(g);
            final int base = plan.firstWindow(g), n = group.size();
            WindowOutputs r = translateGroup(group, groupSar(input, group), canvas, k -> progress.update((long) base * opt.steps() + (long) (k + 1) * n, steps,
                    "window " + (base + n) + "/" + total));
            assembler.add(g, r);
        }
    }

    /**
     * How an {@code h × w} image is translated: its padded size, its windows in order and their groups of
     * {@code batch} consecutive windows (the unit a batch, or a distributed task, translates). The same plan gives
     * the same windows, groups and blend, so any process that follows it reproduces {@link #translate}.
     */
    public record Plan(int h, int w, int hp, int wp, List<Window> windows, int batch, int overlap) implements java.io.Serializable {
        public Plan {
            windows = List.copyOf(windows);
        }

        public int groups() {
            return (windows.size() + batch - 1) / batch;
        }

        /** Index of the first window of group {@code g}. */
        public int firstWindow(int g) {
            return g * batch;
        }

        /** The windows of group {@code g} (consecutive, same size). */
        public List<Window> group(int g) {
            return windows.subList(g * batch, Math.min(windows.size(), (g + 1) * batch));
        }
    }

    /** The plan of an {@code h × w} image under this translator's options. */
    public Plan plan(int h, int w) {
        int[] padded = paddedSize(h, w);
        return new Plan(h, w, padded[0], padded[1], windows(padded[0], padded[1], opt.tile(), opt.overlap()), opt.batch(), opt.overlap());
    }

    /** Whether the model has a variance head (then every window comes with a confidence map). */
    public boolean hasConfidence() {
        return model.unet().config().outChannels() > 4;
    }

    /** The SAR of group {@code g} of {@code plan}, read from {@code source} (the input of {@link #translateGroup}). */
    public static float[] groupSar(SarSource source, Plan plan, int g) {
        return groupSar(new PaddedRows(source, plan.h(), plan.w(), plan.hp(), plan.wp()), plan.group(g));
    }

    private static float[] groupSar(PaddedRows input, List<Window> group) {
        int th = group.get(0).h(), tw = group.get(0).w();
        float[] in = new float[group.size() * 3 * th * tw];
        for (int i = 0; i < group.size(); i++) input.copyWindow(group.get(i), in, i * 3 * th * tw);
        return in;
    }

    /**
     * Blends translated window groups, given in plan order, into the image and hands each finished band of rows to
     * a {@link RowSink} (top to bottom, exactly once) as soon as no later window overlaps it. Memory is bounded by the
     * tile size and the image width. The one blend both the single-process path and a distributed assemble use, so
     * their numbers are bit-identical.
     */
    public static final class Assembler {
        private final Plan plan;
        private final boolean hasConf;
        private final RowSink sink;
        private final BlendBand band;
        private int next;
        private int flushed;

        public Assembler(Plan plan, boolean hasConfidence, RowSink sink) {
            this.plan = plan;
            this.hasConf = hasConfidence;
            this.sink = sink;
            this.band = new BlendBand(plan.wp(), bandRows(plan.windows(), plan.batch()));
        }

        /** Adds group {@code g} (groups must come in order 0, 1, ...) and emits the rows it completes. */
        public void add(int g, WindowOutputs r) throws IOException {
            if (g != next) throw new IllegalStateException("window group " + g + " arrived, expected " + next);
            List<Window> group = plan.group(g);
            int th = group.get(0).h(), tw = group.get(0).w();
            for (int i = 0; i < group.size(); i++) {
                Window win = group.get(i);
                band.add(win, r.eo(), i * 3 * th * tw, r.confidence(), i * th * tw, blendWeights(win, plan.hp(), plan.wp(), plan.overlap()));
            }
            next++;
            int done = Math.min(plan.windows().size(), plan.firstWindow(g) + group.size());
            // rows above the next window are final: no later window touches them
            int nextY = done < plan.windows().size() ? plan.windows().get(done).y() : plan.hp();
            int emitEnd = Math.min(nextY, plan.h());
            if (emitEnd > flushed) {
                float[][] rows = band.normalised(flushed, emitEnd, plan.w(), hasConf);
                sink.rows(flushed, emitEnd - flushed, rows[0], rows[1]);
            }
            band.clear(flushed, nextY);
            flushed = nextY;
        }
    }

    /**
     * The seeded noise of a padded {@code hp × wp} image: ONE Gaussian canvas [1,4,hp/8,wp/8] from a CPU generator
     * seeded with {@code seed}; each window samples from its crop, so overlapping windows agree and any process that
     * makes the canvas with the same seed gives the same windows.
     */
    public static Tensor noiseCanvas(long seed, int hp, int wp) {
        Generator gen = torch.createCPUGenerator(seed);
        return torch.randn(new long[]{1, 4, hp / 8, wp / 8}, new GeneratorOptional(gen), Tensors.options(ScalarType.Float));
    }

    /** The padded size of an {@code h × w} image: a multiple of 8, at least the UNet's smallest input. */
    public int[] paddedSize(int h, int w) {
        int min = 8 * minLatent();
        return new int[]{Math.max((h + 7) / 8 * 8, min), Math.max((w + 7) / 8 * 8, min)};
    }

    /** The translated windows of one group: EO CHW [0,1] per window back to back, confidence HW per window (or null). */
    public record WindowOutputs(float[] eo, float[] confidence) implements java.io.Serializable {}

    /**
     * Translates one group of same-size windows as a batch.
     *
     * @param sar    the windows' SAR, CHW in [-1,1], back to back ({@code group.size() × 3 × h × w})
     * @param canvas the scene's {@link #noiseCanvas}; each window takes its crop
     * @param onStep called after each sampling step (may be null)
     */
    public WindowOutputs translateGroup(List<Window> group, float[] sar, Tensor canvas, java.util.function.IntConsumer onStep) {
        int th = group.get(0).h(), tw = group.get(0).w();
        try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
            List<Tensor> noise = new ArrayList<>();
            for (Window win : group) noise.add(canvas.narrow(2, win.y() / 8, th / 8).narrow(3, win.x() / 8, tw / 8));
            Tensor x = Tensors.fromFloats(sar, group.size(), 3, th, tw);
            Tensor init = torch.cat(new org.bytedeco.pytorch.TensorVector(noise.toArray(new Tensor[0])), 0).contiguous();
            Translator.Windows r = Translator.translate(model, sampler, x, init, opt.precision(), onStep);
            return new WindowOutputs(Tensors.toFloats(r.eo()), r.confidence() == null ? null : Tensors.toFloats(r.confidence()));
        }
    }

    /**
     * Ring size of the blend band: the rows between the first window of a batch (all rows above it are out) and the
     * lowest window end in the batch; a batch may span two rows of windows.
     */
    static int bandRows(List<Window> wins, int batch) {
        int rows = 0;
        for (int i = 0; i < wins.size(); i += batch) {
            int first = wins.get(i).y();
            for (int g = i; g < Math.min(wins.size(), i + batch); g++) {
                rows = Math.max(rows, wins.get(g).y() + wins.get(g).h() - first);
            }
        }
        return rows;
    }

    /** The smallest latent side the UNet accepts: every level must keep ≥ 1 pixel; we ask for 2 at the deepest. */
    private int minLatent() {
        return Math.max(8, 1 << (model.unet().config().levels()));
    }

    /**
     * Per-pixel blend weights of a window: 1 in the interior, ramping linearly from 1/(overlap+1) to 1 across each
     * side that overlaps a neighbour (sides on the image border keep weight 1).
     */
    static float[] blendWeights(Window win, int hp, int wp, int overlap) {
        float[] wy = ramp(win.y(), win.h(), hp, overlap);
        float[] wx = ramp(win.x(), win.w(), wp, overlap);
        float[] out = new float[win.h() * win.w()];
        for (int y = 0; y < win.h(); y++) for (int x = 0; x < win.w(); x++) out[y * win.w() + x] = wy[y] * wx[x];
        return out;
    }

    private static float[] ramp(int start, int len, int n, int overlap) {
        float[] r = new float[len];
        for (int i = 0; i < len; i++) {
            float v = 1f;
            if (overlap > 0) {
                if (start > 0 && i < overlap) v = Math.min(v, (i + 1f) / (overlap + 1f));
                if (start + len < n && len - 1 - i < overlap) v = Math.min(v, (len - i) / (overlap + 1f));
            }
            r[i] = v;
        }
        return r;
    }

    /** Mirror padding (edge pixel not repeated) on the bottom and right; falls back to edge replication for tiny images. */
    static float[] reflectPad(float[] src, int ch, int h, int w, int hp, int wp) {
        if (hp == h && wp == w) return src;
        float[] out = new float[ch * hp * wp];
        for (int c = 0; c < ch; c++) {
            for (int y = 0; y < hp; y++) {
                int sy = mirror(y, h);
                for (int x = 0; x < wp; x++) out[c * hp * wp + y * wp + x] = src[c * h * w + sy * w + mirror(x, w)];
            }
        }
        return out;
    }

    static int mirror(int i, int n) {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        int m = i % period;
        return m < n ? m : period - m;
    }

    /** Min-max normalisation per image (as the authors' test.py does for display). */
    public static float[] normalise(float[] v) {
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (float f : v) {
            lo = Math.min(lo, f);
            hi = Math.max(hi, f);
        }
        float[] out = new float[v.length];
        float span = hi - lo;
        for (int i = 0; i < v.length; i++) out[i] = span > 0 ? (v[i] - lo) / span : 0f;
        return out;
    }
}
