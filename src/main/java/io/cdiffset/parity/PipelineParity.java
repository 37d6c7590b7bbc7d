package io.cdiffset.parity;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdiffset.diffusion.CDiffLoss;
import io.cdiffset.diffusion.CDiffSetSampler;
import io.cdiffset.diffusion.SamplingSettings;
import io.cdiffset.diffusion.NoiseSchedule;
import io.cdiffset.engine.Tensors;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.clip.ClipTextModel;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNets;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.model.vae.Vaes;
import io.cdiffset.translate.Translator;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The end-to-end C-DiffSET inference chain on the sibling fixtures' models. */
final class PipelineParity {
    private PipelineParity() {}

    static Path sibling(Path dir, JsonNode cfg, String part, String key, String def) {
        String rel = cfg.path(part).path(key).asText(def);
        int sp = rel.indexOf(' ');
        if (sp > 0) rel = rel.substring(0, sp);
        return dir.resolve(rel).normalize();
    }

    static void run(Path dir, List<Result> out) {
        JsonNode cfg = ConfigJson.read(dir.resolve("config.json")).root();
        try (Fixture fx = new Fixture(dir); InferenceMode im = new InferenceMode()) {
            UNet2DConditionModel unet = UNets.load(sibling(dir, cfg, "unet", "config", "../unet/config.json"),
                    sibling(dir, cfg, "unet", "weights", "../unet/weights.safetensors"));
            AutoencoderKL vae = Vaes.load(sibling(dir, cfg, "vae", "config", "../vae/config.json"),
                    sibling(dir, cfg, "vae", "weights", "../vae/weights.safetensors"));
            Path schedDir = sibling(dir, cfg, "scheduler", "config", "../scheduler/config.json").getParent();
            NoiseSchedule sched = SchedulerParity.schedule(schedDir);

            Tensor sarLatent = vae.encodeLatent(fx.f("sar_image"));
            out.add(Fixture.compare("sar_latent", sarLatent, fx.f("sar_latent"), 1e-4));
            Tensor context = fx.f("context");
            Path teCfg = sibling(dir, cfg, "text_encoder", "config", "../text_encoder/config.json");
            if (Files.exists(teCfg) && cfg.has("prompt_ids")) {
                ClipTextModel te = ClipTextModel.load(teCfg, sibling(dir, cfg, "text_encoder", "weights", "../text_encoder/weights.safetensors"));
                long[] ids = new long[cfg.get("prompt_ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = cfg.get("prompt_ids").get(i).asLong();
                Tensor ctx = te.forward(Tensors.fromLongs(ids, 1, ids.length));
                out.add(Fixture.compare("context", ctx.expand(context.size(0), -1, -1), context, 1e-4));
            }
            int steps = cfg.path("num_inference_steps").asInt(Math.toIntExact(fx.raw("timesteps").size(0)));
            out.add(Result.exact("timesteps", Arrays.equals(sched.ddimTimesteps(steps), Tensors.toLongs(fx.raw("timesteps"))), "exact"));

            Map<String, Tensor> trace = new HashMap<>();
            CDiffSetSampler.Result r = CDiffSetSampler.create(unet, sched, SamplingSettings.DEFAULT.with(null, steps, null)).sample(sarLatent, context, fx.f("init_noise"), trace::put, null);
            for (int i = 0; i < steps; i++) {
                for (String k : new String[]{"unet_out", "pred_original", "latent"}) {
                    String name = "step" + i + "_" + k;
                    if (fx.has(name) && trace.containsKey(name)) out.add(Fixture.compare(name, trace.get(name), fx.f(name), 1e-4));
                }
            }
            out.add(Fixture.compare("var_raw_mid", r.rawVarianceMid(), fx.f("var_raw_mid"), 1e-4));
            out.add(Fixture.compare("variance_mid", CDiffLoss.variance(r.rawVarianceMid()), fx.f("variance_mid"), 1e-4));
            out.add(Fixture.compare("confidence_mid", CDiffLoss.confidence(r.rawVarianceMid()), fx.f("confidence_mid"), 1e-4 * Math.max(1, Tensors.maxAbs(fx.f("confidence_mid")))));
            out.add(Fixture.compare("final_latent", r.latent(), fx.f("final_latent"), 1e-4));
            Tensor decoded = vae.decodeLatent(r.latent());
            out.add(Fixture.compare("decoded", decoded, fx.f("decoded"), 2e-4));
            out.add(Fixture.compare("image", Translator.toUnitRange(decoded), fx.f("image"), 2e-4));
        }
    }
}
