package io.cdiffset.diffusion;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Euler: diffusers' {@code EulerDiscreteScheduler} with its defaults for SD 2.1 ({@code timestep_spacing="linspace"},
 * {@code interpolation_type="linear"}, {@code final_sigmas_type="zero"}, no Karras sigmas, s_churn 0 so no noise is
 * added).
 *
 * <p>Timesteps are float32 {@code linspace(0, 999, n)} reversed (999, 946.42, ...); σ is linearly interpolated at
 * them. The latent lives in σ-space: the initial latent is unit noise × σ_max (≈ 14.61 for SD 2.1), the UNet is fed
 * x / sqrt(σ² + 1), and a step is x + (x − x0)/σ · (σ_next − σ), with x0 = x − σ·ε or, for v-prediction,
 * x0 = −σ/sqrt(σ²+1)·v + x/(σ²+1).
 *
 * <p><b>Confidence step.</b> C-DiffSET reads its confidence at t = T/2 = 500; with this sampler it is read at the
 * step whose (fractional) timestep is nearest to 500 ({@link Samplers#confidenceStep}); the timesteps run from 999 to
 * 0 in n evenly spaced values, so that is step ≈ (n−1)/2: 5 steps → step 2 (t = 499.5), 10 → step 4 (t = 555),
 * 20 → step 9 (t = 525.79), 50 → step 24 (t = 509.69). The UNet is evaluated there at the float timestep, on the
 * scaled input x/sqrt(σ²+1), like the other samplers' unit-variance input.
 */
public final class EulerSampler extends SigmaSampler {

    public EulerSampler(NoiseSchedule sched, int steps) {
        super(sched, steps);
        float[] train = SigmaTables.trainSigmas(sched);
        double[] l = SigmaTables.linspace(0, sched.trainSteps() - 1, steps);
        timesteps = new double[steps];
        for (int i = 0; i < steps; i++) timesteps[i] = (float) l[steps - 1 - i]; // np.linspace(..., dtype=float32)[::-1]
        sigmas = SigmaTables.interpolatedSigmas(train, timesteps);
    }

    @Override public String name() {
        return "euler";
    }

    @Override public boolean integerTimesteps() {
        return false;
    }

    /** max σ (linspace spacing): σ at the first timestep, float32. */
    @Override public double initNoiseSigma() {
        float m = 0;
        for (float s : sigmas) m = Math.max(m, s);
        return m;
    }

    /** σ of step i (i = steps() is the final 0). */
    public float sigma(int i) {
        return sigmas[i];
    }

    @Override public Tensor scaleModelInput(Tensor x, int i) {
        float s = sigmas[i];
        return x.div(new Scalar((float) Math.sqrt(s * s + 1f)));
    }

    @Override public Tensor step(Tensor modelOutput, int i, Tensor x) {
        if (i < 0 || i >= timesteps.length) throw new IllegalArgumentException("step " + i + " outside 0.." + (timesteps.length - 1));
        float sigma = sigmas[i];
        float sigmaHat = sigma; // gamma = 0 (s_churn 0)
        Tensor x0 = switch (sched.prediction()) {
            case EPSILON -> x.sub(modelOutput.mul(new Scalar(sigmaHat)));
            case V_PREDICTION -> {
                float s2 = sigma * sigma + 1f;
                float c = -sigma / (float) Math.sqrt(s2);
                yield modelOutput.mul(new Scalar(c)).add(x.div(new Scalar(s2)));
            }
            case SAMPLE -> modelOutput;
        };
        Tensor derivative = x.sub(x0).div(new Scalar(sigmaHat));
        float dt = sigmas[i + 1] - sigmaHat;
        return x.add(derivative.mul(new Scalar(dt)));
    }
}
