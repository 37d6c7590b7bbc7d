package io.cdiffset.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NumericsTest {

    @Test
    void symmetricEigenReconstructsMatrix() {
        Random r = new Random(7);
        int n = 37;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                a[i][j] = a[j][i] = r.nextGaussian();
            }
        }
        SymmetricEigen e = SymmetricEigen.of(a, true);
        double[] l = e.values();
        double[][] v = e.vectorsAsRows();
        for (int i = 1; i < n; i++) {
            assertTrue(l[i - 1] <= l[i]);
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                double dot = 0;
                for (int k = 0; k < n; k++) {
                    s += v[k][i] * l[k] * v[k][j];
                    dot += v[i][k] * v[j][k];
                }
                assertEquals(a[i][j], s, 1e-12);
                assertEquals(i == j ? 1.0 : 0.0, dot, 1e-12);
            }
        }
        double[] valuesOnly = SymmetricEigen.of(a, false).values();
        for (int i = 0; i < n; i++) {
            assertEquals(l[i], valuesOnly[i], 1e-12);
        }
    }

    @Test
    void fidOfIdenticalStatsIsZeroAndSingularCovariancesWork() {
        Random r = new Random(3);
        float[][] f = new float[10][32]; // N < d: singular covariance
        for (float[] row : f) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        // the same set shifted by a constant vector v: same covariance, so FID = |v|² (computed here by hand)
        float[][] shifted = new float[f.length][f[0].length];
        double v2 = 0;
        for (int j = 0; j < f[0].length; j++) {
            float v = 0.25f * (j % 4) - 0.5f; // exact in float
            v2 += (double) v * v;
            for (int i = 0; i < f.length; i++) shifted[i][j] = f[i][j] + v;
        }
        assertEquals(8 * (0.25 + 0.0625 + 0 + 0.0625), v2, 1e-12); // 8 dimensions each of v = -0.5, -0.25, 0, 0.25
        assertEquals(v2, Fid.frechetDistance(Fid.stats(f), Fid.stats(shifted)), 1e-4);
        // diagonal case: sqrt(a)·sqrt(b) per entry
        double[][] s1 = {{4, 0}, {0, 9}};
        double[][] s2 = {{1, 0}, {0, 16}};
        assertEquals(2 * 1 + 3 * 4, Fid.traceSqrtProduct(s1, s2), 1e-12);
        double fid = Fid.frechetDistance(new double[] {0, 0}, s1, new double[] {1, 2}, s2);
        assertEquals(5 + 13 + 17 - 2 * 14, fid, 1e-12);
    }

    @Test
    void psnrEdgeCasesAndShapeChecks() {
        float[] a = {0.1f, 0.2f, 0.3f};
        assertEquals(Double.POSITIVE_INFINITY, Psnr.of(a, a.clone()));
        assertThrows(IllegalArgumentException.class, () -> Psnr.of(a, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> Ssim.of(new float[12], new float[12], 3, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> Scc.of(new float[3 * 7 * 7], new float[3 * 7 * 7], 3, 7, 7));
        assertThrows(IllegalArgumentException.class, () -> Ssim.of(new float[10], new float[10], 3, 8, 8));
        assertThrows(IllegalArgumentException.class, () -> Psnr.pooled(List.of(a), List.of()));
    }

    @Test
    void identicalImagesScoreOne() {
        Random r = new Random(11);
        int c = 3;
        int h = 16;
        int w = 20;
        float[] x = new float[c * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        assertEquals(1.0, Ssim.of(x, x.clone(), c, h, w), 1e-6);
        assertEquals(1.0, Scc.of(x, x.clone(), c, h, w), 1e-9);
        float[] flat = new float[c * h * w];
        assertEquals(0.0, Scc.of(flat, x, c, h, w), 0.0); // zero denominator -> 0
    }

    @Test
    void gaussianTapsAreTorchmetricsFloat32Values() {
        float[] t = Ssim.gaussianTaps();
        double s = 0;
        double[] exact = new double[11];
        for (int i = 0; i < 11; i++) {
            exact[i] = Math.exp(-((i - 5) / 1.5) * ((i - 5) / 1.5) / 2);
            s += exact[i];
        }
        float sum = 0;
        for (int i = 0; i < 11; i++) {
            assertEquals(exact[i] / s, t[i], 1e-6 * exact[i] / s);
            assertEquals(t[i], t[10 - i]);
            sum += t[i];
        }
        assertEquals(1.0f, sum, 1e-6f);
    }
}
