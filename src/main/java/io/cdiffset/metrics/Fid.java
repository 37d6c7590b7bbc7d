package io.cdiffset.metrics;

import java.util.stream.IntStream;

/**
 * Fréchet Inception Distance math (pytorch-fid {@code calculate_frechet_distance}):
 * {@code ‖μ1 − μ2‖² + Tr(Σ1) + Tr(Σ2) − 2·Tr(sqrtm(Σ1·Σ2))}.
 *
 * <p>{@code Tr(sqrtm(Σ1·Σ2))} is computed as {@code Σ sqrt(max(λ, 0))} over the eigenvalues λ of the symmetric
 * positive semi-definite matrix {@code sqrt(Σ1)·Σ2·sqrt(Σ1)} (similar to Σ1·Σ2), with {@code sqrt(Σ1)} from a
 * symmetric eigen-decomposition; eigenvalues below the round-off floor {@code d·ε·max|λ|} (including negative
 * ones) are treated as 0. This equals the real part of
 * scipy's {@code sqrtm} trace for PSD inputs and needs no regularising offset even for singular covariances
 * (N &lt; feature dimension). The features themselves (InceptionV3 pool3, 2048-d) are produced elsewhere.
 */
public final class Fid {
    private Fid() {
    }

    /** Mean and covariance of a feature set. */
    public record Stats(double[] mu, double[][] sigma, int count) {
        public int dim() {
            return mu.length;
        }
    }

    /**
     * {@code mu = mean over rows}, {@code sigma = np.cov(features, rowvar=False)} (divisor N − 1), features converted
     * to double first. Needs at least 2 rows of equal length.
     */
    public static Stats stats(float[][] features) {
        if (features == null || features.length < 2) {
            throw new IllegalArgumentException("FID statistics need at least 2 feature rows, got "
                    + (features == null ? 0 : features.length));
        }
        int n = features.length;
        int d = features[0].length;
        if (d == 0) {
            throw new IllegalArgumentException("feature rows must not be empty");
        }
        double[] mu = new double[d];
        for (int r = 0; r < n; r++) {
            if (features[r].length != d) {
                throw new IllegalArgumentException("feature row " + r + " has length " + features[r].length
                        + ", expected " + d);
            }
            for (int j = 0; j < d; j++) {
                mu[j] += features[r][j];
            }
        }
        for (int j = 0; j < d; j++) {
            mu[j] /= n;
        }
        double[][] centered = new double[n][d];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < d; j++) {
                centered[r][j] = (double) features[r][j] - mu[j];
            }
        }
        double[][] sigma = new double[d][d];
        double div = n - 1;
        IntStream.range(0, d).parallel().forEach(i -> {
            double[] row = sigma[i];
            for (int r = 0; r < n; r++) {
                double[] x = centered[r];
                double xi = x[i];
                for (int j = i; j < d; j++) {
                    row[j] += xi * x[j];
                }
            }
            for (int j = i; j < d; j++) {
                row[j] /= div;
            }
        });
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                sigma[j][i] = sigma[i][j];
            }
        }
        return new Stats(mu, sigma, n);
    }

    /** Fréchet distance between two sets of statistics. */
    public static double frechetDistance(Stats a, Stats b) {
        return frechetDistance(a.mu(), a.sigma(), b.mu(), b.sigma());
    }

    /** {@code ‖μ1 − μ2‖² + Tr(Σ1) + Tr(Σ2) − 2·Tr(sqrtm(Σ1·Σ2))}. */
    public static double frechetDistance(double[] mu1, double[][] sigma1, double[] mu2, double[][] sigma2) {
        int d = mu1.length;
        if (mu2.length != d) {
            throw new IllegalArgumentException("mean vectors have different lengths: " + d + " vs " + mu2.length);
        }
        checkSquare(sigma1, d, "sigma1");
        checkSquare(sigma2, d, "sigma2");
        double diff2 = 0;
        for (int i = 0; i < d; i++) {
            double t = mu1[i] - mu2[i];
            diff2 += t * t;
        }
        double tr1 = 0;
        double tr2 = 0;
        for (int i = 0; i < d; i++) {
            tr1 += sigma1[i][i];
            tr2 += sigma2[i][i];
        }
        return diff2 + tr1 + tr2 - 2.0 * traceSqrtProduct(sigma1, sigma2);
    }

    /** {@code Tr(sqrtm(Σ1·Σ2))} for symmetric PSD Σ1, Σ2 (real part, as pytorch-fid keeps). */
    public static double traceSqrtProduct(double[][] sigma1, double[][] sigma2) {
        int d = sigma1.length;
        checkSquare(sigma1, d, "sigma1");
        checkSquare(sigma2, d, "sigma2");
        double[][] s1 = symmetrised(sigma1);
        double[][] s2 = symmetrised(sigma2);
        double[][] root1 = sqrtPsd(s1);
        double[][] m = multiply(multiply(root1, s2), root1);
        double[] lambdas = SymmetricEigen.of(symmetrised(m), false).values();
        double tol = noiseFloor(lambdas);
        double tr = 0;
        for (double lambda : lambdas) {
            if (lambda > tol) {
                tr += Math.sqrt(lambda);
            }
        }
        return tr;
    }

    /** Principal square root of a symmetric PSD matrix (round-off-level and negative eigenvalues treated as 0). */
    static double[][] sqrtPsd(double[][] s) {
        int d = s.length;
        SymmetricEigen eig = SymmetricEigen.of(s, true);
        double[] lambda = eig.values();
        double[][] v = eig.rowsNoCopy(); // v[k] = k-th eigenvector
        double tol = noiseFloor(lambda);
        double[] root = new double[d];
        for (int k = 0; k < d; k++) {
            root[k] = lambda[k] > tol ? Math.sqrt(lambda[k]) : 0.0;
        }
        // R = Σ_k root_k v_k v_kᵀ
        double[][] r = new double[d][d];
        IntStream.range(0, d).parallel().forEach(i -> {
            double[] ri = r[i];
            for (int k = 0; k < d; k++) {
                double a = root[k] * v[k][i];
                if (a == 0) {
                    continue;
                }
                double[] vk = v[k];
                for (int j = 0; j < d; j++) {
                    ri[j] += a * vk[j];
                }
            }
        });
        return symmetrised(r);
    }

    /**
     * Eigenvalues at or below {@code d · ε · max|λ|} are round-off of zero eigenvalues (singular covariances when
     * N &lt; d); taking their square roots would add spurious positive terms to the trace.
     */
    private static double noiseFloor(double[] lambdas) {
        double max = 0;
        for (double l : lambdas) {
            max = Math.max(max, Math.abs(l));
        }
        return lambdas.length * Math.ulp(1.0) * max;
    }

    static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        int k = b.length;
        int m = b[0].length;
        double[][] c = new double[n][m];
        IntStream.range(0, n).parallel().forEach(i -> {
            double[] ai = a[i];
            double[] ci = c[i];
            for (int p = 0; p < k; p++) {
                double v = ai[p];
                if (v == 0) {
                    continue;
                }
                double[] bp = b[p];
                for (int j = 0; j < m; j++) {
                    ci[j] += v * bp[j];
                }
            }
        });
        return c;
    }

    private static double[][] symmetrised(double[][] a) {
        int d = a.length;
        double[][] s = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                s[i][j] = 0.5 * (a[i][j] + a[j][i]);
            }
        }
        return s;
    }

    private static void checkSquare(double[][] m, int d, String name) {
        if (m == null || m.length != d) {
            throw new IllegalArgumentException(name + " must be " + d + "x" + d);
        }
        for (double[] row : m) {
            if (row == null || row.length != d) {
                throw new IllegalArgumentException(name + " must be " + d + "x" + d);
            }
        }
    }
}
