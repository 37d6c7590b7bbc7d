package io.cdiffset.train;

import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Progress;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.AtomicFile;
import io.cdiffset.io.Pictures;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.metrics.Psnr;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.translate.Translator;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/**
 * Trains an SD-structured AutoencoderKL (f = 8, 4 latent channels) on SAR and EO crops: L1 + SSIM term + small KL,
 * so that a user can adapt the VAE to their sensor and every other code path stays unchanged.
 */
public final class VaeTask implements Trainer.Task<PairImages.Crops> {
    private final TrainSettings s;
    private final AutoencoderKL vae;
    private final PairImages train;
    private final int crop;
    private final int batch;
    private final Tensor valEo;
    private final Tensor valSar;
    private final Tensor window;
    /** {@code train.vae_part=decoder}: only decoder and post_quant_conv train; the latent space is the start VAE's. */
    private final boolean decoderOnly;

    public VaeTask(TrainConfig cfg, AutoencoderKL vae, PairImages train, PairImages val) {
        this.s = cfg.settings();
        this.vae = vae;
        this.train = train;
        this.crop = s.data().crop();
        this.batch = s.train().batch();
        int n = Math.min(s.log().valCount(), val.gridIds(crop).size());
        if (n == 0) throw new IllegalArgumentException("the validation split has no " + crop + "x" + crop + " crops");
        PairImages.Crops vc = val.gridCrops(crop, 0, n);
        valEo = Tensors.fromFloats(vc.eo(), n, 3, crop, crop);
        valSar = Tensors.fromFloats(vc.sar(), n, 3, crop, crop);
        window = gaussianWindow(11, 1.5);
        decoderOnly = "decoder".equals(s.train().vaePart());
        if (decoderOnly) {
            if (!TrainSettings.set(s.model().vaeInit())) {
                throw new IllegalArgumentException("train.vae_part=decoder fine-tunes a trained VAE's decoder: set model.vae_init to that VAE's folder");
            }
            // the encoder and quant_conv stay frozen, so latents (and any UNet trained on them) are unchanged
            for (Map.Entry<String, Tensor> e : vae.namedParameters().entrySet()) e.getValue().requires_grad_(isDecoder(e.getKey()));
        }
    }

    public static VaeTask create(TrainConfig cfg, Path dataOverride, Progress progress) {
        TrainSettings s = cfg.settings();
        PairImages[] split = PairImages.load(s, dataOverride, progress);
        torch.manual_seed(s.train().seed());
        String init = s.model().vaeInit();
        AutoencoderKL vae;
        if (TrainSettings.set(init)) {
            vae = ModelBundle.loadVae(ModelBundle.resolveVaeDir(io.cdiffset.hub.HubModels.resolve(Path.of(init))));
            vae.requiresGrad(true);
        } else {
            vae = new AutoencoderKL(ModelFactory.vaeConfig(s));
        }
        return new VaeTask(cfg, vae, split[0], split[1]);
    }

    public AutoencoderKL vae() {
        return vae;
    }

    @Override
    public String kind() {
        return "vae";
    }

    @Override
    public io.cdiffset.nn.Module module() {
        return vae;
    }

    @Override
    public Map<String, Tensor> trainable() {
        if (!decoderOnly) return vae.namedParameters();
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : vae.namedParameters().entrySet()) if (isDecoder(e.getKey())) m.put(e.getKey(), e.getValue());
        return m;
    }

    private static boolean isDecoder(String name) {
        return name.startsWith("decoder.") || name.startsWith("post_quant_conv.");
    }

    @Override
    public PairImages.Crops load(long step, int micro, SplittableRandom rng) {
        return train.sample(rng, Math.max(eoCount(), batch - eoCount()), crop);
    }

    /** EO crops per batch ({@code train.eo_fraction}); the rest are SAR crops of other places. */
    private int eoCount() {
        return (int) Math.round(batch * s.train().eoFraction());
    }

    @Override
    public double microStep(PairImages.Crops c, Generator gen, double scale) {
        int k = c.batch(), ne = eoCount();
        Tensor sar = Tensors.fromFloats(c.sar(), k, 3, crop, crop).narrow(0, k - (batch - ne), batch - ne);
        Tensor eo = Tensors.fromFloats(c.eo(), k, 3, crop, crop).narrow(0, 0, ne);
        Tensor x = torch.cat(new TensorVector(eo, sar), 0);
        Tensor loss = loss(x, gen);
        Engine.backward(loss.mul(new Scalar(scale)));
        return loss.item_double();
    }

    private Tensor loss(Tensor x, Generator gen) {
        if (decoderOnly) {
            // the frozen encoder's posterior mean, the latent translation decodes; the KL term is constant
            Tensor mean;
            try (NoGradGuard g = new NoGradGuard()) {
                mean = vae.posteriorMean(x);
            }
            return reconstruction(vae.decode(mean), x);
        }
        int l = vae.config().latentChannels();
        Tensor moments = vae.moments(x);
        Tensor mean = moments.narrow(1, 0, l);
        Tensor logvar = Tensors.clamp(moments.narrow(1, l, l), -30, 20);
        Tensor std = logvar.mul(new Scalar(0.5)).exp();
        Tensor eps = gen == null ? torch.zeros_like(mean) : torch.randn(Tensors.shape(mean), new GeneratorOptional(gen), Tensors.options(ScalarType.Float));
        Tensor z = mean.add(std.mul(eps));
        Tensor kl = mean.pow(new Scalar(2)).add(logvar.exp()).sub(new Scalar(1)).sub(logvar).mul(new Scalar(0.5)).sum(new long[]{1, 2, 3}).mean();
        return reconstruction(vae.decode(z), x).add(kl.mul(new Scalar(s.train().klWeight())));
    }

    /** L1 + ssim_weight · (1 − SSIM) of a reconstruction. */
    private Tensor reconstruction(Tensor rec, Tensor x) {
        Tensor ssim = ssim(rec, x);
        return rec.sub(x).abs().mean().add(torch.ones_like(ssim).sub(ssim).mul(new Scalar(s.train().ssimWeight())));
    }

    /** Differentiable SSIM on [-1,1] images (data range 2), Gaussian 11×11 σ 1.5, valid windows. */
    private Tensor ssim(Tensor a, Tensor b) {
        long c = a.size(1);
        Tensor w = window.expand(c, 1, 11, 11).contiguous();
        double c1 = Math.pow(0.01 * 2, 2), c2 = Math.pow(0.03 * 2, 2);
        Tensor mu1 = conv(a, w, c), mu2 = conv(b, w, c);
        Tensor s11 = conv(a.mul(a), w, c).sub(mu1.mul(mu1));
        Tensor s22 = conv(b.mul(b), w, c).sub(mu2.mul(mu2));
        Tensor s12 = conv(a.mul(b), w, c).sub(mu1.mul(mu2));
        Tensor num = mu1.mul(mu2).mul(new Scalar(2)).add(new Scalar(c1)).mul(s12.mul(new Scalar(2)).add(new Scalar(c2)));
        Tensor den = mu1.mul(mu1).add(mu2.mul(mu2)).add(new Scalar(c1)).mul(s11.add(s22).add(new Scalar(c2)));
        return num.div(den).mean();
    }

    private static Tensor conv(Tensor x, Tensor w, long groups) {
        return torch.conv2d(x, w, Tensors.opt(null), new long[]{1, 1}, new long[]{0, 0}, new long[]{1, 1}, groups);
    }

    static Tensor gaussianWindow(int size, double sigma) {
        float[] g = new float[size];
        double sum = 0;
        for (int i = 0; i < size; i++) {
            g[i] = (float) Math.exp(-Math.pow(i - size / 2, 2) / (2 * sigma * sigma));
            sum += g[i];
        }
        float[] w = new float[size * size];
        for (int i = 0; i < size; i++) for (int j = 0; j < size; j++) w[i * size + j] = (float) (g[i] / sum * g[j] / sum);
        return Tensors.fromFloats(w, 1, 1, size, size);
    }

    @Override
    public Map<String, Double> validate(long step, Path samplesDir, boolean grid) {
        Map<String, Double> m = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            m.put("val_loss", loss(valEo, null).item_double());
            Tensor recEo = Translator.toUnitRange(vae.decode(vae.posteriorMean(valEo)));
            Tensor recSar = Translator.toUnitRange(vae.decode(vae.posteriorMean(valSar)));
            Tensor eo = Translator.toUnitRange(valEo), sar = Translator.toUnitRange(valSar);
            List<float[]> p = new ArrayList<>(), t = new ArrayList<>(), ps = new ArrayList<>(), ts = new ArrayList<>();
            for (int i = 0; i < valEo.size(0); i++) {
                p.add(Tensors.toFloats(recEo.select(0, i)));
                t.add(Tensors.toFloats(eo.select(0, i)));
                ps.add(Tensors.toFloats(recSar.select(0, i)));
                ts.add(Tensors.toFloats(sar.select(0, i)));
            }
            m.put("val_psnr_eo", Psnr.meanOfImages(p, t));
            m.put("val_psnr_sar", Psnr.meanOfImages(ps, ts));
            if (grid) {
                List<List<Pictures.Cell>> rows = new ArrayList<>();
                int k = Math.min(s.log().sampleCount(), p.size());
                for (int i = 0; i < k; i++) {
                    rows.add(List.of(new Pictures.Cell(t.get(i), 3, crop, crop), new Pictures.Cell(p.get(i), 3, crop, crop),
                            new Pictures.Cell(ts.get(i), 3, crop, crop), new Pictures.Cell(ps.get(i), 3, crop, crop)));
                }
                Pictures.grid(samplesDir.resolve(String.format("vae-step-%07d.png", step)),
                        List.of("EO", "EO reconstructed", "SAR", "SAR reconstructed"), rows, Math.max(128, Math.min(256, crop)));
            }
        }
        return m;
    }

    @Override
    public java.util.Set<io.cdiffset.nn.KernelOp> kernelOps() {
        int f = vae.config().factor();
        return io.cdiffset.model.KernelShapes.vae(vae.config(), batch, crop / f, crop / f);
    }

    @Override
    public String scoreKey() {
        return "val_psnr_eo";
    }

    @Override
    public void exportModel(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("vae"));
        ObjectNode config = vae.config().raw().copy();
        config.put("scaling_factor", scalingFactor());
        AtomicFile.writeString(dir.resolve("vae/config.json"), config.toPrettyString());
        SafeTensors.write(dir.resolve("vae/diffusion_pytorch_model.safetensors"), vae.stateDict(ScalarType.Float), Map.of("format", "pt"));
    }

    /**
     * The latent scaling factor written with the VAE ({@code model.vae_scaling_factor}): "auto" = 1 / std of the
     * posterior means of the validation EO and SAR crops, as LDM derived SD's 0.18215, so that diffusion sees
     * unit-variance latents; "keep" = the starting VAE's own factor ({@code model.vae_init}; e.g. to keep SD's
     * 0.18215 for a pretrained SD UNet); or a positive number.
     */
    double scalingFactor() {
        if (s.model().vaeScalingFactor().equals("keep") || decoderOnly) return vae.config().scalingFactor();
        if (s.model().fixedScalingFactor() != null) return s.model().fixedScalingFactor();
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor z = torch.cat(new TensorVector(vae.posteriorMean(valEo), vae.posteriorMean(valSar)), 0);
            return 1.0 / z.std().item_double();
        }
    }

    @Override
    public void restoreModel(Path dir) {
        Path w = dir.resolve("vae/diffusion_pytorch_model.safetensors");
        vae.load(SafeTensors.read(w), w.toString());
    }
}
