package io.cdiffset.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parity with torchmetrics 1.9 / pytorch-fid math on the golden fixture {@code fixtures/metrics}. */
class MetricsFixtureTest {
    private static final double PSNR_ATOL = 1e-4;
    private static final double SSIM_ATOL = 1e-5;
    private static final double SCC_ATOL = 1e-5;

    private static FixtureTensors fx;
    private static JsonNode expectedJson;
    private static final List<float[]> PREDS = new ArrayList<>();
    private static final List<float[]> TARGETS = new ArrayList<>();
    private static final List<int[]> SHAPES = new ArrayList<>();

    @BeforeAll
    static void load() throws IOException {
        fx = FixtureTensors.load(FixtureTensors.resource("metrics/io.safetensors"));
        expectedJson = new ObjectMapper().readTree(FixtureTensors.resource("metrics/expected.json").toFile());
        for (int p = 0; p < 4; p++) {
            String pred = p == 3 ? "pair3_pred_u8" : "pair" + p + "_pred";
            String target = p == 3 ? "pair3_target_u8" : "pair" + p + "_target";
            long[] s = fx.shape(pred);
            SHAPES.add(new int[] {(int) s[0], (int) s[1], (int) s[2]});
            PREDS.add(fx.floats(pred));
            TARGETS.add(fx.floats(target));
        }
    }

    private static double expected(String name) {
        double v = fx.scalar(name);
        assertEquals(expectedJson.get(name).doubleValue(), v, Math.abs(v) * 1e-7, "expected.json vs safetensors " + name);
        return v;
    }

    private static double psnr(int p) {
        return Psnr.of(PREDS.get(p), TARGETS.get(p));
    }

    private static double ssim(int p) {
        int[] s = SHAPES.get(p);
        return Ssim.of(PREDS.get(p), TARGETS.get(p), s[0], s[1], s[2]);
    }

    private static double scc(int p) {
        int[] s = SHAPES.get(p);
        return Scc.of(PREDS.get(p), TARGETS.get(p), s[0], s[1], s[2]);
    }

    @Test
    void perPairPsnr() {
        for (int p = 0; p < 4; p++) {
            assertEquals(expected("pair" + p + "_psnr"), psnr(p), PSNR_ATOL, "pair" + p + " psnr");
        }
    }

    @Test
    void perPairSsim() {
        for (int p = 0; p < 4; p++) {
            assertEquals(expected("pair" + p + "_ssim"), ssim(p), SSIM_ATOL, "pair" + p + " ssim");
        }
    }

    @Test
    void perPairScc() {
        for (int p = 0; p < 4; p++) {
            assertEquals(expected("pair" + p + "_scc"), scc(p), SCC_ATOL, "pair" + p + " scc");
        }
    }

    @Test
    void meanOfPairs() {
        double psnr = 0;
        double ssim = 0;
        double scc = 0;
        for (int p = 0; p < 4; p++) {
            psnr += psnr(p);
            ssim += ssim(p);
            scc += scc(p);
        }
        assertEquals(expected("mean_of_pairs_psnr"), psnr / 4, PSNR_ATOL);
        assertEquals(expected("mean_of_pairs_ssim"), ssim / 4, SSIM_ATOL);
        assertEquals(expected("mean_of_pairs_scc"), scc / 4, SCC_ATOL);
        // pairs have different shapes, so the per-image helper is only exercised on same-shape pairs below
    }

    @Test
    void batchOfPair0AndPair1() {
        List<float[]> preds = PREDS.subList(0, 2);
        List<float[]> targets = TARGETS.subList(0, 2);
        int[] s = SHAPES.get(0);
        double pooled = Psnr.pooled(preds, targets);
        assertEquals(expected("batch01_psnr"), pooled, PSNR_ATOL, "pooled-MSE batch PSNR");
        double meanOfPsnrs = Psnr.meanOfImages(preds, targets);
        assertTrue(Math.abs(pooled - meanOfPsnrs) > 0.1, "pooled PSNR must differ from the mean of per-image PSNRs");
        assertEquals(expected("batch01_ssim"), Ssim.batch(preds, targets, s[0], s[1], s[2]), SSIM_ATOL);
        assertEquals(expected("batch01_scc"), Scc.batch(preds, targets, s[0], s[1], s[2]), SCC_ATOL);
    }

    @Test
    void fidStatistics() {
        Fid.Stats a = Fid.stats(fx.floatMatrix("fid_features1"));
        Fid.Stats b = Fid.stats(fx.floatMatrix("fid_features2"));
        assertClose(fx.doubles("fid_mu1"), a.mu(), 1e-12, "mu1");
        assertClose(fx.doubles("fid_mu2"), b.mu(), 1e-12, "mu2");
        assertClose(fx.matrix("fid_sigma1"), a.sigma(), 1e-12, "sigma1");
        assertClose(fx.matrix("fid_sigma2"), b.sigma(), 1e-12, "sigma2");
        assertEquals(300, a.count());
        assertEquals(64, a.dim());
    }

    @Test
    void fidDistanceFromFixtureStats() {
        double[] mu1 = fx.doubles("fid_mu1");
        double[] mu2 = fx.doubles("fid_mu2");
        double[][] s1 = fx.matrix("fid_sigma1");
        double[][] s2 = fx.matrix("fid_sigma2");
        double tr = expected("fid_trace_sqrt_covmean");
        assertEquals(tr, Fid.traceSqrtProduct(s1, s2), Math.abs(tr) * 1e-6, "Tr(sqrtm(s1 s2))");
        double fid = expected("fid");
        double got = Fid.frechetDistance(mu1, s1, mu2, s2);
        assertEquals(fid, got, Math.abs(fid) * 1e-6, "fid");
        // from features end to end
        double fromFeatures = Fid.frechetDistance(Fid.stats(fx.floatMatrix("fid_features1")),
                Fid.stats(fx.floatMatrix("fid_features2")));
        assertEquals(fid, fromFeatures, Math.abs(fid) * 1e-6, "fid from features");
        System.out.printf("FID java=%.17g expected=%.17g rel=%.3g%n", got, fid, Math.abs(got - fid) / fid);
    }

    private static void assertClose(double[] exp, double[] got, double atol, String what) {
        assertEquals(exp.length, got.length, what + " length");
        for (int i = 0; i < exp.length; i++) {
            assertEquals(exp[i], got[i], atol, what + "[" + i + "]");
        }
    }

    private static void assertClose(double[][] exp, double[][] got, double atol, String what) {
        assertEquals(exp.length, got.length, what + " rows");
        for (int i = 0; i < exp.length; i++) {
            assertClose(exp[i], got[i], atol, what + "[" + i + "]");
        }
    }
}
