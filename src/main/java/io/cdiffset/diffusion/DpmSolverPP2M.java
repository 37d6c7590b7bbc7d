package io.cdiffset.diffusion;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * DPM-Solver++ 2M: diffusers' {@code DPMSolverMultistepScheduler} with {@code algorithm_type="dpmsolver++"},
 * {@code solver_order=2}, {@code solver_type="midpoint"}, {@code lower_order_final=True},
 * {@code final_sigmas_type="zero"}, {@code timestep_spacing="linspace"}, optionally {@code use_karras_sigmas=True}
 * (the "DPM++ 2M Karras" of other front ends).
 *
 * <p>The model output is converted to a data prediction x0 (ε: (x − σ_t·ε)/α_t; v: α_t·x − σ_t·v). Step 0 is a
 * first-order (DDIM-equivalent) update since there is no history yet; every later step is the second-order midpoint
 * update from the current and previous x0, except the final step (to σ = 0), which diffusers always takes at first
 * order with {@code final_sigmas_type="zero"}.
 *
 * <p><b>Confidence step.</b> C-DiffSET reads its confidence at t = T/2 = 500; with this sampler it is read at the
 * step whose timestep is nearest to 500 ({@link Samplers#confidenceStep}). Without Karras sigmas the timesteps are
 * evenly spaced ({@code round(linspace(0, 999, n+1))} reversed), so this is step n/2: 5 steps → step 2 (t = 599),
 * 10 → step 5 (t = 500), 20 → step 10 (t = 500), 50 → step 25 (t = 500). With Karras sigmas the timesteps are
 * spaced in σ^(1/7): 5 steps → step 2 (t = 427), 10 → step 4 (t = 523), 20 → step 9 (t = 474), 50 → step 22
 * (t = 516). The UNet's output at that step (before the solver update) is where the variance channel is read.
 */
public final class DpmSolverPP2M extends SigmaSampler {
    private final boolean karras;
    private Tensor prevX0;        // x0 of the previous step (model_outputs[-2])
    private int lowerOrderNums;

    public DpmSolverPP2M(NoiseSchedule sched, int steps, boolean karras) {
        super(sched, steps);
        this.karras = karras;
        float[] train = SigmaTables.trainSigmas(sched);
        double[] ts = SigmaTables.linspaceIntTimesteps(sched.trainSteps(), steps);
        if (karras) {
            float[] log = SigmaTables.logSigmas(train);
            // flipped table: in_sigmas[-1] = σ(0) (smallest), in_sigmas[0] = σ(T−1) (largest)
            double[] ks = SigmaTables.karras(train[0], train[train.length - 1], steps);
            sigmas = new float[steps + 1];
            for (int i = 0; i < steps; i++) {
                sigmas[i] = (float) ks[i];
                ts[i] = Math.rint(SigmaTables.sigmaToT(ks[i], log));
            }
            sigmas[steps] = 0f;
        } else {
            sigmas = SigmaTables.interpolatedSigmas(train, ts);
        }
        this.timesteps = ts;
    }

    @Override public String name() {
        return karras ? "dpmpp_2m_karras" : "dpmpp_2m";
    }

    /** σ of step i (i = steps() is the final 0). */
    public float sigma(int i) {
        return sigmas[i];
    }

    @Override public Tensor step(Tensor modelOutput, int i, Tensor x) {
        int n = timesteps.length;
        if (i < 0 || i >= n) throw new IllegalArgumentException("step " + i + " outside 0.." + (n - 1));
        if (i == 0) reset();
        boolean lowerOrderFinal = i == n - 1; // final_sigmas_type "zero" (and lower_order_final for n < 15)
        Tensor x0 = convert(modelOutput, sigmas[i], x);
        Tensor prev;
        if (lowerOrderNums < 1 || lowerOrderFinal || prevX0 == null) {
            prev = firstOrder(x0, i, x);
        } else {
            prev = secondOrder(x0, prevX0, i, x);
        }
        History.drop(prevX0);
        prevX0 = History.keep(x0);
        if (lowerOrderNums < 2) lowerOrderNums++;
        return prev;
    }

    /** Forgets the history (done by step 0). */
    public void reset() {
        History.drop(prevX0);
        prevX0 = null;
        lowerOrderNums = 0;
    }


    private Tensor firstOrder(Tensor x0, int i, Tensor x) {
        float st = sigmas[i + 1], ss = sigmas[i];
        float at = SigmaTables.alphaOf(st), as = SigmaTables.alphaOf(ss);
        float sigT = st * at, sigS = ss * as;
        float lt = (float) Math.log(at) - (float) Math.log(sigT);
        float ls = (float) Math.log(as) - (float) Math.log(sigS);
        float h = lt - ls;
        float c1 = sigT / sigS;
        float c2 = at * ((float) Math.exp(-h) - 1f);
        return x.mul(new Scalar(c1)).sub(x0.mul(new Scalar(c2)));
    }

    private Tensor secondOrder(Tensor m0, Tensor m1, int i, Tensor x) {
        float st = sigmas[i + 1], s0 = sigmas[i], s1 = sigmas[i - 1];
        float at = SigmaTables.alphaOf(st), a0 = SigmaTables.alphaOf(s0), a1 = SigmaTables.alphaOf(s1);
        float sigT = st * at, sig0 = s0 * a0, sig1 = s1 * a1;
        float lt = (float) Math.log(at) - (float) Math.log(sigT);
        float l0 = (float) Math.log(a0) - (float) Math.log(sig0);
        float l1 = (float) Math.log(a1) - (float) Math.log(sig1);
        float h = lt - l0, h0 = l0 - l1;
        float r0 = h0 / h;
        Tensor d1 = m0.sub(m1).mul(new Scalar(1f / r0));
        float c1 = sigT / sig0;
        float c2 = at * ((float) Math.exp(-h) - 1f);
        float c3 = 0.5f * c2;
        return x.mul(new Scalar(c1)).sub(m0.mul(new Scalar(c2))).sub(d1.mul(new Scalar(c3)));
    }
}
