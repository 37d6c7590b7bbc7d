package io.cdiffset.diffusion;

import org.bytedeco.pytorch.Tensor;

/**
 * DDIM (eta 0) as diffusers' {@code DDIMScheduler} with SD 2.1's "leading" spacing and steps_offset 1
 * (50 steps: 981, 961, ..., 1): a thin {@link Sampler} view of {@link NoiseSchedule#ddimStep}, so it computes
 * exactly what C-DiffSET's original DDIM loop computes. Stateless.
 *
 * <p><b>Confidence step.</b> C-DiffSET reads its confidence at t = T/2 = 500; with this sampler it is read at the
 * step whose timestep is nearest to 500 ({@link Samplers#confidenceStep}): 5 steps → step 2 (t = 401),
 * 10 → step 4 (t = 501), 20 → step 9 (t = 501), 50 → step 24 (t = 501). The authors' test.py (and the original
 * {@code Translator.sampleLatents(unet, sched, ..., steps, ...)}, kept bit-identical) uses the middle index
 * {@code steps / 2} instead, one step later at 10, 20 and 50 steps (t = 401, 451, 481).
 */
public final class DdimSampler implements Sampler {
    private final NoiseSchedule sched;
    private final long[] ts;

    public DdimSampler(NoiseSchedule sched, int steps) {
        this.sched = sched;
        this.ts = sched.ddimTimesteps(steps);
    }

    @Override public String name() {
        return "ddim";
    }

    @Override public int trainSteps() {
        return sched.trainSteps();
    }

    @Override public int steps() {
        return ts.length;
    }

    @Override public double[] timesteps() {
        double[] d = new double[ts.length];
        for (int i = 0; i < ts.length; i++) d[i] = ts[i];
        return d;
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

    @Override public Tensor step(Tensor modelOutput, int i, Tensor x) {
        return sched.ddimStep(modelOutput, ts[i], x, ts.length).prevSample();
    }

    /** The full DDIM step (prev sample and x0 estimate) at index i. */
    public NoiseSchedule.DdimStep ddimStep(Tensor modelOutput, int i, Tensor x) {
        return sched.ddimStep(modelOutput, ts[i], x, ts.length);
    }
}
