package io.cdiffset.diffusion;

import java.util.List;

/** Creates samplers by name and says at which step C-DiffSET's confidence is read. */
public final class Samplers {
    private Samplers() {}

    /** The accepted sampler names. */
    public static final List<String> NAMES = List.of("ddim", "dpmpp_2m", "dpmpp_2m_karras", "euler", "unipc");

    /** The training timestep at which C-DiffSET reads its confidence: T/2. */
    public static final double CONFIDENCE_T_FRACTION = 0.5;

    /**
     * A fresh sampler over {@code sched} (betas and prediction type) with {@code steps} steps.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the valid ones) or an unusable step count
     */
    public static Sampler create(String name, NoiseSchedule sched, int steps) {
        if (name == null) throw new IllegalArgumentException("no sampler name given; valid samplers: " + String.join(", ", NAMES));
        return switch (name) {
            case "ddim" -> new DdimSampler(sched, steps);
            case "dpmpp_2m" -> new DpmSolverPP2M(sched, steps, false);
            case "dpmpp_2m_karras" -> new DpmSolverPP2M(sched, steps, true);
            case "euler" -> new EulerSampler(sched, steps);
            case "unipc" -> new UniPcSampler(sched, steps);
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "'; valid samplers: " + String.join(", ", NAMES));
        };
    }

    /**
     * The step at which C-DiffSET's confidence (the UNet's variance channel) is read with this sampler: the step
     * whose timestep is nearest to T/2 (500 for SD 2.1's T = 1000); on a tie the earlier (noisier) step.
     * Always 0 ≤ index &lt; {@code sampler.steps()}.
     */
    public static int confidenceStep(Sampler sampler) {
        double target = sampler.trainSteps() * CONFIDENCE_T_FRACTION;
        double[] ts = sampler.timesteps();
        int best = 0;
        for (int i = 1; i < ts.length; i++) {
            if (Math.abs(ts[i] - target) < Math.abs(ts[best] - target)) best = i;
        }
        return best;
    }
}
