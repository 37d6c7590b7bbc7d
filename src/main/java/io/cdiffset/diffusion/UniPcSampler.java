package io.cdiffset.diffusion;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * UniPC: diffusers' {@code UniPCMultistepScheduler} with its defaults for SD 2.1: {@code solver_order=2},
 * {@code predict_x0=True}, {@code solver_type="bh2"}, {@code lower_order_final=True}, corrector on every step,
 * {@code final_sigmas_type="zero"}, {@code timestep_spacing="linspace"} (same timesteps and σ as DPM-Solver++ 2M).
 *
 * <p>Each step (i &gt; 0) first corrects the incoming latent with UniC, using the new model output (converted to x0)
 * and the predictor's history, then predicts the next latent with UniP. Orders: step 0 predicts at order 1 (no
 * history); step i predicts at order min(2, n − i, i + 1), so the final step is order 1; the corrector at step i uses
 * the order of the predictor of step i − 1.
 *
 * <p><b>Confidence step.</b> C-DiffSET reads its confidence at t = T/2 = 500; with this sampler it is read at the
 * step whose timestep is nearest to 500 ({@link Samplers#confidenceStep}); the timesteps are those of
 * {@link DpmSolverPP2M} without Karras sigmas, so step n/2: 5 steps → step 2 (t = 599), 10 → step 5 (t = 500),
 * 20 → step 10 (t = 500), 50 → step 25 (t = 500). Note that UniPC's model output at that step is evaluated on the latent before that step's corrector.
 */
public final class UniPcSampler extends SigmaSampler {
    private Tensor m0, m1;        // model_outputs[-1], [-2] (converted to x0)
    private Tensor lastSample;
    private int thisOrder;
    private int lowerOrderNums;

    public UniPcSampler(NoiseSchedule sched, int steps) {
        super(sched, steps);
        float[] train = SigmaTables.trainSigmas(sched);
        timesteps = SigmaTables.linspaceIntTimesteps(sched.trainSteps(), steps);
        sigmas = SigmaTables.interpolatedSigmas(train, timesteps);
    }

    @Override public String name() {
        return "unipc";
    }

    /** σ of step i (i = steps() is the final 0). */
    public float sigma(int i) {
        return sigmas[i];
    }

    @Override public Tensor step(Tensor modelOutput, int i, Tensor x) {
        int n = timesteps.length;
        if (i < 0 || i >= n) throw new IllegalArgumentException("step " + i + " outside 0.." + (n - 1));
        if (i == 0) reset();
        Tensor converted = convert(modelOutput, sigmas[i], x);
        Tensor sample = x;
        if (i > 0 && lastSample != null) sample = corrector(converted, lastSample, x, i, thisOrder);
        History.drop(m1);
        m1 = m0;
        m0 = History.keep(converted);
        int order = Math.min(2, n - i); // lower_order_final
        thisOrder = Math.min(order, lowerOrderNums + 1);
        History.drop(lastSample);
        lastSample = History.keep(sample);
        Tensor prev = predictor(sample, i, thisOrder);
        if (lowerOrderNums < 2) lowerOrderNums++;
        return prev;
    }

    /** Forgets the history (done by step 0). */
    public void reset() {
        History.drop(m0);
        History.drop(m1);
        History.drop(lastSample);
        m0 = m1 = lastSample = null;
        lowerOrderNums = 0;
        thisOrder = 0;
    }


    /** λ of sigma index k, float32. */
    private float lambda(int k) {
        return SigmaTables.lambdaOf(sigmas[k]);
    }

    /** multistep_uni_p_bh_update (bh2, predict_x0) from sigma index i to i+1. */
    private Tensor predictor(Tensor x, int i, int order) {
        Step c = new Step(sigmas[i + 1], sigmas[i]);
        float at = c.at, sigT = c.sigT, sig0 = c.sig0, l0 = c.l0, h = c.h, hh = -c.h, hPhi1 = c.hPhi1, bH = c.bH;
        Tensor xt = x.mul(new Scalar(sigT / sig0)).sub(m0.mul(new Scalar(at * hPhi1)));
        if (order >= 2) {
            float rk = (lambda(i - 1) - l0) / h;
            Tensor d1 = m1.sub(m0).div(new Scalar(rk));
            // order 2: rhos_p = [0.5]; pred_res = 0.5·D1
            Tensor predRes = d1.mul(new Scalar(0.5f));
            xt = xt.sub(predRes.mul(new Scalar(at * bH)));
        }
        return xt;
    }

    /** multistep_uni_c_bh_update (bh2, predict_x0): corrects x_i using model output at i and history up to i−1. */
    private Tensor corrector(Tensor modelT, Tensor last, Tensor thisSample, int i, int order) {
        Step c = new Step(sigmas[i], sigmas[i - 1]);
        float at = c.at, sigT = c.sigT, sig0 = c.sig0, l0 = c.l0, h = c.h, hh = -c.h, hPhi1 = c.hPhi1, bH = c.bH;
        Tensor xt = last.mul(new Scalar(sigT / sig0)).sub(m0.mul(new Scalar(at * hPhi1)));
        Tensor d1t = modelT.sub(m0);
        Tensor inner;
        if (order == 1) {
            inner = d1t.mul(new Scalar(0.5f));
        } else {
            // order 2: rks = [r, 1]; R = [[1, 1], [r, 1]]; b_k = h_phi_k·k!/B_h; rhos_c = solve(R, b)
            float r = (lambda(i - 2) - l0) / h;
            Tensor d1 = m1.sub(m0).div(new Scalar(r));
            float hPhiK = hPhi1 / hh - 1f;
            float b1 = hPhiK * 1f / bH;
            hPhiK = hPhiK / hh - 1f / 2f;
            float b2 = hPhiK * 2f / bH;
            float[] rho = solve2(r, b1, b2);
            inner = d1.mul(new Scalar(rho[0])).add(d1t.mul(new Scalar(rho[1])));
        }
        return xt.sub(inner.mul(new Scalar(at * bH)));
    }

    /** Solves [[1, 1], [r, 1]]·ρ = [b1, b2] as LAPACK's LU with partial pivoting would, in float32. */
    static float[] solve2(float r, float b1, float b2) {
        if (Math.abs(r) > 1f) {
            // pivot on row 2: r·ρ0 + ρ1 = b2; eliminate from row 1 (1·ρ0 + 1·ρ1 = b1)
            float l = 1f / r;
            float u11 = 1f - l * 1f;
            float y2 = b1 - l * b2;
            float rho1 = y2 / u11;
            float rho0 = (b2 - rho1) / r;
            return new float[]{rho0, rho1};
        }
        float u11 = 1f - r * 1f;
        float y2 = b2 - r * b1;
        float rho1 = y2 / u11;
        float rho0 = (b1 - rho1) / 1f;
        return new float[]{rho0, rho1};
    }

    /** The float32 coefficients of one UniPC update from σ_s to σ_t (bh2): α, σ·α, λ, h = λ_t − λ_s, φ1 and B(h). */
    private static final class Step {
        final float at, sigT, sig0, l0, h, hPhi1, bH;

        Step(float st, float s0) {
            at = SigmaTables.alphaOf(st);
            float a0 = SigmaTables.alphaOf(s0);
            sigT = st * at;
            sig0 = s0 * a0;
            float lt = (float) Math.log(at) - (float) Math.log(sigT);
            l0 = (float) Math.log(a0) - (float) Math.log(sig0);
            h = lt - l0;
            hPhi1 = (float) Math.expm1(-h);
            bH = (float) Math.expm1(-h);
        }
    }
}
