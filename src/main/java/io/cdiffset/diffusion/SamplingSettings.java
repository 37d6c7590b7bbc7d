package io.cdiffset.diffusion;

/**
 * How to sample: the sampler ({@link Samplers#NAMES}), its step count and the SAR guidance scale. Each front end
 * resolves them the same way, once: the user's option, else the model folder's {@code sampling.json}
 * ({@link ModelBundle#sampling()}), else C-DiffSET's own ({@link #DEFAULT}: DDIM, 50 steps, guidance 1).
 */
public record SamplingSettings(String sampler, int steps, double sarGuidance) {
    /** C-DiffSET's sampling, as the authors' test.py runs it. */
    public static final SamplingSettings DEFAULT = new SamplingSettings("ddim", 50, 1.0);

    public SamplingSettings {
        if (sampler == null || !Samplers.NAMES.contains(sampler)) {
            throw new IllegalArgumentException("--sampler " + sampler + ": unknown; use one of " + String.join(", ", Samplers.NAMES));
        }
        if (steps < 1 || steps > 999) throw new IllegalArgumentException("--steps must be between 1 and 999, got " + steps);
        CDiffSetSampler.checkSarGuidance(sarGuidance);
    }

    /** These settings with each non-null argument in place of its own. */
    public SamplingSettings with(String sampler, Integer steps, Double sarGuidance) {
        return new SamplingSettings(sampler != null ? sampler : this.sampler, steps != null ? steps : this.steps,
                sarGuidance != null ? sarGuidance : this.sarGuidance);
    }

    /** "dpmpp_2m, 10 steps" plus ", SAR guidance 10" when guided. */
    public String describe() {
        return sampler + ", " + steps + " steps" + (sarGuidance == 1.0 ? "" : ", SAR guidance " + sarGuidance);
    }
}
