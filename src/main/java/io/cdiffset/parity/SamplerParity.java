package io.cdiffset.parity;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.cdiffset.diffusion.NoiseSchedule;
import io.cdiffset.diffusion.Sampler;
import io.cdiffset.diffusion.Samplers;
import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The samplers fixture: diffusers' DPM-Solver++ 2M (plain and Karras), Euler, UniPC and DDIM trajectories, one case
 * {@code SAMPLER__PREDICTION__STEPS} per entry of config.json's {@code cases}. Per case: the diffusers options are
 * the ones our sampler implements, the timesteps (exact for integers, 1e-3 for Euler's floats), init_noise_sigma, and
 * every model_input and prev_sample with |Δ| ≤ 1e-4·max(1, |expected|) (reported as that relative error, tol 1e-4).
 * The trajectory runs on our own samples (x_(i+1) = our step i), so errors would accumulate as in real use.
 */
final class SamplerParity {
    private SamplerParity() {}

    static final double TOL = 1e-4;
    static final double FLOAT_T_TOL = 1e-3;

    /** diffusers options each scheduler class must have for our implementation to be the same computation. */
    private static final Map<String, Map<String, String>> REQUIRED = Map.of(
            "DPMSolverMultistepScheduler", Map.ofEntries(
                    Map.entry("algorithm_type", "\"dpmsolver++\""), Map.entry("solver_order", "2"),
                    Map.entry("solver_type", "\"midpoint\""), Map.entry("lower_order_final", "true"),
                    Map.entry("euler_at_final", "false"), Map.entry("final_sigmas_type", "\"zero\""),
                    Map.entry("timestep_spacing", "\"linspace\""), Map.entry("thresholding", "false"),
                    Map.entry("use_exponential_sigmas", "false"), Map.entry("use_beta_sigmas", "false"),
                    Map.entry("use_lu_lambdas", "false"), Map.entry("use_flow_sigmas", "false"),
                    Map.entry("rescale_betas_zero_snr", "false"), Map.entry("variance_type", "null"),
                    Map.entry("use_dynamic_shifting", "false")),
            "EulerDiscreteScheduler", Map.of(
                    "interpolation_type", "\"linear\"", "use_karras_sigmas", "false", "use_exponential_sigmas", "false",
                    "use_beta_sigmas", "false", "timestep_spacing", "\"linspace\"", "timestep_type", "\"discrete\"",
                    "final_sigmas_type", "\"zero\"", "rescale_betas_zero_snr", "false", "sigma_min", "null", "sigma_max", "null"),
            "UniPCMultistepScheduler", Map.ofEntries(
                    Map.entry("solver_order", "2"), Map.entry("predict_x0", "true"), Map.entry("solver_type", "\"bh2\""),
                    Map.entry("lower_order_final", "true"), Map.entry("disable_corrector", "[]"), Map.entry("solver_p", "null"),
                    Map.entry("use_karras_sigmas", "false"), Map.entry("use_exponential_sigmas", "false"),
                    Map.entry("use_beta_sigmas", "false"), Map.entry("use_flow_sigmas", "false"),
                    Map.entry("timestep_spacing", "\"linspace\""), Map.entry("final_sigmas_type", "\"zero\""),
                    Map.entry("thresholding", "false"), Map.entry("rescale_betas_zero_snr", "false"),
                    Map.entry("use_dynamic_shifting", "false")),
            "DDIMScheduler", Map.of(
                    "timestep_spacing", "\"leading\"", "clip_sample", "false", "thresholding", "false",
                    "rescale_betas_zero_snr", "false"));

    static JsonNode readConfig(Path file) {
        try {
            return JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    static void run(Path dir, List<Result> out) {
        JsonNode cases = readConfig(dir.resolve("config.json")).path("cases");
        if (!cases.isObject() || cases.isEmpty()) throw new IllegalArgumentException(dir + "/config.json: no \"cases\"");
        try (Fixture fx = new Fixture(dir)) {
            for (Iterator<Map.Entry<String, JsonNode>> it = cases.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                runCase(fx, e.getKey(), e.getValue(), out);
            }
        }
    }

    private static void runCase(Fixture fx, String name, JsonNode c, List<Result> out) {
        JsonNode cfg = c.path("config");
        String cls = c.path("class").asText(cfg.path("_class_name").asText());
        List<String> wrong = new ArrayList<>();
        Map<String, String> req = REQUIRED.get(cls);
        if (req == null) wrong.add("class " + cls);
        else req.forEach((k, v) -> {
            if (cfg.has(k) && !cfg.get(k).toString().equals(v)) wrong.add(k + "=" + cfg.get(k));
        });
        if (cfg.has("lambda_min_clipped") && !(cfg.get("lambda_min_clipped").isDouble() && cfg.get("lambda_min_clipped").asDouble() == Double.NEGATIVE_INFINITY)) {
            wrong.add("lambda_min_clipped=" + cfg.get("lambda_min_clipped"));
        }
        String sampler = name.split("__")[0];
        boolean karras = cfg.path("use_karras_sigmas").asBoolean(false);
        if (sampler.startsWith("dpmpp_2m") && karras != sampler.equals("dpmpp_2m_karras")) wrong.add("use_karras_sigmas=" + karras);
        out.add(Result.exact(name + " config", wrong.isEmpty(), wrong.isEmpty() ? "supported" : "unsupported " + wrong));
        if (!wrong.isEmpty()) return;

        NoiseSchedule sched = new NoiseSchedule(cfg.path("num_train_timesteps").asInt(1000), cfg.path("beta_start").asDouble(0.0001),
                cfg.path("beta_end").asDouble(0.02), cfg.path("beta_schedule").asText("linear"), cfg.path("steps_offset").asInt(0),
                cfg.path("set_alpha_to_one").asBoolean(true), NoiseSchedule.parsePrediction(cfg.path("prediction_type").asText("epsilon")));
        Tensor expTs = fx.raw(name + "__timesteps");
        int steps = (int) expTs.size(0);
        if (c.has("steps") && c.get("steps").asInt() != steps) {
            out.add(Result.exact(name + " steps", false, "config steps " + c.get("steps").asInt() + " vs " + steps + " timesteps"));
            return;
        }
        Sampler s = Samplers.create(sampler, sched, steps);

        double[] ts = s.timesteps();
        if (s.integerTimesteps()) {
            long[] e = Tensors.toLongs(expTs);
            boolean eq = e.length == ts.length;
            for (int i = 0; eq && i < e.length; i++) eq = e[i] == (long) ts[i];
            out.add(Result.exact(name + " timesteps", eq, "exact"));
        } else {
            double[] e = Tensors.toDoubles(expTs.to(org.bytedeco.pytorch.global.torch.ScalarType.Double));
            double err = e.length == ts.length ? 0 : Double.POSITIVE_INFINITY;
            for (int i = 0; i < Math.min(e.length, ts.length); i++) err = Math.max(err, Math.abs(e[i] - ts[i]));
            out.add(Result.abs(name + " timesteps", err, FLOAT_T_TOL));
        }
        if (c.has("init_noise_sigma")) {
            double e = c.get("init_noise_sigma").asDouble();
            out.add(Result.rel(name + " init_noise_sigma", Math.abs(s.initNoiseSigma() - e) / Math.max(1, Math.abs(e)), TOL));
        }

        Tensor x = fx.f(name + "__x_init");
        Tensor outs = fx.f(name + "__model_outputs"), inputs = fx.f(name + "__model_inputs"), prevs = fx.f(name + "__prev_samples");
        double errIn = 0, errPrev = 0;
        for (int i = 0; i < steps; i++) {
            errIn = Math.max(errIn, relErr(s.scaleModelInput(x, i), inputs.select(0, i)));
            x = s.step(outs.select(0, i), i, x);
            errPrev = Math.max(errPrev, relErr(x, prevs.select(0, i)));
        }
        out.add(Result.rel(name + " model_inputs", errIn, TOL));
        out.add(Result.rel(name + " prev_samples", errPrev, TOL));
    }

    /** max |a − e| / max(1, |e|): the README's tolerance as one number to hold against 1e-4. */
    static double relErr(Tensor actual, Tensor expected) {
        if (!java.util.Arrays.equals(Tensors.shape(actual), Tensors.shape(expected))) return Double.POSITIVE_INFINITY;
        Tensor denom = expected.abs().clamp_min(new org.bytedeco.pytorch.Scalar(1.0));
        return actual.sub(expected).abs().div(denom).max().item_double();
    }
}
