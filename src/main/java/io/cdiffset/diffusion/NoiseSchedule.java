package io.cdiffset.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The diffusion noise schedule of diffusers' DDPM/DDIM schedulers (float32, computed with libtorch exactly as
 * diffusers does), plus DDPM forward noising.
 */
public final class NoiseSchedule {
    public enum Prediction { EPSILON, V_PREDICTION, SAMPLE }

    private final int trainSteps;
    private final int stepsOffset;
    private final Prediction prediction;
    private final Tensor betas;
    private final Tensor alphasCumprod;
    private final float[] ac;
    private final float finalAlphaCumprod;

    public NoiseSchedule(int trainSteps, double betaStart, double betaEnd, String betaSchedule, int stepsOffset,
                         boolean setAlphaToOne, Prediction prediction) {
        this.trainSteps = trainSteps;
        this.stepsOffset = stepsOffset;
        this.prediction = prediction;
        Tensor b = switch (betaSchedule) {
            case "scaled_linear" -> torch.linspace(new Scalar(Math.sqrt(betaStart)), new Scalar(Math.sqrt(betaEnd)), trainSteps,
                    Tensors.options(ScalarType.Float)).pow(new Scalar(2));
            case "linear" -> torch.linspace(new Scalar(betaStart), new Scalar(betaEnd), trainSteps, Tensors.options(ScalarType.Float));
            default -> throw new IllegalArgumentException("beta_schedule " + betaSchedule + " is not supported (scaled_linear, linear)");
        };
        this.betas = b;
        this.alphasCumprod = torch.cumprod(torch.ones_like(b).sub(b), 0);
        this.ac = Tensors.toFloats(alphasCumprod);
        this.finalAlphaCumprod = setAlphaToOne ? 1f : ac[0];
    }

    /** SD 2.1-base: scaled_linear 0.00085 → 0.012, 1000 steps, steps_offset 1, set_alpha_to_one false, ε-prediction. */
    public static NoiseSchedule sd21() {
        return sd21(Prediction.EPSILON);
    }

    /** From a diffusers scheduler_config.json node (PNDM / DDIM / DDPM files share these keys). */
    public static NoiseSchedule fromConfig(JsonNode c) {
        Prediction p = parsePrediction(c.path("prediction_type").asText("epsilon"));
        String spacing = c.path("timestep_spacing").asText("leading");
        if (!spacing.equals("leading")) throw new IllegalArgumentException("timestep_spacing " + spacing + " is not supported (SD 2.1 uses leading)");
        if (c.path("rescale_betas_zero_snr").asBoolean(false)) throw new IllegalArgumentException("rescale_betas_zero_snr is not supported");
        return new NoiseSchedule(c.path("num_train_timesteps").asInt(1000), c.path("beta_start").asDouble(0.0001),
                c.path("beta_end").asDouble(0.02), c.path("beta_schedule").asText("linear"), c.path("steps_offset").asInt(0),
                c.path("set_alpha_to_one").asBoolean(true), p);
    }

    /** SD 2.1-base's schedule with another prediction type (SD 2.1-768 uses the same betas with v_prediction). */
    public static NoiseSchedule sd21(Prediction prediction) {
        return new NoiseSchedule(1000, 0.00085, 0.012, "scaled_linear", 1, false, prediction);
    }

    /** diffusers' {@code prediction_type} name: epsilon, v_prediction or sample. */
    public static Prediction parsePrediction(String name) {
        return switch (name) {
            case "epsilon" -> Prediction.EPSILON;
            case "v_prediction" -> Prediction.V_PREDICTION;
            case "sample" -> Prediction.SAMPLE;
            default -> throw new IllegalArgumentException("prediction_type " + name + " is not supported (epsilon, v_prediction, sample)");
        };
    }

    /** The diffusers name of a prediction type. */
    public static String predictionName(Prediction p) {
        return switch (p) {
            case EPSILON -> "epsilon";
            case V_PREDICTION -> "v_prediction";
            case SAMPLE -> "sample";
        };
    }

    public int trainSteps() {
        return trainSteps;
    }

    public Prediction prediction() {
        return prediction;
    }

    public Tensor betas() {
        return betas;
    }

    public Tensor alphasCumprod() {
        return alphasCumprod;
    }

    public float alphaCumprod(int t) {
        return ac[t];
    }

    public float finalAlphaCumprod() {
        return finalAlphaCumprod;
    }

    /** DDIM "leading" timesteps with steps_offset, e.g. 50 → [981, 961, ..., 1]. */
    public long[] ddimTimesteps(int steps) {
        if (steps < 1 || steps >= trainSteps) {
            throw new IllegalArgumentException("number of DDIM steps must be between 1 and " + (trainSteps - 1) + ", got " + steps);
        }
        int ratio = trainSteps / steps;
        long[] t = new long[steps];
        for (int i = 0; i < steps; i++) t[i] = (long) (steps - 1 - i) * ratio + stepsOffset;
        return t;
    }

    /** sqrt(ᾱ_t) per sample, float32 [B]. */
    public Tensor sqrtAlphaProd(Tensor timesteps) {
        return alphasCumprod.index_select(0, timesteps.to(ScalarType.Long)).pow(new Scalar(0.5));
    }

    /** DDPMScheduler.add_noise: sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε, per-sample t [B]. */
    public Tensor addNoise(Tensor x0, Tensor noise, Tensor timesteps) {
        Tensor[] s = scales(timesteps, x0);
        return s[0].mul(x0).add(s[1].mul(noise));
    }

    /**
     * What the model learns to output for x_t = addNoise(x0, ε, t): ε, v = sqrt(ᾱ_t)·ε − sqrt(1−ᾱ_t)·x0 (diffusers'
     * {@code get_velocity}), or x0.
     */
    public Tensor target(Tensor x0, Tensor noise, Tensor timesteps) {
        return switch (prediction) {
            case EPSILON -> noise;
            case SAMPLE -> x0;
            case V_PREDICTION -> {
                Tensor[] s = scales(timesteps, x0);
                yield s[0].mul(noise).sub(s[1].mul(x0));
            }
        };
    }

    /** The model's estimate of x0 from its output at x_t, per-sample t [B]. */
    public Tensor predictOriginal(Tensor modelOutput, Tensor sample, Tensor timesteps) {
        Tensor[] s = scales(timesteps, sample);
        return switch (prediction) {
            case EPSILON -> sample.sub(s[1].mul(modelOutput)).div(s[0]);
            case V_PREDICTION -> s[0].mul(sample).sub(s[1].mul(modelOutput));
            case SAMPLE -> modelOutput;
        };
    }

    /** {sqrt(ᾱ_t), sqrt(1−ᾱ_t)} as [B,1,1,1] in {@code like}'s dtype. */
    private Tensor[] scales(Tensor timesteps, Tensor like) {
        Tensor a = alphasCumprod.to(Tensors.dtype(like)).index_select(0, timesteps.to(ScalarType.Long));
        return new Tensor[]{a.pow(new Scalar(0.5)).view(-1, 1, 1, 1), torch.ones_like(a).sub(a).pow(new Scalar(0.5)).view(-1, 1, 1, 1)};
    }

    /** The DDIM step (eta 0), exactly as diffusers' DDIMScheduler.step for "leading" spacing. */
    public DdimStep ddimStep(Tensor modelOutput, long t, Tensor sample, int steps) {
        long tPrev = t - trainSteps / steps;
        float aT = ac[(int) t];
        float aPrev = tPrev >= 0 ? ac[(int) tPrev] : finalAlphaCumprod;
        float bT = 1f - aT;
        float sqrtA = (float) Math.sqrt(aT);
        float sqrtB = (float) Math.sqrt(bT);
        Tensor x0;
        Tensor eps;
        switch (prediction) {
            case EPSILON -> {
                x0 = sample.sub(modelOutput.mul(new Scalar(sqrtB))).div(new Scalar(sqrtA));
                eps = modelOutput;
            }
            case V_PREDICTION -> {
                x0 = sample.mul(new Scalar(sqrtA)).sub(modelOutput.mul(new Scalar(sqrtB)));
                eps = modelOutput.mul(new Scalar(sqrtA)).add(sample.mul(new Scalar(sqrtB)));
            }
            default -> {
                x0 = modelOutput;
                eps = sample.sub(x0.mul(new Scalar(sqrtA))).div(new Scalar(sqrtB));
            }
        }
        float dir = (float) Math.sqrt(1f - aPrev);
        Tensor prev = x0.mul(new Scalar((float) Math.sqrt(aPrev))).add(eps.mul(new Scalar(dir)));
        return new DdimStep(prev, x0);
    }

    public record DdimStep(Tensor prevSample, Tensor predOriginal) {}
}
