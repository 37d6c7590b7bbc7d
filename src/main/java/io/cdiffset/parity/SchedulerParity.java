package io.cdiffset.parity;

import io.cdiffset.diffusion.NoiseSchedule;
import io.cdiffset.engine.Tensors;
import io.cdiffset.model.ConfigJson;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

final class SchedulerParity {
    private SchedulerParity() {}

    static NoiseSchedule schedule(Path schedulerDir) {
        ConfigJson c = ConfigJson.read(schedulerDir.resolve("config.json"));
        return NoiseSchedule.fromConfig(c.root().has("source_scheduler_config") ? c.root().get("source_scheduler_config") : c.root());
    }

    static void run(Path dir, List<Result> out) {
        NoiseSchedule s = schedule(dir);
        try (Fixture fx = new Fixture(dir)) {
            out.add(Fixture.compare("betas", s.betas(), fx.f("betas"), 0));
            out.add(Fixture.compare("alphas_cumprod", s.alphasCumprod(), fx.f("alphas_cumprod"), 0));
            if (fx.has("final_alpha_cumprod")) {
                out.add(Result.abs("final_alpha_cumprod", Math.abs(s.finalAlphaCumprod() - fx.f("final_alpha_cumprod").item_float()), 0));
            }
            for (String k : fx.io.entries().keySet()) {
                if (k.startsWith("ddim_timesteps_")) {
                    int n = Integer.parseInt(k.substring("ddim_timesteps_".length()));
                    out.add(Result.exact(k, Arrays.equals(s.ddimTimesteps(n), Tensors.toLongs(fx.raw(k))), "exact"));
                }
            }
            if (fx.has("traj_timesteps")) {
                long[] ts = Tensors.toLongs(fx.raw("traj_timesteps"));
                out.add(Result.exact("traj_timesteps", Arrays.equals(ts, s.ddimTimesteps(ts.length)), "exact"));
                Tensor x = fx.f("traj_x_init");
                Tensor outs = fx.f("traj_model_outputs"), prevs = fx.f("traj_prev_samples"), x0s = fx.f("traj_pred_original");
                double errPrev = 0, errX0 = 0;
                for (int i = 0; i < ts.length; i++) {
                    NoiseSchedule.DdimStep st = s.ddimStep(outs.select(0, i), ts[i], x, ts.length);
                    errPrev = Math.max(errPrev, Tensors.maxAbsDiff(st.prevSample(), prevs.select(0, i)));
                    errX0 = Math.max(errX0, Tensors.maxAbsDiff(st.predOriginal(), x0s.select(0, i)));
                    x = prevs.select(0, i); // each step from the reference input, as the fixture defines
                }
                out.add(Result.abs("traj_prev_samples", errPrev, 1e-5));
                out.add(Result.abs("traj_pred_original", errX0, 1e-5));
            }
            if (fx.has("addnoise_out")) {
                Tensor y = s.addNoise(fx.f("addnoise_latents"), fx.f("addnoise_noise"), fx.raw("addnoise_timesteps"));
                out.add(Fixture.compare("addnoise_out", y, fx.f("addnoise_out"), 1e-5));
            }
        }
    }
}
