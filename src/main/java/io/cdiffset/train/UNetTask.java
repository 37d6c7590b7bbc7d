package io.cdiffset.train;

import io.cdiffset.engine.Engine;
import io.cdiffset.diffusion.CDiffLoss;
import io.cdiffset.diffusion.NoiseSchedule;
import io.cdiffset.engine.Progress;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.Pictures;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.raster.ColorMaps;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.metrics.Psnr;
import io.cdiffset.metrics.Scc;
import io.cdiffset.metrics.Ssim;
import io.cdiffset.hub.HubModels;
import io.cdiffset.model.unet.CDiffSetSurgery;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.translate.Translator;
import io.cdiffset.diffusion.CDiffSetSampler;
import io.cdiffset.diffusion.SamplingSettings;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Trains the C-DiffSET UNet (stage 2: C-Diff loss, 8-in/5-out; or stage 1: ε-MSE, 8-in/4-out) with a frozen VAE. */
public final class UNetTask implements Trainer.Task<UNetTask.Batch> {
    private final TrainSettings s;
    private final UNet2DConditionModel unet;
    private final AutoencoderKL vae;
    private final Path vaeSource;
    private final Tensor context;
    private final NoiseSchedule sched;
    private final PairImages train;
    private final boolean cdiff;
    private final double sarDropout;
    private final int crop;
    private final int batch;
    private final Map<String, String> provenance = new LinkedHashMap<>();
    private List<float[][]> latentCache; // per train image: {sar latent, eo latent}
    private Tensor valSar, valEo, valZs, valZe;

    public UNetTask(TrainConfig cfg, UNet2DConditionModel unet, AutoencoderKL vae, Path vaeSource, Tensor context,
                    PairImages train, PairImages val) {
        this.s = cfg.settings();
        this.unet = unet;
        this.vae = vae;
        this.vaeSource = vaeSource;
        this.context = context;
        this.train = train;
        this.cdiff = s.train().cdiff();
        this.sched = NoiseSchedule.sd21(NoiseSchedule.parsePrediction(s.train().prediction()));
        this.crop = s.data().crop();
        this.batch = s.train().batch();
        this.sarDropout = s.train().sarDropout();
        vae.requiresGrad(false);
        int n = Math.min(s.log().valCount(), val.gridIds(crop).size());
        if (n == 0) throw new IllegalArgumentException("the validation split has no " + crop + "x" + crop + " crops");
        PairImages.Crops vc = val.gridCrops(crop, 0, n);
        valSar = Tensors.fromFloats(vc.sar(), n, 3, crop, crop);
        valEo = Tensors.fromFloats(vc.eo(), n, 3, crop, crop);
        try (NoGradGuard g = new NoGradGuard()) {
            valZs = encode(valSar);
            valZe = encode(valEo);
        }
        provenance.put("trained_with", "cdiffset train (" + cfg.source() + ")");
    }

    /** Builds everything from the settings: data, frozen VAE, context, UNet (pretrained + surgery, or from scratch). */
    public static UNetTask create(TrainConfig cfg, Path dataOverride, Progress progress) {
        TrainSettings s = cfg.settings();
        TrainSettings.Model m = s.model();
        PairImages[] split = PairImages.load(s, dataOverride, progress);
        boolean cdiff = s.train().cdiff();
        String base = m.base();
        UNet2DConditionModel unet;
        AutoencoderKL vae;
        Path vaeDir;
        Tensor ctx;
        if (TrainSettings.set(base)) {
            Path b = HubModels.resolve(Path.of(base)); // a folder, or ORG/NAME pulled into the Hugging Face cache
            vaeDir = b.resolve("vae");
            vae = ModelBundle.loadVae(vaeDir);
            ctx = ModelBundle.loadContext(b);
            unet = ModelBundle.loadAnyUNet(b.resolve("unet"));
            UNetConfig c = unet.config();
            if (c.inChannels() == 4) CDiffSetSurgery.expandConvIn(unet);
            String s1 = m.stage1Unet();
            if (TrainSettings.set(s1)) {
                if (unet.config().outChannels() != 4) throw new IllegalArgumentException("model.stage1_unet needs an 8-in/4-out starting point");
                unet.load(io.cdiffset.model.WeightKeys.unetFromAny(io.cdiffset.io.WeightFiles.read(HubModels.resolve(Path.of(s1)))), s1);
            }
            if (cdiff && unet.config().outChannels() == 4) CDiffSetSurgery.expandConvOut(unet);
        } else {
            String v = m.vae();
            if (!TrainSettings.set(v)) throw new IllegalArgumentException("set model.base (an SD 2.1-base folder) or model.vae (a VAE from 'cdiffset train-vae')");
            vaeDir = ModelBundle.resolveVaeDir(TrainConfig.path(v));
            vae = ModelBundle.loadVae(vaeDir);
            torch.manual_seed(s.train().seed());
            unet = new UNet2DConditionModel(ModelFactory.unetConfig(s, 8, cdiff ? 5 : 4));
            if (cdiff) zeroVarianceHead(unet);
            ctx = ModelFactory.demoContext(m.crossAttentionDim(), s.train().seed());
        }
        String init = m.unetInit();
        boolean fromInit = TrainSettings.set(init);
        if (fromInit) {
            Path f = resolveUnetFile(HubModels.resolve(Path.of(init)));
            unet.load(io.cdiffset.model.WeightKeys.unetFromAny(io.cdiffset.io.WeightFiles.read(f)), f.toString());
        }
        UNetTask t = new UNetTask(cfg, unet, vae, vaeDir, ctx, split[0], split[1]);
        if (fromInit) t.provenance.put("unet_init", init);
        t.provenance.put("prompt_embedding", TrainSettings.set(base) ? "text encoder of " + base
                : "small random CLIPTextModel (hidden " + m.crossAttentionDim() + ", 2 layers, seed " + s.train().seed()
                + ") on the SD 2.1 ids of 'electro-optical image' " + java.util.Arrays.toString(ModelBundle.PROMPT_IDS));
        if (s.data().cacheLatents()) t.cacheLatents(progress);
        return t;
    }

    /** A UNet weights file, or the UNet of a model / checkpoint folder ({@code unet/diffusion_pytorch_model*.safetensors}). */
    static Path resolveUnetFile(Path p) {
        if (Files.isRegularFile(p)) return p;
        if (Files.isDirectory(p.resolve("unet"))) return ModelBundle.weightsFile(p.resolve("unet"), "diffusion_pytorch_model");
        if (Files.isDirectory(p)) return ModelBundle.weightsFile(p, "diffusion_pytorch_model");
        throw new IllegalArgumentException("model.unet_init: " + p + " does not exist (give a .safetensors / .pth / .ckpt / .bin file or a model / checkpoint folder)");
    }

    /** C-DiffSET's zero-initialised variance channel (so σ² = 1 at the start). */
    static void zeroVarianceHead(UNet2DConditionModel unet) {
        try (NoGradGuard g = new NoGradGuard()) {
            unet.convOut().weight().narrow(0, 4, 1).zero_();
            unet.convOut().bias().narrow(0, 4, 1).zero_();
        }
    }

    /**
     * Encodes every training image once, in 256-pixel tiles stitched into one latent canvas per image: the frozen
     * VAE then sees windows of the size it sees at translation time (its mid-block attention over a whole 1024²
     * scene would see 16× more tokens and give latents unlike the ones inference produces).
     */
    void cacheLatents(Progress progress) {
        latentCache = new ArrayList<>();
        int tile = 256;
        int k = 0;
        for (PairImages.Image im : train.images()) {
            int h = im.height(), w = im.width();
            float[] ls = new float[4 * (h / 8) * (w / 8)], le = new float[4 * (h / 8) * (w / 8)];
            int th = Math.min(tile, Math.min(h, w) / 8 * 8), tw = th;
            float[] bs = new float[3 * th * tw], be = new float[3 * th * tw];
            for (int y0 = 0; y0 < h / 8 * 8; y0 += th) {
                for (int x0 = 0; x0 < w / 8 * 8; x0 += tw) {
                    int y = Math.min(y0, h / 8 * 8 - th), x = Math.min(x0, w / 8 * 8 - tw);
                    PairImages.cropInto(im.sar(), 3, h, w, y, x, th, false, false, false, bs, 0);
                    PairImages.cropInto(im.eo(), 3, h, w, y, x, th, false, false, false, be, 0);
                    try (org.bytedeco.javacpp.PointerScope sc = new org.bytedeco.javacpp.PointerScope(); NoGradGuard g = new NoGradGuard()) {
                        place(Tensors.toFloats(encode(Tensors.fromFloats(bs, 1, 3, th, tw))), ls, h / 8, w / 8, y / 8, x / 8, th / 8, tw / 8);
                        place(Tensors.toFloats(encode(Tensors.fromFloats(be, 1, 3, th, tw))), le, h / 8, w / 8, y / 8, x / 8, th / 8, tw / 8);
                    }
                }
            }
            latentCache.add(new float[][]{ls, le});
            progress.update(++k, train.size(), "caching latents");
        }
        provenance.put("latent_cache", "latents of 256-pixel tiles stitched per image; random latent crops with joint flips/rot90");
    }

    private static void place(float[] src, float[] dst, int lh, int lw, int y, int x, int th, int tw) {
        for (int c = 0; c < 4; c++) {
            for (int r = 0; r < th; r++) System.arraycopy(src, c * th * tw + r * tw, dst, c * lh * lw + (y + r) * lw + x, tw);
        }
    }

    private Tensor encode(Tensor images) {
        return vae.encodeLatent(images);
    }

    @Override
    public String kind() {
        return "unet";
    }

    @Override
    public io.cdiffset.nn.Module module() {
        return unet;
    }

    @Override
    public Map<String, Tensor> trainable() {
        return unet.namedParameters();
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    /** A micro-batch: latent crops (cached mode) or image crops, as arrays. */
    public record Batch(float[] sar, float[] eo, boolean latents, int size) {}

    @Override
    public Batch load(long step, int micro, SplittableRandom rng) {
        if (latentCache != null) {
            int ls = crop / 8;
            float[] s = new float[batch * 4 * ls * ls], e = new float[batch * 4 * ls * ls];
            for (int b = 0; b < batch; b++) {
                int i = rng.nextInt(latentCache.size());
                PairImages.Image im = train.images().get(i);
                int lh = im.height() / 8, lw = im.width() / 8;
                int y0 = rng.nextInt(lh - ls + 1), x0 = rng.nextInt(lw - ls + 1);
                boolean hf = rng.nextBoolean(), vf = rng.nextBoolean(), rot = rng.nextBoolean();
                PairImages.cropInto(latentCache.get(i)[0], 4, lh, lw, y0, x0, ls, hf, vf, rot, s, b * 4 * ls * ls);
                PairImages.cropInto(latentCache.get(i)[1], 4, lh, lw, y0, x0, ls, hf, vf, rot, e, b * 4 * ls * ls);
            }
            return new Batch(s, e, true, ls);
        }
        PairImages.Crops c = train.sample(rng, batch, crop);
        return new Batch(c.sar(), c.eo(), false, crop);
    }

    @Override
    public double microStep(Batch bt, Generator gen, double scale) {
        Tensor zs, ze;
        if (bt.latents()) {
            zs = Tensors.fromFloats(bt.sar(), batch, 4, bt.size(), bt.size());
            ze = Tensors.fromFloats(bt.eo(), batch, 4, bt.size(), bt.size());
        } else {
            try (NoGradGuard g = new NoGradGuard()) {
                zs = encode(Tensors.fromFloats(bt.sar(), batch, 3, crop, crop));
                ze = encode(Tensors.fromFloats(bt.eo(), batch, 3, crop, crop));
            }
        }
        Tensor t = torch.randint(sched.trainSteps(), new long[]{batch}, new GeneratorOptional(gen), Tensors.options(ScalarType.Long));
        Tensor noise = torch.randn(Tensors.shape(ze), new GeneratorOptional(gen), Tensors.options(ScalarType.Float));
        if (sarDropout > 0) zs = dropSar(zs, sarDropout, gen);
        Tensor loss = loss(zs, ze, t, noise);
        Engine.backward(loss.mul(new Scalar(scale)));
        return loss.item_double();
    }

    /**
     * Replaces each sample's SAR latent by zeros with probability {@code p} (InstructPix2Pix-style conditioning
     * dropout), so the same UNet also learns the SAR-free prediction that {@code --sar-guidance} extrapolates from.
     */
    static Tensor dropSar(Tensor zs, double p, Generator gen) {
        Tensor keep = torch.rand(new long[]{zs.size(0)}, new GeneratorOptional(gen), Tensors.options(ScalarType.Float))
                .ge(new Scalar(p)).to(ScalarType.Float).view(-1, 1, 1, 1);
        return zs.mul(keep);
    }

    private Tensor loss(Tensor zs, Tensor ze, Tensor t, Tensor noise) {
        return loss(unet, sched, context, cdiff, zs, ze, t, noise);
    }

    /**
     * The training loss on latents: the EO latent {@code ze} noised to timesteps {@code t}, the UNet run on
     * [SAR latent, noisy EO latent], then the C-Diff loss (stage 2, {@code cdiff}) or the plain MSE (stage 1) against
     * the schedule's target. What a training step computes before its backward pass; the bench times this call.
     */
    public static Tensor loss(UNet2DConditionModel unet, NoiseSchedule sched, Tensor context, boolean cdiff, Tensor zs, Tensor ze, Tensor t, Tensor noise) {
        Tensor noisy = sched.addNoise(ze, noise, t);
        Tensor out = unet.forward(torch.cat(new TensorVector(zs, noisy), 1), t, context.expand(zs.size(0), -1, -1)).to(ScalarType.Float);
        Tensor target = sched.target(ze, noise, t);
        return cdiff ? CDiffLoss.loss(target, out.narrow(1, 0, 4), out.narrow(1, 4, 1), sched.sqrtAlphaProd(t))
                : CDiffLoss.mse(target, out.narrow(1, 0, 4));
    }

    @Override
    public Map<String, Double> validate(long step, Path samplesDir, boolean grid) {
        Map<String, Double> m = new LinkedHashMap<>();
        long n = valZs.size(0);
        try (NoGradGuard g = new NoGradGuard()) {
            Generator gen = torch.createCPUGenerator(12345);
            long[] ts = new long[(int) n];
            for (int i = 0; i < n; i++) ts[i] = (long) ((i + 0.5) * sched.trainSteps() / n);
            Tensor t = Tensors.fromLongs(ts, n);
            Tensor noise = torch.randn(Tensors.shape(valZe), new GeneratorOptional(gen), Tensors.options(ScalarType.Float));
            double vl = loss(valZs, valZe, t, noise).item_double();
            m.put("val_loss", vl);
            if (n > 1) {
                // The same crops with each one's SAR latent swapped for its neighbour's: how much the model uses the SAR.
                Tensor shuffled = torch.cat(new TensorVector(valZs.narrow(0, 1, n - 1), valZs.narrow(0, 0, 1)), 0);
                m.put("val_sar_gain", loss(shuffled, valZe, t, noise).item_double() - vl);
            }
            int steps = s.log().inferenceSteps();
            Tensor init = torch.randn(Tensors.shape(valZe), new GeneratorOptional(gen), Tensors.options(ScalarType.Float));
            ModelBundle model = new ModelBundle(unet, vae, context, sched, null);
            Tensor pred = Translator.sampleAndDecode(model, CDiffSetSampler.create(model, SamplingSettings.DEFAULT.with(null, steps, null)), valZs, init, null,
                    valSar.size(2), valSar.size(3)).eo();
            Tensor target = Translator.toUnitRange(valEo);
            List<float[]> ps = new ArrayList<>(), tg = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ps.add(Tensors.toFloats(pred.select(0, i)));
                tg.add(Tensors.toFloats(target.select(0, i)));
            }
            m.put("val_psnr", Psnr.meanOfImages(ps, tg));
            m.put("val_ssim", Ssim.batch(ps, tg, 3, crop, crop));
            m.put("val_scc", Scc.batch(ps, tg, 3, crop, crop));
            if (grid) writeGrid(step, samplesDir, pred);
        }
        return m;
    }

    private void writeGrid(long step, Path dir, Tensor ddim) {
        int k = (int) Math.min(s.log().sampleCount(), valZs.size(0));
        long mid = sched.trainSteps() / 2;
        Tensor t = Tensors.fromLongs(new long[]{mid}, 1).expand(k);
        Tensor ze = valZe.narrow(0, 0, k), zs = valZs.narrow(0, 0, k);
        Generator gen = torch.createCPUGenerator(777);
        Tensor noise = torch.randn(Tensors.shape(ze), new GeneratorOptional(gen), Tensors.options(ScalarType.Float));
        Tensor xt = sched.addNoise(ze, noise, t);
        Tensor out = unet.forward(torch.cat(new TensorVector(zs, xt), 1), t, context.expand(k, -1, -1));
        Tensor x0 = sched.predictOriginal(out.narrow(1, 0, 4), xt, t);
        Tensor oneStep = Translator.toUnitRange(vae.decodeLatent(x0));
        List<List<Pictures.Cell>> rows = new ArrayList<>();
        List<String> titles = new ArrayList<>(List.of("SAR", "EO 1 step t=T/2", "EO DDIM " + s.log().inferenceSteps(), "target EO"));
        if (cdiff) titles.add("confidence");
        int s = crop;
        for (int i = 0; i < k; i++) {
            List<Pictures.Cell> row = new ArrayList<>();
            row.add(new Pictures.Cell(Tensors.toFloats(Translator.toUnitRange(valSar.select(0, i))), 3, s, s));
            row.add(new Pictures.Cell(Tensors.toFloats(oneStep.select(0, i)), 3, s, s));
            row.add(new Pictures.Cell(Tensors.toFloats(ddim.select(0, i)), 3, s, s));
            row.add(new Pictures.Cell(Tensors.toFloats(Translator.toUnitRange(valEo.select(0, i))), 3, s, s));
            if (cdiff) {
                Tensor conf = CDiffLoss.confidence(out.narrow(1, 4, 1).select(0, i)).squeeze();
                int h = (int) conf.size(0), w = (int) conf.size(1);
                Raster rgb = ColorMaps.colorize(Tensors.toFloats(conf), w, h);
                float[] f = new float[rgb.data().length];
                for (int j = 0; j < f.length; j++) f[j] = rgb.data()[j] / 255f;
                row.add(new Pictures.Cell(f, 3, h, w));
            }
            rows.add(row);
        }
        Pictures.grid(dir.resolve(String.format("step-%07d.png", step)), titles, rows, Math.max(128, Math.min(256, s)));
    }

    @Override
    public java.util.Set<io.cdiffset.nn.KernelOp> kernelOps() {
        return io.cdiffset.model.KernelShapes.unet(unet.config(), batch, crop / 8, crop / 8, context.size(1));
    }

    @Override
    public String scoreKey() {
        return "val_psnr";
    }

    @Override
    public void exportModel(Path dir) throws IOException {
        ModelBundle.save(dir, unet, null, context, ScalarType.Float, sched.prediction(), provenance);
        Checkpoints.copyTree(vaeSource, dir.resolve("vae"));
    }

    @Override
    public void restoreModel(Path dir) {
        Path w = dir.resolve("unet/diffusion_pytorch_model.safetensors");
        unet.load(SafeTensors.read(w), w.toString());
    }
}
