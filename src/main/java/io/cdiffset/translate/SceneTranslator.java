package io.cdiffset.translate;

import io.cdiffset.diffusion.CDiffLoss;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Progress;
import io.cdiffset.engine.Tensors;
import io.cdiffset.pipeline.ModelBundle;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.List;

/**
 * Translates a SAR image of any size: the image is padded to a multiple of 8, cut into overlapping windows of
 * {@code tile} pixels, each window is sampled with DDIM from its crop of ONE seeded noise canvas (so overlaps agree),
 * and the decoded windows are blended with weights that ramp linearly across the overlaps (no visible seams).
 * Memory per window is bounded by the tile size; the mosaic itself holds 5 floats per pixel.
 */
public final class SceneTranslator {
    public record Options(int steps, long seed, int tile, int overlap, int batch, Precision precision) {
        public Options {
            if (tile % 8 != 0 || tile < 32) throw new IllegalArgumentException("--tile must be a multiple of 8 and at least 32, got " + tile);
            if (overlap % 8 != 0 || overlap < 0 || overlap >= tile) throw new IllegalArgumentException("--overlap must be a multiple of 8 below the tile size, got " + overlap);
            if (steps < 1 || steps > 999) throw new IllegalArgumentException("--steps must be between 1 and 999, got " + steps);
            if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1");
        }
    }

    /** EO in [0,1] (CHW, 3 channels) and the confidence 1/σ² at the middle step (HW, not normalised; null if the model has no variance head). */
    public record Output(float[] eo, float[] confidence, int height, int width) {}

    /** A window of the padded image: top-left corner and size. */
    public record Window(int y, int x, int h, int w) {}

    private final ModelBundle model;
    private final Options opt;

    public SceneTranslator(ModelBundle model, Options opt) {
        this.model = model;
        this.opt = opt;
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

    /** @param sar CHW in [-1,1], 3 channels. */
    public Output translate(float[] sar, int h, int w, Progress progress) {
        int hp = (h + 7) / 8 * 8, wp = (w + 7) / 8 * 8;
        int min = 8 * minLatent();
        hp = Math.max(hp, min);
        wp = Math.max(wp, min);
        float[] padded = reflectPad(sar, 3, h, w, hp, wp);
        List<Window> wins = windows(hp, wp, opt.tile(), opt.overlap());
        Generator gen = torch.createCPUGenerator(opt.seed());
        Tensor canvas = torch.randn(new long[]{1, 4, hp / 8, wp / 8}, new GeneratorOptional(gen), Tensors.options(ScalarType.Float));
        float[] acc = new float[3 * hp * wp];
        float[] conf = model.unet().config().outChannels() > 4 ? new float[hp * wp] : null;
        float[] wsum = new float[hp * wp];
        int done = 0;
        for (int i = 0; i < wins.size(); i += opt.batch()) {
            List<Window> group = wins.subList(i, Math.min(wins.size(), i + opt.batch()));
            try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
                int th = group.get(0).h(), tw = group.get(0).w();
                float[] in = new float[group.size() * 3 * th * tw];
                List<Tensor> noise = new ArrayList<>();
                for (int g = 0; g < group.size(); g++) {
                    Window win = group.get(g);
                    copyWindow(padded, 3, hp, wp, win, in, g * 3 * th * tw);
                    noise.add(canvas.narrow(2, win.y() / 8, th / 8).narrow(3, win.x() / 8, tw / 8));
                }
                Tensor x = Tensors.fromFloats(in, group.size(), 3, th, tw);
                Tensor init = torch.cat(new org.bytedeco.pytorch.TensorVector(noise.toArray(new Tensor[0])), 0).contiguous();
                Tensor eo;
                Tensor rawMid;
                try (AutoCloseable ac = opt.precision().scope()) {
                    Tensor zs = model.vae().encodeLatent(x).to(ScalarType.Float);
                    final int base = done * opt.steps(), n = group.size();
                    final long total = (long) wins.size() * opt.steps();
                    Translator.Result r = Translator.sampleLatents(model.unet(), model.schedule(), zs, model.context(), init, opt.steps(), null,
                            k -> progress.update(base + (long) (k + 1) * n, total, "window " + (base / opt.steps() + n) + "/" + wins.size()));
                    eo = Translator.toUnitRange(model.vae().decodeLatent(r.latent().to(ScalarType.Float)).to(ScalarType.Float));
                    rawMid = r.rawVarianceMid();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                float[] eoArr = Tensors.toFloats(eo);
                float[] cArr = null;
                if (conf != null && rawMid != null) {
                    Tensor c = CDiffLoss.confidence(rawMid.to(ScalarType.Float));
                    c = torch.upsample_bilinear2d(c, new long[]{th, tw}, false);
                    cArr = Tensors.toFloats(c);
                }
                for (int g = 0; g < group.size(); g++) {
                    Window win = group.get(g);
                    float[] wgt = blendWeights(win, hp, wp, opt.overlap());
                    accumulate(acc, wsum, conf, hp, wp, win, eoArr, g * 3 * th * tw, cArr, g * th * tw, wgt);
                }
            }
            done += group.size();
        }
        float[] outEo = new float[3 * h * w];
        float[] outConf = conf == null ? null : new float[h * w];
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                int p = y * wp + xx;
                float s = wsum[p];
                for (int c = 0; c < 3; c++) outEo[c * h * w + y * w + xx] = acc[c * hp * wp + p] / s;
                if (outConf != null) outConf[y * w + xx] = conf[p] / s;
            }
        }
        return new Output(outEo, outConf, h, w);
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

    private static void accumulate(float[] acc, float[] wsum, float[] conf, int hp, int wp, Window win, float[] eo, int eoOff,
                                   float[] c, int cOff, float[] wgt) {
        int th = win.h(), tw = win.w();
        for (int y = 0; y < th; y++) {
            for (int x = 0; x < tw; x++) {
                float wv = wgt[y * tw + x];
                int p = (win.y() + y) * wp + win.x() + x;
                for (int ch = 0; ch < 3; ch++) acc[ch * hp * wp + p] += wv * eo[eoOff + ch * th * tw + y * tw + x];
                if (conf != null && c != null) conf[p] += wv * c[cOff + y * tw + x];
                wsum[p] += wv;
            }
        }
    }

    private static void copyWindow(float[] src, int ch, int h, int w, Window win, float[] dst, int off) {
        for (int c = 0; c < ch; c++) {
            for (int y = 0; y < win.h(); y++) {
                System.arraycopy(src, c * h * w + (win.y() + y) * w + win.x(), dst, off + c * win.h() * win.w() + y * win.w(), win.w());
            }
        }
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

    private static int mirror(int i, int n) {
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
