package io.cdiffset.parity;

import io.cdiffset.diffusion.CDiffLoss;
import io.cdiffset.diffusion.NoiseSchedule;
import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Tensors;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.model.vae.VaeConfig;
import io.cdiffset.nn.Module;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Fixture {@code fullsize/}: the real SD 2.1-base UNet (C-DiffSET 8-in/5-out) and VAE configs, weights rebuilt from
 * the hash recipe ({@link HashRecipe}), diffusers' outputs at several latent sizes, and one full-size C-Diff training
 * step computed in float64. Every size and case comes from the files.
 */
final class FullSizeParity {
    /** fp32 outputs, element-wise: |Δ| ≤ 1e-4 · max(1, |expected|) (the fixture README). */
    static final double FP32_TOL = 1e-4;
    /**
     * bf16 (weights stored bf16, autocast, as {@code translate --precision bf16} runs), against diffusers' fp32 output,
     * as max|Δ|/max|y| and rms|Δ|/rms|y|. Measured on the build machine after the #19 fix at 64² (a size where fp32 was
     * right before the fix too): 1.54e-2 and 1.57e-2; at the other sizes 1.3e-2 to 1.8e-2 and 1.5e-2 to 1.7e-2.
     * Every size is held to 2.5e-2 for both. (The per-kernel bf16 checks of {@code KernelSweepTest} are the sharper
     * guard: each kernel there is held to 1.5e-2 of its own output range.)
     */
    static final double BF16_TOL = 2.5e-2;
    static final double BF16_RMS_TOL = 2.5e-2;
    /** Training step (float32 against the float64 reference): loss and norms rtol 1e-4; gradients 1e-3 · max|grad|. */
    static final double TRAIN_RTOL = 1e-4, GRAD_TOL = 1e-3;

    private FullSizeParity() {}

    static void run(Path dir, List<Result> out) {
        ConfigJson all = ConfigJson.read(dir.resolve("config.json"));
        long seed = all.root().path("seed").asLong();
        try (Fixture fx = new Fixture(dir)) {
            // each model lives in its own scope, so its gigabytes are freed when its part ends, not when the GC runs
            if (all.has("vae_config") && hasVae(fx)) {
                try (PointerScope s = new PointerScope()) {
                    vae(fx, VaeConfig.from(sub(all, "vae_config")), seed, out);
                }
            }
            if (all.has("unet_config")) {
                UNetConfig cfg = UNetConfig.from(sub(all, "unet_config"));
                try (PointerScope s = new PointerScope()) {
                    unetFp32(fx, cfg, seed, out);
                }
                try (PointerScope s = new PointerScope()) {
                    unetBf16(fx, cfg, seed, out);
                }
            }
        }
    }

    private static boolean hasVae(Fixture fx) {
        return fx.io.entries().keySet().stream().anyMatch(k -> k.startsWith("vae") && k.endsWith("_image"));
    }

    private static ConfigJson sub(ConfigJson all, String key) {
        return new ConfigJson(all.root().get(key), all.source() + "#" + key);
    }

    /** A model of this config with recipe weights (built without random init: every value is overwritten). */
    static <M extends Module> M recipe(java.util.function.Supplier<M> factory, long seed) {
        M m = Module.tiledInit(seed, factory);
        HashRecipe.fill(m, seed);
        return m;
    }

    private static void vae(Fixture fx, VaeConfig cfg, long seed, List<Result> out) {
        AutoencoderKL vae = recipe(() -> new AutoencoderKL(cfg), seed);
        for (String k : fx.io.entries().keySet()) {
            if (!(k.startsWith("vae") && k.endsWith("_image"))) continue;
            String c = k.substring(0, k.length() - "_image".length());
            try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode()) {
                Tensor mean = vae.posteriorMean(fx.f(k));
                out.add(elementwise(c + "_posterior_mean " + shape(fx.f(k)), mean, fx.f(c + "_posterior_mean"), FP32_TOL));
                Tensor dec = vae.decode(fx.f(c + "_posterior_mean"));
                out.add(elementwise(c + "_decoded_mean", dec, fx.f(c + "_decoded_mean"), FP32_TOL));
            }
        }
    }

    private static void unetFp32(Fixture fx, UNetConfig cfg, long seed, List<Result> out) {
        UNet2DConditionModel unet = recipe(() -> new UNet2DConditionModel(cfg), seed);
        List<String> cases = fx.cases("_sample");
        for (String c : cases) {
            if (!fx.has(c + "_out")) continue;
            try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode()) {
                Tensor y = unet.forward(fx.f(c + "_sample"), fx.raw(c + "_timesteps"), fx.f(c + "_encoder_hidden_states"));
                out.add(elementwise(c + "_out fp32 " + shape(fx.f(c + "_sample")) + " L=" + fx.f(c + "_encoder_hidden_states").size(1),
                        y, fx.f(c + "_out"), FP32_TOL));
            }
        }
        if (fx.has("train_loss")) trainStep(fx, unet, out);
    }

    private static void unetBf16(Fixture fx, UNetConfig cfg, long seed, List<Result> out) {
        UNet2DConditionModel unet = recipe(() -> new UNet2DConditionModel(cfg), seed);
        unet.requiresGrad(false);
        unet.storeMatmulWeightsAs(ScalarType.BFloat16); // as translate --precision bf16 prepares the model
        for (String c : fx.cases("_sample")) {
            if (!fx.has(c + "_out")) continue;
            try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode(); Precision.Scope ac = Precision.BF16.scope()) {
                Tensor y = unet.forward(fx.f(c + "_sample"), fx.raw(c + "_timesteps"), fx.f(c + "_encoder_hidden_states"));
                Tensor exp = fx.f(c + "_out");
                String name = c + "_out bf16 " + shape(fx.f(c + "_sample"));
                Tensor d = y.to(ScalarType.Double).sub(exp.to(ScalarType.Double));
                double rms = d.pow(new Scalar(2)).mean().sqrt().item_double() / exp.to(ScalarType.Double).pow(new Scalar(2)).mean().sqrt().item_double();
                out.add(new Result(name + " rms", rms, BF16_RMS_TOL, rms <= BF16_RMS_TOL, "rms|Δ|/rms|y|"));
                double max = Tensors.maxAbsDiff(y, exp) / Tensors.maxAbs(exp);
                out.add(new Result(name + " max", max, BF16_TOL, max <= BF16_TOL, "max|Δ|/max|y|"));
            } catch (Exception e) {
                throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        }
    }

    /** The C-Diff training step of the fixture README, in float32, against the float64 reference. */
    private static void trainStep(Fixture fx, UNet2DConditionModel unet, List<Result> out) {
        try (PointerScope s = new PointerScope()) {
            unet.requiresGrad(true);
            NoiseSchedule sched = NoiseSchedule.sd21();
            Tensor t = fx.raw("train_timesteps");
            Tensor noise = fx.f("train_noise");
            Tensor noisy = sched.addNoise(fx.f("train_eo_latents"), noise, t);
            Tensor pred = unet.forward(torch.cat(new TensorVector(fx.f("train_sar_latents"), noisy), 1), t, fx.f("train_context"));
            Tensor loss = CDiffLoss.loss(noise, pred.narrow(1, 0, 4), pred.narrow(1, 4, 1), sched.sqrtAlphaProd(t));
            double expLoss = fx.f("train_loss").item_double();
            out.add(Result.rel("train_loss " + shape(noise), Math.abs(loss.item_double() - expLoss) / Math.abs(expLoss), TRAIN_RTOL));
            Engine.backward(loss);
            Map<String, Tensor> params = unet.namedParameters();
            String[] blocks = {"down_blocks.0.", "down_blocks.1.", "down_blocks.2.", "down_blocks.3.", "mid_block.",
                    "up_blocks.0.", "up_blocks.1.", "up_blocks.2.", "up_blocks.3."};
            double[] blockSq = new double[blocks.length];
            double sq = 0;
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor g = e.getValue().grad();
                if (!g.defined()) continue;
                double v = g.to(ScalarType.Double).pow(new Scalar(2)).sum().item_double();
                sq += v;
                for (int b = 0; b < blocks.length; b++) if (e.getKey().startsWith(blocks[b])) blockSq[b] += v;
            }
            double expNorm = fx.f("train_grad_norm").item_double();
            out.add(Result.rel("train_grad_norm", Math.abs(Math.sqrt(sq) - expNorm) / expNorm, TRAIN_RTOL));
            if (fx.has("train_block_grad_norms")) {
                float[] exp = Tensors.toFloats(fx.f("train_block_grad_norms"));
                for (int b = 0; b < Math.min(exp.length, blocks.length); b++) {
                    out.add(Result.rel("train_block_grad_norm " + blocks[b].substring(0, blocks[b].length() - 1),
                            Math.abs(Math.sqrt(blockSq[b]) - exp[b]) / exp[b], TRAIN_RTOL));
                }
            }
            for (String k : fx.io.entries().keySet()) {
                if (!k.startsWith("train_grad.")) continue;
                String name = k.substring("train_grad.".length());
                Tensor exp = fx.f(k);
                Tensor p = params.get(name);
                if (p == null) {
                    out.add(Result.exact(k + " (no such parameter)", false, "name"));
                    continue;
                }
                out.add(Result.rel(k + " (max|Δ|/max|g|)", Tensors.maxAbsDiff(p.grad(), exp) / Tensors.maxAbs(exp), GRAD_TOL));
            }
            for (Tensor p : params.values()) p.mutable_grad().reset(); // frees ~3.5 GB of gradients before the bf16 cases
            unet.requiresGrad(false);
        }
    }

    /** |Δ| ≤ tol · max(1, |expected|) element-wise; the reported error is the largest |Δ| / max(1, |expected|). */
    static Result elementwise(String name, Tensor actual, Tensor expected, double tol) {
        if (!java.util.Arrays.equals(Tensors.shape(actual), Tensors.shape(expected))) {
            return new Result(name, Double.POSITIVE_INFINITY, tol, false,
                    "shape " + Tensors.shapeString(Tensors.shape(actual)) + " vs " + Tensors.shapeString(Tensors.shape(expected)));
        }
        Tensor e = expected.to(ScalarType.Double);
        Tensor scale = e.abs().clamp_min(new Scalar(1.0));
        double err = actual.detach().to(ScalarType.Double).sub(e).abs().div(scale).max().item_double();
        return new Result(name, err, tol, err <= tol && !Double.isNaN(err), "|Δ|/max(1,|y|)");
    }

    private static String shape(Tensor t) {
        long[] s = Tensors.shape(t);
        return s[s.length - 2] + "×" + s[s.length - 1];
    }
}
