package io.cdiffset.metrics.nets;

import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.WeightsException;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** LPIPS (VGG, v0.1) wiring on random full-size VGG16 weights against a plain double-precision re-computation. */
class LpipsTest {
    private static final int C = 3, H = 32, W = 32;
    /** torchvision vgg16 "D" config: channels, -1 = max-pool. */
    private static final int[] CFG = {64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1};
    private static final int[] LIN_C = {64, 128, 256, 512, 512};

    @TempDir
    static Path tmp;
    static Map<String, Tensor> backbone;
    static Map<String, Tensor> lin;
    static Path backboneFile;
    static Path linFile;
    static Lpips lpips;

    @BeforeAll
    static void setUp() {
        Engine.seed(1234);
        backbone = new LinkedHashMap<>();
        int idx = 0, in = 3;
        for (int v : CFG) {
            if (v < 0) {
                idx += 1;
                continue;
            }
            backbone.put("features." + idx + ".weight", torch.randn(v, in, 3, 3).mul(Tensors.scalar(Math.sqrt(2.0 / (in * 9)))));
            backbone.put("features." + idx + ".bias", torch.randn(v).mul(Tensors.scalar(0.01)));
            idx += 2;
            in = v;
        }
        Map<String, Tensor> file = new LinkedHashMap<>(backbone);
        file.put("classifier.6.weight", torch.randn(10, 16)); // ignored (real one is [1000, 4096])
        file.put("classifier.6.bias", torch.randn(10));
        backboneFile = tmp.resolve("vgg16.safetensors");
        SafeTensors.write(backboneFile, file, Map.of("format", "pt"));
        lin = new LinkedHashMap<>();
        for (int k = 0; k < 5; k++) lin.put("lin" + k + ".model.1.weight", torch.rand(1, LIN_C[k], 1, 1).mul(Tensors.scalar(0.1)));
        linFile = tmp.resolve("lin.safetensors");
        SafeTensors.write(linFile, lin, null);
        lpips = Lpips.load(backboneFile, linFile);
    }

    private static float[] image(long seed, float lo, float hi) {
        Random r = new Random(seed);
        float[] x = new float[C * H * W];
        for (int i = 0; i < x.length; i++) x[i] = lo + (hi - lo) * r.nextFloat();
        return x;
    }

    /** Straightforward LPIPS in double precision from the raw state dicts. */
    static double reference(Map<String, Tensor> bb, Map<String, Tensor> ln, float[] a, float[] b) {
        try (PointerScope s = new PointerScope()) {
            List<Tensor> fa = vggTaps(bb, scaled(a)), fb = vggTaps(bb, scaled(b));
            double total = 0;
            for (int k = 0; k < 5; k++) {
                Tensor d = unit(fa.get(k)).sub(unit(fb.get(k))).pow(Tensors.scalar(2));
                Tensor wk = ln.get("lin" + k + ".model.1.weight").to(ScalarType.Double);
                Tensor r = torch.conv2d(d, wk); // [1,1,h,w]
                total += r.mean().item_double();
            }
            return total;
        }
    }

    private static Tensor scaled(float[] img) {
        Tensor x = Tensors.fromFloats(img, 1, C, H, W).to(ScalarType.Double);
        Tensor shift = Tensors.fromDoubles(new double[]{-.030, -.088, -.188}, 1, 3, 1, 1);
        Tensor scale = Tensors.fromDoubles(new double[]{.458, .448, .450}, 1, 3, 1, 1);
        // the buffers are float32 in lpips; round the constants the same way
        return x.sub(shift.to(ScalarType.Float).to(ScalarType.Double)).div(scale.to(ScalarType.Float).to(ScalarType.Double));
    }

    private static List<Tensor> vggTaps(Map<String, Tensor> bb, Tensor x) {
        List<Tensor> taps = new ArrayList<>();
        int idx = 0;
        Tensor h = x;
        for (int v : CFG) {
            if (v < 0) { // the pool ends an lpips slice: the tap is the relu just before it
                taps.add(h);
                if (taps.size() == 5) break;
                h = torch.max_pool2d(h, 2, 2);
                idx += 1;
                continue;
            }
            Tensor w = bb.get("features." + idx + ".weight").to(ScalarType.Double);
            Tensor b = bb.get("features." + idx + ".bias").to(ScalarType.Double);
            h = torch.relu(torch.conv2d(h, w, Tensors.opt(b), new long[]{1, 1}, new long[]{1, 1}, new long[]{1, 1}, 1));
            idx += 2;
        }
        return taps;
    }

    private static Tensor unit(Tensor f) {
        Tensor n = f.pow(Tensors.scalar(2)).sum(new long[]{1}, true, new ScalarTypeOptional()).sqrt();
        return f.div(n.add(Tensors.scalar(1e-10)));
    }

    @Test
    void identicalImagesGiveZero() {
        float[] a = image(1, -1, 1);
        assertEquals(0.0, lpips.distance(a, a.clone(), C, H, W), 0.0);
    }

    @Test
    void symmetricPositiveAndMatchesReference() {
        float[] a = image(2, -1, 1), b = image(3, -1, 1);
        double ab = lpips.distance(a, b, C, H, W);
        double ba = lpips.distance(b, a, C, H, W);
        assertTrue(ab > 0, "distance " + ab);
        assertEquals(ab, ba, 1e-7);
        double ref = reference(backbone, lin, a, b);
        assertEquals(ref, ab, 1e-5, "LPIPS vs plain re-computation");
        assertTrue(ref > 1e-3, "reference should be clearly non-zero, got " + ref);
    }

    @Test
    void batchMatchesSinglesAndInputRanges() {
        List<float[]> as = List.of(image(4, -1, 1), image(5, -1, 1), image(6, -1, 1));
        List<float[]> bs = List.of(image(7, -1, 1), image(8, -1, 1), image(9, -1, 1));
        double[] batched = lpips.distances(as, bs, C, H, W, Lpips.Input.MINUS_ONE_TO_ONE, 2);
        for (int i = 0; i < 3; i++) {
            assertEquals(lpips.distance(as.get(i), bs.get(i), C, H, W), batched[i], 1e-6);
        }
        // [0,1] images with ZERO_TO_ONE give the standard value of the [-1,1] images
        float[] a01 = new float[as.get(0).length], b01 = new float[a01.length];
        for (int i = 0; i < a01.length; i++) {
            a01[i] = (as.get(0)[i] + 1) / 2;
            b01[i] = (bs.get(0)[i] + 1) / 2;
        }
        assertEquals(batched[0], lpips.distance(a01, b01, C, H, W, Lpips.Input.ZERO_TO_ONE), 1e-5);
        // the authors' quirk feeds [0,1] unchanged: same as the standard call on the raw [0,1] arrays, and different
        double quirk = lpips.distance(a01, b01, C, H, W, Lpips.Input.ZERO_TO_ONE_AUTHORS_QUIRK);
        assertEquals(lpips.distance(a01, b01, C, H, W), quirk, 0.0);
        assertEquals(reference(backbone, lin, a01, b01), quirk, 1e-5);
        assertNotEquals(batched[0], quirk, 1e-4);
    }

    @Test
    void shippedLinearLayers() throws Exception {
        Path shipped = Path.of(LpipsTest.class.getResource(Lpips.SHIPPED_LINEAR_RESOURCE).toURI());
        Map<String, Tensor> shippedLin = SafeTensors.read(shipped);
        assertEquals(5, shippedLin.size());
        Lpips withShipped = Lpips.load(backboneFile);
        float[] a = image(10, -1, 1), b = image(11, -1, 1);
        assertEquals(reference(backbone, shippedLin, a, b), withShipped.distance(a, b, C, H, W), 1e-5);
    }

    @Test
    void missingOrMisShapedBackboneKeysNameTheFile() {
        Map<String, Tensor> broken = new LinkedHashMap<>(backbone);
        broken.remove("features.28.bias");
        Path f = tmp.resolve("broken-vgg.safetensors");
        SafeTensors.write(f, broken, null);
        WeightsException e = assertThrows(WeightsException.class, () -> Lpips.load(f, linFile));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("missing: features.28.bias"), e.getMessage());
        assertTrue(e.getMessage().endsWith("expected torchvision's " + TorchHub.VGG16 + " (or its features.* as safetensors)"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));

        Map<String, Tensor> shaped = new LinkedHashMap<>(backbone);
        shaped.put("features.0.weight", torch.randn(64, 1, 3, 3));
        Path g = tmp.resolve("shaped-vgg.safetensors");
        SafeTensors.write(g, shaped, null);
        e = assertThrows(WeightsException.class, () -> Lpips.load(g, linFile));
        assertTrue(e.getMessage().contains("wrong shape: features.0.weight [64, 1, 3, 3] (expected [64, 3, 3, 3])"), e.getMessage());

        Path none = tmp.resolve("not-vgg.safetensors");
        SafeTensors.write(none, Map.of("encoder.weight", torch.randn(2, 2)), null);
        e = assertThrows(WeightsException.class, () -> Lpips.load(none, linFile));
        assertTrue(e.getMessage().startsWith(none + ": no VGG16 'features.*' tensors"), e.getMessage());
    }
}
