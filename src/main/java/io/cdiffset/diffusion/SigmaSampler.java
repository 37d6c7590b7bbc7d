package io.cdiffset.diffusion;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * What the samplers over a sigma table have in common (DPM-Solver++, Euler, UniPC): the schedule, the step count
 * check, the timesteps and the σ table (n + 1 entries, float32 as diffusers keeps them, the last one 0).
 */
abstract class SigmaSampler implements Sampler {
    protected final NoiseSchedule sched;
    protected double[] timesteps;
    protected float[] sigmas;

    SigmaSampler(NoiseSchedule sched, int steps) {
        if (steps < 1 || steps > sched.trainSteps()) {
            throw new IllegalArgumentException("number of steps must be between 1 and " + sched.trainSteps() + ", got " + steps);
        }
        this.sched = sched;
    }

    @Override public int trainSteps() {
        return sched.trainSteps();
    }

    @Override public int steps() {
        return timesteps.length;
    }

    @Override public double[] timesteps() {
        return timesteps.clone();
    }

    @Override public boolean integerTimesteps() {
        return true;
    }

    @Override public double initNoiseSigma() {
        return 1.0;
    }

    @Override public Tensor scaleModelInput(Tensor x, int i) {
        return x;
    }

    /** diffusers' convert_model_output (dpmsolver++ / UniPC predict_x0): the data prediction x0 at σ, float32. */
    protected Tensor convert(Tensor modelOutput, float sigma, Tensor x) {
        float a = SigmaTables.alphaOf(sigma), s = sigma * a;
        return switch (sched.prediction()) {
            case EPSILON -> x.sub(modelOutput.mul(new Scalar(s))).div(new Scalar(a));
            case V_PREDICTION -> x.mul(new Scalar(a)).sub(modelOutput.mul(new Scalar(s)));
            case SAMPLE -> modelOutput;
        };
    }
}
