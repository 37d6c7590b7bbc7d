package io.cdiffset.diffusion;

/**
 * The sigma-space schedule shared by diffusers' DPM-Solver, Euler and UniPC schedulers, reproduced with their dtypes:
 * σ(t) = sqrt((1 − ᾱ_t) / ᾱ_t) in float32 (torch), numpy float64 interpolation, Karras sigmas in float64, and the
 * final float32 cast of the sigma table.
 */
final class SigmaTables {
    private SigmaTables() {}

    /** σ(t) for every training timestep, float32 as torch computes {@code ((1 - ac) / ac) ** 0.5}. */
    static float[] trainSigmas(NoiseSchedule s) {
        float[] out = new float[s.trainSteps()];
        for (int t = 0; t < out.length; t++) {
            float a = s.alphaCumprod(t);
            out[t] = (float) Math.sqrt((1f - a) / a);
        }
        return out;
    }

    /** numpy {@code linspace(start, stop, num)} in float64 (i·step + start, last element exactly stop). */
    static double[] linspace(double start, double stop, int num) {
        double[] y = new double[num];
        if (num == 1) {
            y[0] = start;
            return y;
        }
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[num - 1] = stop;
        return y;
    }

    /**
     * "linspace" integer timesteps of DPM-Solver / UniPC:
     * {@code np.linspace(0, T-1, n+1).round()[::-1][:-1].astype(int64)}.
     */
    static double[] linspaceIntTimesteps(int trainSteps, int n) {
        double[] l = linspace(0, trainSteps - 1, n + 1);
        double[] t = new double[n];
        for (int i = 0; i < n; i++) t[i] = Math.rint(l[n - i]); // numpy rounds half to even
        return t;
    }

    /** numpy {@code interp(x, arange(len(fp)), fp)} in float64 (fp float32 promoted). */
    static double interp(double x, float[] fp) {
        int last = fp.length - 1;
        if (x <= 0) return fp[0];
        if (x >= last) return fp[last];
        int j = (int) Math.floor(x);
        if (x == j) return fp[j];
        double slope = ((double) fp[j + 1] - (double) fp[j]) / 1.0;
        return slope * (x - j) + fp[j];
    }

    /** Karras et al. (2022) sigmas, rho 7, float64, from σ_max down to σ_min ({@code _convert_to_karras}). */
    static double[] karras(double sigmaMin, double sigmaMax, int n) {
        double rho = 7.0;
        double[] ramp = linspace(0, 1, n);
        double minInv = Math.pow(sigmaMin, 1 / rho), maxInv = Math.pow(sigmaMax, 1 / rho);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = Math.pow(maxInv + ramp[i] * (minInv - maxInv), rho);
        return s;
    }

    /** {@code np.log(sigmas)} of a float32 table: float32 results. */
    static float[] logSigmas(float[] sigmas) {
        float[] l = new float[sigmas.length];
        for (int i = 0; i < l.length; i++) l[i] = (float) Math.log(sigmas[i]);
        return l;
    }

    /** diffusers' {@code _sigma_to_t}: fractional timestep of a sigma by interpolation in log σ (float64). */
    static double sigmaToT(double sigma, float[] logSigmas) {
        double logSigma = Math.log(Math.max(sigma, 1e-10));
        int n = logSigmas.length;
        // index of the maximum of cumsum(dists >= 0): the last index whose log σ ≤ log sigma (0 if none)
        int low = 0, count = 0, best = 0;
        for (int i = 0; i < n; i++) {
            if (logSigma - logSigmas[i] >= 0) {
                count++;
                if (count > best) {
                    best = count;
                    low = i;
                }
            }
        }
        low = Math.min(low, n - 2);
        int high = low + 1;
        float lo = logSigmas[low], hi = logSigmas[high];
        double w = (lo - logSigma) / (double) (lo - hi); // lo - hi: float32 − float32 in numpy
        w = Math.max(0, Math.min(1, w));
        return (1 - w) * low + w * high;
    }

    /** α_t = 1/sqrt(σ²+1), σ_t = σ·α_t in float32 ({@code _sigma_to_alpha_sigma_t}). */
    static float alphaOf(float sigma) {
        return 1f / (float) Math.sqrt(sigma * sigma + 1f);
    }

    /** λ = log α_t − log σ_t in float32 (+∞ at σ = 0). */
    static float lambdaOf(float sigma) {
        float a = alphaOf(sigma);
        float st = sigma * a;
        return (float) Math.log(a) - (float) Math.log(st);
    }

    /** float32 σ table of the interpolated (non-Karras) schedule at the given timesteps, plus a final 0. */
    static float[] interpolatedSigmas(float[] train, double[] timesteps) {
        float[] s = new float[timesteps.length + 1];
        for (int i = 0; i < timesteps.length; i++) s[i] = (float) interp(timesteps[i], train);
        s[timesteps.length] = 0f;
        return s;
    }
}
