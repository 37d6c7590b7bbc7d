package io.cdiffset.translate;

import io.cdiffset.diffusion.CDiffLoss;
import io.cdiffset.engine.Tensors;
import io.cdiffset.diffusion.ModelBundle;
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
 * The whole-array SceneTranslator as it was before streaming (padded copy, accumulators and outputs over the whole
 * scene), kept verbatim as the reference the streaming path must match bit for bit.
 */
public final class WholeSceneReference {
    private WholeSceneReference() {}

    public static SceneTranslator.Output translate(ModelBundle model, SceneTranslator.Options opt, float[] sar, int h, int w) {
        int hp = (h + 7) / 8 * 8, wp = (w + 7) / 8 * 8;
        int min = 8 * Math.max(8, 1 << (model.unet().config().levels()));
        hp = Math.max(hp, min);
        wp = Math.max(wp, min);
        float[] padded = SceneTranslator.reflectPad(sar, 3, h, w, hp, wp);
        List<SceneTranslator.Window> wins = SceneTranslator.windows(hp, wp, opt.tile(), opt.overlap());
        Generator gen = torch.createCPUGenerator(opt.seed());
        Tensor canvas = torch.randn(new long[]{1, 4, hp / 8, wp / 8}, new GeneratorOptional(gen), Tensors.options(ScalarType.Float));
        float[] acc = new float[3 * hp * wp];
        float[] conf = model.unet().config().outChannels() > 4 ? new float[hp * wp] : null;
        float[] wsum = new float[hp * wp];
        for (int i = 0; i < wins.size(); i += opt.batch()) {
            List<SceneTranslator.Window> group = wins.subList(i, Math.min(wins.size(), i + opt.batch()));
            try (PointerScope scope = new PointerScope(); org.bytedeco.pytorch.InferenceMode im = new InferenceMode()) {
                int th = group.get(0).h(), tw = group.get(0).w();
                float[] in = new float[group.size() * 3 * th * tw];
                List<Tensor> noise = new ArrayList<>();
                for (int g = 0; g < group.size(); g++) {
                    SceneTranslator.Window win = group.get(g);
                    copyWindow(padded, 3, hp, wp, win, in, g * 3 * th * tw);
                    noise.add(canvas.narrow(2, win.y() / 8, th / 8).narrow(3, win.x() / 8, tw / 8));
                }
                Tensor x = Tensors.fromFloats(in, group.size(), 3, th, tw);
                Tensor init = torch.cat(new org.bytedeco.pytorch.TensorVector(noise.toArray(new Tensor[0])), 0).contiguous();
                Tensor eo;
                Tensor rawMid;
                try (io.cdiffset.engine.Precision.Scope ac = opt.precision().scope()) {
                    Tensor zs = model.vae().encodeLatent(x).to(ScalarType.Float);
                    io.cdiffset.diffusion.CDiffSetSampler.Result r = io.cdiffset.diffusion.CDiffSetSampler.create(model, opt.sampling()).sample(zs, model.context(), init, null);
                    eo = Translator.toUnitRange(model.vae().decodeLatent(r.latent().to(ScalarType.Float)).to(ScalarType.Float));
                    rawMid = r.rawVarianceMid();
                }
                float[] eoArr = Tensors.toFloats(eo);
                float[] cArr = null;
                if (conf != null && rawMid != null) {
                    Tensor c = CDiffLoss.confidence(rawMid.to(ScalarType.Float));
                    c = torch.upsample_bilinear2d(c, new long[]{th, tw}, false);
                    cArr = Tensors.toFloats(c);
                }
                for (int g = 0; g < group.size(); g++) {
                    SceneTranslator.Window win = group.get(g);
                    float[] wgt = SceneTranslator.blendWeights(win, hp, wp, opt.overlap());
                    accumulate(acc, wsum, conf, hp, wp, win, eoArr, g * 3 * th * tw, cArr, g * th * tw, wgt);
                }
            }
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
        return new SceneTranslator.Output(outEo, outConf, h, w);
    }

    private static void accumulate(float[] acc, float[] wsum, float[] conf, int hp, int wp, SceneTranslator.Window win, float[] eo, int eoOff,
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

    private static void copyWindow(float[] src, int ch, int h, int w, SceneTranslator.Window win, float[] dst, int off) {
        for (int c = 0; c < ch; c++) {
            for (int y = 0; y < win.h(); y++) {
                System.arraycopy(src, c * h * w + (win.y() + y) * w + win.x(), dst, off + c * win.h() * win.w() + y * win.w(), win.w());
            }
        }
    }
}
