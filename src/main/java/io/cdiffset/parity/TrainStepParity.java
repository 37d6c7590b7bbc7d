package io.cdiffset.parity;

import io.cdiffset.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import io.cdiffset.diffusion.CDiffLoss;
import io.cdiffset.diffusion.NoiseSchedule;
import io.cdiffset.engine.Tensors;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNets;
import io.cdiffset.train.AdamW;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** One C-DiffSET training step with AdamW, compared with the reference loss, gradients and updated parameters. */
final class TrainStepParity {
    private TrainStepParity() {}

    static void run(Path dir, List<Result> out) {
        JsonNode cfg = ConfigJson.read(dir.resolve("config.json")).root();
        try (Fixture fx = new Fixture(dir)) {
            UNet2DConditionModel unet = UNets.load(dir.resolve(cfg.path("unet_config").asText("../unet/config.json")).normalize(),
                    dir.resolve(cfg.path("weights").asText("../unet/weights.safetensors")).normalize());
            NoiseSchedule sched = SchedulerParity.schedule(dir.resolve("../scheduler").normalize());
            Tensor t = fx.raw("timesteps");
            Tensor noisy = sched.addNoise(fx.f("eo_latents"), fx.f("noise"), t);
            out.add(Fixture.compare("noisy_latents", noisy, fx.f("noisy_latents"), 1e-5));
            Tensor sap = sched.sqrtAlphaProd(t);
            out.add(Fixture.compare("sqrt_alpha_prod", sap, fx.f("sqrt_alpha_prod"), 1e-6));
            Tensor pred = unet.forward(torch.cat(new TensorVector(fx.f("sar_latents"), noisy), 1), t, fx.f("context"));
            out.add(Fixture.compare("model_pred", pred, fx.f("model_pred"), 1e-4));
            out.add(Fixture.compare("variance", CDiffLoss.variance(pred.narrow(1, 4, 1)), fx.f("variance"), 1e-4));
            Tensor loss = CDiffLoss.loss(fx.f("noise"), pred.narrow(1, 0, 4), pred.narrow(1, 4, 1), sap);
            double expLoss = fx.f("loss").item_double();
            out.add(Result.rel("loss", Math.abs(loss.item_double() - expLoss) / Math.abs(expLoss), 1e-4));
            Engine.backward(loss);
            Map<String, Tensor> params = unet.namedParameters();
            double sq = 0;
            for (Tensor p : params.values()) {
                Tensor g = p.grad();
                if (g.defined()) sq += g.to(org.bytedeco.pytorch.global.torch.ScalarType.Double).pow(new Scalar(2)).sum().item_double();
            }
            double expNorm = fx.f("grad_norm").item_double();
            out.add(Result.rel("grad_norm", Math.abs(Math.sqrt(sq) - expNorm) / expNorm, 1e-4));
            JsonNode opt = cfg.path("optimizer");
            AdamW adam = new AdamW(params, opt.path("betas").path(0).asDouble(0.9), opt.path("betas").path(1).asDouble(0.999),
                    opt.path("eps").asDouble(1e-8), opt.path("weight_decay").asDouble(0.01));
            for (String k : fx.io.entries().keySet()) {
                if (!k.startsWith("grad.")) continue;
                String name = k.substring(5);
                Tensor exp = fx.f(k);
                out.add(Fixture.compare(k, params.get(name).grad(), exp, 1e-4 * Tensors.maxAbs(exp)));
            }
            adam.step(opt.path("lr").asDouble(1e-3));
            for (String k : fx.io.entries().keySet()) {
                if (!k.startsWith("param_after.")) continue;
                String name = k.substring("param_after.".length());
                Tensor exp = fx.f(k);
                Tensor got = params.get(name).detach();
                // README: allow <= 0.1% of elements beyond atol 2e-6 (gradients within rounding noise of 0)
                Tensor bad = got.sub(exp).abs().gt(new Scalar(2e-6));
                double frac = bad.to(org.bytedeco.pytorch.global.torch.ScalarType.Double).mean().item_double();
                out.add(new Result(k, frac, 1e-3, frac <= 1e-3, "frac>2e-6"));
            }
        }
    }
}
