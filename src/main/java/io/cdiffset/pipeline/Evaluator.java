package io.cdiffset.pipeline;

import io.cdiffset.diffusion.CDiffSetSampler;
import io.cdiffset.diffusion.SamplingSettings;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.engine.Progress;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.raster.ColorMaps;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import io.cdiffset.metrics.Denorm;
import io.cdiffset.metrics.EvaluationReport;
import io.cdiffset.metrics.Fid;
import io.cdiffset.metrics.nets.FidInception;
import io.cdiffset.metrics.nets.Lpips;
import io.cdiffset.metrics.nets.TorchHub;
import io.cdiffset.translate.SceneTranslator;
import io.cdiffset.translate.Translator;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores predictions against targets with the paper's metrics (PSNR, SSIM, SCC as torchmetrics; LPIPS-VGG and FID
 * when their backbone weights are given), in the standard [-1,1]→[0,1] convention and, in separate columns, the
 * authors' clamp(x + 0.5) convention.
 */
public final class Evaluator {
    /** One evaluated example: images as CHW in [0,1]; sar and confidence may be null. */
    public record Example(String id, float[] sar, float[] prediction, float[] target, float[] confidence, int h, int w) {}

    private final Lpips lpips;
    private final FidInception inception;
    private final String lpipsSkip;
    private final String fidSkip;
    /** The backbone files used (for the report), null when the metric is skipped. */
    private final String lpipsSource;
    private final String fidSource;

    /** Backbones only as given (null: that metric is skipped). */
    public Evaluator(Path lpipsVgg, Path inceptionWeights) {
        this(lpipsVgg, inceptionWeights, null);
    }

    /**
     * Backbones as given, else the standard files ({@value TorchHub#VGG16}, {@value TorchHub#INCEPTION}) from the torch
     * hub cache {@code hub} (null: no lookup), hash-checked; a metric without a backbone is skipped with the reason.
     */
    public Evaluator(Path lpipsVgg, Path inceptionWeights, TorchHub hub) {
        Path vgg = lpipsVgg != null ? lpipsVgg : hub == null ? null : hub.find(TorchHub.VGG16);
        Path inc = inceptionWeights != null ? inceptionWeights : hub == null ? null : hub.find(TorchHub.INCEPTION);
        this.lpips = vgg == null ? null : Lpips.load(vgg);
        this.inception = inc == null ? null : FidInception.load(inc);
        this.lpipsSource = vgg == null ? null : vgg + (lpipsVgg == null ? " (torch hub cache)" : "");
        this.fidSource = inc == null ? null : inc + (inceptionWeights == null ? " (torch hub cache)" : "");
        String where = hub == null ? "" : ", or " + "%s in " + hub.checkpoints();
        this.lpipsSkip = "no VGG16 backbone (--lpips-vgg FILE: torchvision's " + TorchHub.VGG16 + " or safetensors" + where.formatted(TorchHub.VGG16) + ")";
        this.fidSkip = "no InceptionV3 weights (--inception FILE: pytorch-fid's " + TorchHub.INCEPTION + " or safetensors" + where.formatted(TorchHub.INCEPTION) + ")";
    }

    /** Which backbone file each learned metric uses: {@code lpips} / {@code fid} → file, or why it is skipped. */
    public java.util.Map<String, String> backbones() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("lpips_backbone", lpipsSource != null ? lpipsSource : "skipped: " + lpipsSkip);
        m.put("fid_backbone", fidSource != null ? fidSource : "skipped: " + fidSkip);
        return m;
    }

    /** Scores every example, writes images for the HTML grid under {@code imagesDir} (relative to the report). */
    public EvaluationReport evaluate(String title, List<Example> examples, Path reportDir, boolean writeImages, Progress progress) throws IOException {
        EvaluationReport rep = new EvaluationReport(title);
        backbones().forEach(rep::putMetadata);
        Path img = reportDir.resolve("images");
        if (writeImages) Files.createDirectories(img);
        List<float[]> predsQ = new ArrayList<>(), targetsQ = new ArrayList<>();
        int k = 0;
        for (Example e : examples) {
            int c = 3, h = e.h(), w = e.w();
            EvaluationReport.Scores std = EvaluationReport.Scores.compute(e.prediction(), e.target(), c, h, w);
            float[] pq = quirk(e.prediction()), tq = quirk(e.target());
            predsQ.add(pq);
            targetsQ.add(tq);
            EvaluationReport.Scores q = EvaluationReport.Scores.compute(pq, tq, c, h, w);
            if (lpips != null) {
                std = std.withLpips(lpips.distance(e.prediction(), e.target(), c, h, w, Lpips.Input.ZERO_TO_ONE));
                q = q.withLpips(lpips.distance(pq, tq, c, h, w, Lpips.Input.ZERO_TO_ONE_AUTHORS_QUIRK));
            }
            EvaluationReport.ImagePaths paths = null;
            if (writeImages) {
                String id = e.id().replaceAll("[^A-Za-z0-9._-]", "_");
                write(img.resolve(id + "_pred.png"), e.prediction(), 3, h, w);
                write(img.resolve(id + "_target.png"), e.target(), 3, h, w);
                String sar = null, conf = null;
                if (e.sar() != null) {
                    write(img.resolve(id + "_sar.png"), e.sar(), 3, h, w);
                    sar = "images/" + id + "_sar.png";
                }
                if (e.confidence() != null) {
                    Rasters.writePng(img.resolve(id + "_confidence.png"), ColorMaps.colorize(SceneTranslator.normalise(e.confidence()), w, h));
                    conf = "images/" + id + "_confidence.png";
                }
                paths = new EvaluationReport.ImagePaths(sar, "images/" + id + "_pred.png", "images/" + id + "_target.png", conf);
            }
            rep.addRow(e.id(), std, q, paths);
            progress.update(++k, examples.size(), "scoring");
        }
        if (lpips == null) rep.skipLpips(lpipsSkip);
        if (inception == null) {
            rep.skipFid(fidSkip);
        } else if (examples.size() < 2) {
            rep.skipFid("FID needs at least 2 images");
        } else {
            List<float[]> p = new ArrayList<>(), t = new ArrayList<>();
            for (Example e : examples) {
                p.add(e.prediction());
                t.add(e.target());
            }
            int h = examples.get(0).h(), w = examples.get(0).w();
            rep.setFid(Fid.frechetDistance(Fid.stats(inception.features(p, 3, h, w)), Fid.stats(inception.features(t, 3, h, w))));
            rep.setFidAuthorsQuirk(Fid.frechetDistance(Fid.stats(inception.features(predsQ, 3, h, w)), Fid.stats(inception.features(targetsQ, 3, h, w))));
        }
        return rep;
    }

    /** The authors' convention: the [0,1] image back to [-1,1], then clamp(x + 0.5, 0, 1). */
    static float[] quirk(float[] unit) {
        float[] out = new float[unit.length];
        for (int i = 0; i < unit.length; i++) out[i] = Denorm.authorsQuirk(unit[i] * 2f - 1f);
        return out;
    }

    static void write(Path png, float[] chw01, int c, int h, int w) {
        float[] u8 = new float[chw01.length];
        for (int i = 0; i < u8.length; i++) u8[i] = Math.round(Math.max(0f, Math.min(1f, chw01[i])) * 255f);
        Rasters.writePng(png, new Raster(w, h, c, u8, SampleType.U8, null));
    }

    /** VAE round trip of same-size EO crops (CHW in [-1,1]): decode(posterior mean) in [0,1], no confidence. */
    public static List<float[][]> reconstructCrops(ModelBundle m, float[] eo, int n, int s, int batch, Progress progress) {
        List<float[][]> out = new ArrayList<>();
        int plane = 3 * s * s;
        for (int i = 0; i < n; i += batch) {
            int b = Math.min(batch, n - i);
            try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
                Tensor x = Tensors.fromFloats(java.util.Arrays.copyOfRange(eo, i * plane, (i + b) * plane), b, 3, s, s);
                Tensor rec = Translator.toUnitRange(m.vae().decode(m.vae().posteriorMean(x)));
                for (int j = 0; j < b; j++) out.add(new float[][]{Tensors.toFloats(rec.select(0, j)), null});
            }
            progress.update(Math.min(n, i + b), n, "reconstructing crops");
        }
        return out;
    }

    /**
     * Translates same-size crops (CHW in [-1,1], n × 3 × s × s) in batches at a precision; crop i uses noise seeded by
     * (seed, cropIndex[i]), its position in the split (null: i), so a crop gets the same noise in any subset.
     * Returns {prediction [0,1] per crop, confidence per crop (or null)}.
     */
    public static List<float[][]> translateCrops(ModelBundle m, float[] sar, int n, int s, SamplingSettings sampling, long seed,
                                                 int[] cropIndex, io.cdiffset.engine.Precision precision, int batch, Progress progress) {
        CDiffSetSampler sampler = CDiffSetSampler.create(m, sampling);
        List<float[][]> out = new ArrayList<>();
        int plane = 3 * s * s;
        for (int i = 0; i < n; i += batch) {
            int b = Math.min(batch, n - i);
            try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
                Tensor x = Tensors.fromFloats(java.util.Arrays.copyOfRange(sar, i * plane, (i + b) * plane), b, 3, s, s);
                List<Tensor> noise = new ArrayList<>();
                for (int j = 0; j < b; j++) {
                    Generator g = torch.createCPUGenerator(seed * 1_000_003L + (cropIndex == null ? i + j : cropIndex[i + j]));
                    noise.add(torch.randn(new long[]{1, 4, s / 8, s / 8}, new GeneratorOptional(g), Tensors.options(ScalarType.Float)));
                }
                Tensor init = torch.cat(new org.bytedeco.pytorch.TensorVector(noise.toArray(new Tensor[0])), 0);
                Translator.Windows r = Translator.translate(m, sampler, x, init, precision, null);
                for (int j = 0; j < b; j++) {
                    out.add(new float[][]{Tensors.toFloats(r.eo().select(0, j)), r.confidence() == null ? null : Tensors.toFloats(r.confidence().select(0, j))});
                }
            }
            progress.update(Math.min(n, i + b), n, "translating crops");
        }
        return out;
    }
}
