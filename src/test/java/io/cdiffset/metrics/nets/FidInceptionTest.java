package io.cdiffset.metrics.nets;

import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.WeightsException;
import io.cdiffset.metrics.Fid;
import io.cdiffset.nn.BatchNorm2d;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** pytorch-fid InceptionV3 wiring on random weights written in the pytorch-fid state-dict layout. */
class FidInceptionTest {
    @TempDir
    static Path tmp;

    /** Random but well-scaled weights for every expected key, plus the extras a real .pth conversion carries. */
    private static Map<String, Tensor> randomState() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        FidInception.expectedShapes().forEach((k, s) -> {
            Tensor t;
            if (k.endsWith("conv.weight")) {
                long fanIn = s[1] * s[2] * s[3];
                t = torch.randn(s).mul(Tensors.scalar(Math.sqrt(2.0 / fanIn)));
            } else if (k.endsWith("bn.weight")) {
                t = torch.randn(s).mul(Tensors.scalar(0.1)).add(Tensors.scalar(1));
            } else if (k.endsWith("bn.running_var")) {
                t = torch.rand(s).add(Tensors.scalar(0.5));
            } else {
                t = torch.randn(s).mul(Tensors.scalar(0.1)); // bn.bias, bn.running_mean
            }
            m.put(k, t);
            if (k.endsWith("bn.running_var")) {
                String counter = k.substring(0, k.length() - "running_var".length()) + "num_batches_tracked";
                m.put(counter, Tensors.fromLongs(new long[]{0}));
            }
        });
        m.put("fc.weight", torch.randn(1008, 2048).mul(Tensors.scalar(0.01)));
        m.put("fc.bias", torch.zeros(1008));
        return m;
    }

    private static float[] image(long seed, int c, int h, int w) {
        Random r = new Random(seed);
        float[] x = new float[c * h * w];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat();
        return x;
    }

    /** Features of two images through random-weight InceptionV3 (one batch of 2), and of the first one alone. */
    private static float[][][] features;

    private static synchronized float[][][] features(Path dir) {
        if (features != null) return features;
        Engine.seed(99);
        Path f = dir.resolve("pt_inception.safetensors");
        SafeTensors.write(f, randomState(), Map.of("format", "pt"));
        FidInception inception = FidInception.load(f);
        int c = 3, h = 64, w = 48; // resized to 299×299 inside
        List<float[]> images = List.of(image(1, c, h, w), image(2, c, h, w));
        features = new float[][][]{inception.features(images, c, h, w, 2), inception.features(images.subList(0, 1), c, h, w)};
        return features;
    }

    @Test
    void theOriginalPthFileGivesTheSameFeaturesAsItsSafetensorsConversion() throws Exception {
        Engine.seed(7);
        Map<String, Tensor> state = randomState();
        Path st = tmp.resolve("conv.safetensors"), pth = tmp.resolve(TorchHub.INCEPTION); // hash not checked for a given file
        SafeTensors.write(st, state, null);
        io.cdiffset.io.TorchSaveWriter.write(pth, new LinkedHashMap<String, Object>(state));
        List<float[]> img = List.of(image(3, 3, 32, 32));
        float[][] a = FidInception.load(st).features(img, 3, 32, 32), b = FidInception.load(pth).features(img, 3, 32, 32);
        assertArrayEquals(a[0], b[0]);
    }

    @Test
    void expectedShapesFollowPytorchFid() {
        Map<String, long[]> shapes = FidInception.expectedShapes();
        assertArrayEquals(new long[]{32, 3, 3, 3}, shapes.get("Conv2d_1a_3x3.conv.weight"));
        assertArrayEquals(new long[]{64}, shapes.get("Mixed_5b.branch1x1.bn.running_mean"));
        assertArrayEquals(new long[]{64, 288, 1, 1}, shapes.get("Mixed_5d.branch_pool.conv.weight"));
        assertArrayEquals(new long[]{96, 96, 3, 3}, shapes.get("Mixed_6a.branch3x3dbl_3.conv.weight"));
        assertArrayEquals(new long[]{192, 160, 1, 7}, shapes.get("Mixed_6c.branch7x7dbl_5.conv.weight"));
        assertArrayEquals(new long[]{192, 192, 7, 1}, shapes.get("Mixed_7a.branch7x7x3_3.conv.weight"));
        assertArrayEquals(new long[]{384, 384, 3, 1}, shapes.get("Mixed_7b.branch3x3_2b.conv.weight"));
        assertArrayEquals(new long[]{192, 2048, 1, 1}, shapes.get("Mixed_7c.branch_pool.conv.weight"));
        assertEquals(94 * 5, shapes.size(), "94 BasicConv2d blocks × (conv.weight + 4 bn tensors)");
    }

    @Test
    void featuresAre2048DeterministicAndBatchInvariant() {
        float[][][] f = features(tmp);
        float[][] a = f[0], b = f[1];
        assertEquals(2, a.length);
        assertEquals(1, b.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(FidInception.DIM, a[i].length);
            double maxAbs = 0, maxDiff = 0;
            for (int j = 0; j < FidInception.DIM; j++) {
                assertTrue(a[i][j] >= 0 && Float.isFinite(a[i][j]), "pooled ReLU features are finite and ≥ 0");
                maxAbs = Math.max(maxAbs, Math.abs(a[i][j]));
                if (i < b.length) maxDiff = Math.max(maxDiff, Math.abs(a[i][j] - b[i][j]));
            }
            assertTrue(maxAbs > 1e-3, "features should not vanish, max " + maxAbs);
            assertTrue(maxDiff <= 1e-5 * maxAbs, "a second run in another batch changed features by " + maxDiff);
        }
        assertFalse(java.util.Arrays.equals(a[0], a[1]), "different images give different features");

        // Re-running an image reproduces its features (above), so an identical image set gives the same feature set;
        // its FID through io.cdiffset.metrics.Fid must be ≈ 0. Fid's pure-Java eigen-decompositions take
        // ~40 s at d = 2048 on this 2-core machine, so the default run uses the first 512 dimensions (same singular
        // N < d regime); -Dcdiffset.slowTests=true runs the full 2048-d check below.
        assertIdenticalSetsGiveZeroFid(a, a.clone(), 512);
    }

    @Test
    @EnabledIfSystemProperty(named = "cdiffset.slowTests", matches = "true")
    void fidOfIdenticalSetsIsZeroFull2048() {
        float[][][] f = features(tmp);
        assertIdenticalSetsGiveZeroFid(f[0], f[0].clone(), FidInception.DIM);
    }

    private static void assertIdenticalSetsGiveZeroFid(float[][] a, float[][] b, int dims) {
        float[][] x = new float[a.length][], y = new float[b.length][];
        for (int i = 0; i < a.length; i++) {
            x[i] = java.util.Arrays.copyOf(a[i], dims);
            y[i] = java.util.Arrays.copyOf(b[i], dims);
        }
        Fid.Stats sa = Fid.stats(x), sb = Fid.stats(y);
        double trace = 0;
        for (int j = 0; j < dims; j++) trace += sa.sigma()[j][j];
        assertTrue(trace > 0, "features should vary between images");
        double fid = Fid.frechetDistance(sa, sb);
        assertTrue(Math.abs(fid) <= 1e-6 * Math.max(1, trace), "FID of identical sets " + fid + " (trace " + trace + ")");
    }

    @Test
    void missingTensorsNameTheFile() {
        Path f = tmp.resolve("partial.safetensors");
        SafeTensors.write(f, Map.of("Conv2d_1a_3x3.conv.weight", torch.randn(32, 3, 3, 3)), null);
        WeightsException e = assertThrows(WeightsException.class, () -> FidInception.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("469 missing"), e.getMessage());
        assertTrue(e.getMessage().endsWith("expected pytorch-fid's " + TorchHub.INCEPTION + " (or its state dict as safetensors)"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void fidPoolingVariants() {
        // FIDInceptionA/C/E_1: padding is not counted in the 3×3 average (TF semantics), so a constant stays constant
        Tensor ones = torch.ones(1, 1, 3, 3);
        assertEquals(0.0, Tensors.maxAbsDiff(InceptionV3Net.avgPoolExcludingPad(ones), ones));
        // FIDInceptionE_2: 3×3 max-pool, stride 1, padding 1 keeps the size
        Tensor x = Tensors.fromFloats(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        assertArrayEquals(new float[]{5, 6, 6, 8, 9, 9, 8, 9, 9}, Tensors.toFloats(InceptionV3Net.maxPool(x, 1, 1)));
        // stem / reduction pools: 3×3 stride 2, no padding, floor
        assertArrayEquals(new long[]{1, 1, 73, 73}, Tensors.shape(InceptionV3Net.maxPool(torch.zeros(1, 1, 147, 147), 2, 0)));
    }

    @Test
    void batchNormEvalUsesRunningStatistics() {
        BatchNorm2d bn = new BatchNorm2d(2, 0.001);
        Map<String, Tensor> st = new LinkedHashMap<>();
        st.put("weight", Tensors.fromFloats(new float[]{2, 3}, 2));
        st.put("bias", Tensors.fromFloats(new float[]{0.5f, -1}, 2));
        st.put("running_mean", Tensors.fromFloats(new float[]{1, -1}, 2));
        st.put("running_var", Tensors.fromFloats(new float[]{4, 0.25f}, 2));
        st.put("num_batches_tracked", Tensors.fromLongs(new long[]{7}));
        bn.load(BatchNorm2d.withoutBatchCounters(st), "bn");
        float[] x = {3, 5, 0, 1};
        float[] y = Tensors.toFloats(bn.forward(Tensors.fromFloats(x, 1, 2, 1, 2)));
        double[] expect = {
                (3 - 1) / Math.sqrt(4.001) * 2 + 0.5, (5 - 1) / Math.sqrt(4.001) * 2 + 0.5,
                (0 + 1) / Math.sqrt(0.251) * 3 - 1, (1 + 1) / Math.sqrt(0.251) * 3 - 1};
        for (int i = 0; i < 4; i++) assertEquals(expect[i], y[i], 1e-5);
    }
}
