package io.cdiffset.metrics;

/**
 * Eigen-decomposition of a real symmetric matrix: Householder reduction to tridiagonal form followed by the
 * implicit QL algorithm (the EISPACK {@code tred2}/{@code tql2} procedures, as in the public-domain JAMA package).
 * O(n³), robust for the 2048×2048 covariance matrices of FID. Only the lower triangle's symmetry is assumed; callers
 * should symmetrise first.
 */
public final class SymmetricEigen {
    private static final double EPS = Math.ulp(1.0);

    private final double[] values;
    /** Eigenvectors as rows ({@code vectors[k]} belongs to {@code values[k]}), or null. */
    private final double[][] vectors;

    private SymmetricEigen(double[] values, double[][] vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /**
     * Decomposes {@code a} (not modified).
     *
     * @param computeVectors whether eigenvectors are wanted (costs roughly 3× more)
     */
    public static SymmetricEigen of(double[][] a, boolean computeVectors) {
        int n = a.length;
        for (double[] row : a) {
            if (row.length != n) {
                throw new IllegalArgumentException("matrix must be square, got " + n + "x" + row.length);
            }
            for (double v : row) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("matrix contains a non-finite value: " + v);
                }
            }
        }
        if (n == 0) {
            return new SymmetricEigen(new double[0], computeVectors ? new double[0][0] : null);
        }
        // v is stored transposed relative to JAMA's V (v[j][k] = V[k][j]) so the QL rotations touch rows.
        double[][] v = new double[n][];
        for (int i = 0; i < n; i++) {
            v[i] = a[i].clone();
        }
        double[] d = new double[n];
        double[] e = new double[n];
        tred2(n, v, d, e);
        tql2(n, v, d, e, computeVectors);
        // sort ascending
        for (int i = 0; i < n - 1; i++) {
            int k = i;
            double p = d[i];
            for (int j = i + 1; j < n; j++) {
                if (d[j] < p) {
                    k = j;
                    p = d[j];
                }
            }
            if (k != i) {
                d[k] = d[i];
                d[i] = p;
                if (computeVectors) {
                    double[] t = v[i];
                    v[i] = v[k];
                    v[k] = t;
                }
            }
        }
        return new SymmetricEigen(d, computeVectors ? v : null);
    }

    /** Eigenvalues in ascending order. */
    public double[] values() {
        return values.clone();
    }

    /** Unit eigenvectors as rows, aligned with {@link #values()}; null if not computed. */
    public double[][] vectorsAsRows() {
        if (vectors == null) {
            return null;
        }
        double[][] out = new double[vectors.length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = vectors[i].clone();
        }
        return out;
    }

    double[][] rowsNoCopy() {
        return vectors;
    }

    /**
     * Householder tridiagonalisation. On entry {@code z} holds the (symmetric) matrix; on exit z[j][k] = Q[k][j] where
     * Q is the accumulated orthogonal transform, d the diagonal and e the sub-diagonal (e[0] = 0). Indices follow
     * JAMA with V[r][c] ↦ z[c][r].
     */
    private static void tred2(int n, double[][] z, double[] d, double[] e) {
        for (int j = 0; j < n; j++) {
            d[j] = z[j][n - 1];
        }
        for (int i = n - 1; i > 0; i--) {
            double scale = 0.0;
            double h = 0.0;
            for (int k = 0; k < i; k++) {
                scale += Math.abs(d[k]);
            }
            if (scale == 0.0) {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++) {
                    d[j] = z[j][i - 1];
                    z[j][i] = 0.0;
                    z[i][j] = 0.0;
                }
            } else {
                for (int k = 0; k < i; k++) {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.sqrt(h);
                if (f > 0) {
                    g = -g;
                }
                e[i] = scale * g;
                h = h - f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) {
                    e[j] = 0.0;
                }
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    double[] zj = z[j];
                    z[i][j] = f;
                    g = e[j] + zj[j] * f;
                    for (int k = j + 1; k <= i - 1; k++) {
                        g += zj[k] * d[k];
                        e[k] += zj[k] * f;
                    }
                    e[j] = g;
                }
                f = 0.0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) {
                    e[j] -= hh * d[j];
                }
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    g = e[j];
                    double[] zj = z[j];
                    for (int k = j; k <= i - 1; k++) {
                        zj[k] -= (f * e[k] + g * d[k]);
                    }
                    d[j] = zj[i - 1];
                    zj[i] = 0.0;
                }
            }
            d[i] = h;
        }
        // accumulate transformations
        for (int i = 0; i < n - 1; i++) {
            z[i][n - 1] = z[i][i];
            z[i][i] = 1.0;
            double h = d[i + 1];
            double[] zi1 = z[i + 1];
            if (h != 0.0) {
                for (int k = 0; k <= i; k++) {
                    d[k] = zi1[k] / h;
                }
                for (int j = 0; j <= i; j++) {
                    double[] zj = z[j];
                    double g = 0.0;
                    for (int k = 0; k <= i; k++) {
                        g += zi1[k] * zj[k];
                    }
                    for (int k = 0; k <= i; k++) {
                        zj[k] -= g * d[k];
                    }
                }
            }
            for (int k = 0; k <= i; k++) {
                zi1[k] = 0.0;
            }
        }
        for (int j = 0; j < n; j++) {
            d[j] = z[j][n - 1];
            z[j][n - 1] = 0.0;
        }
        z[n - 1][n - 1] = 1.0;
        e[0] = 0.0;
    }

    /** Implicit QL on the tridiagonal (d, e); rotations applied to the rows of z if {@code vectors}. */
    private static void tql2(int n, double[][] z, double[] d, double[] e, boolean vectors) {
        for (int i = 1; i < n; i++) {
            e[i - 1] = e[i];
        }
        e[n - 1] = 0.0;
        double f = 0.0;
        double tst1 = 0.0;
        for (int l = 0; l < n; l++) {
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n) {
                if (Math.abs(e[m]) <= EPS * tst1) {
                    break;
                }
                m++;
            }
            if (m == n) {
                m = n - 1;
            }
            if (m > l) {
                int iter = 0;
                do {
                    if (++iter > 200) {
                        throw new ArithmeticException("symmetric eigen-solver did not converge");
                    }
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2.0 * e[l]);
                    double r = Math.hypot(p, 1.0);
                    if (p < 0) {
                        r = -r;
                    }
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) {
                        d[i] -= h;
                    }
                    f = f + h;
                    p = d[m];
                    double c = 1.0;
                    double c2 = c;
                    double c3 = c;
                    double el1 = e[l + 1];
                    double s = 0.0;
                    double s2 = 0.0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Math.hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        if (vectors) {
                            double[] zi = z[i];
                            double[] zi1 = z[i + 1];
                            for (int k = 0; k < n; k++) {
                                double t = zi1[k];
                                zi1[k] = s * zi[k] + c * t;
                                zi[k] = c * zi[k] - s * t;
                            }
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > EPS * tst1);
            }
            d[l] = d[l] + f;
            e[l] = 0.0;
        }
    }
}
