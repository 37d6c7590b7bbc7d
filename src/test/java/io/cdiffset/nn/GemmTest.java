package io.cdiffset.nn;

import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fp32 products that leave OpenBLAS for oneDNN, against float64, at the UNet's own shapes. */
class GemmTest {
    /** [m, k, n]: the full-size UNet's feed-forward, attention and im2col products, and odd sizes. */
    static final long[][] SHAPES = {{2560, 320, 4096}, {320, 1280, 960}, {1280, 11520, 256}, {640, 640, 1024}, {1000, 777, 333}, {2048, 2048, 2048}};

    @Test
    void oneDnnProductsMatchFloat64WithAndWithoutBias() {
        Engine.seed(3);
        for (long[] s : SHAPES) {
            try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
                Tensor a = torch.randn(s[0], s[1]), b = torch.randn(s[1], s[2]), bias = torch.randn(s[0]);
                Tensor ref = torch.addmm(bias.to(ScalarType.Double).view(s[0], 1), a.to(ScalarType.Double), b.to(ScalarType.Double));
                Tensor got = Gemm.oneDnn(bias, a, b);
                assertEquals(java.util.List.of(s[0], s[2]), java.util.List.of(got.size(0), got.size(1)));
                double e = Tensors.maxAbsDiff(got.to(ScalarType.Double), ref) / Tensors.maxAbs(ref);
                assertTrue(e < 1e-5, java.util.Arrays.toString(s) + ": relative error " + e);
                Tensor refNoBias = torch.mm(a.to(ScalarType.Double), b.to(ScalarType.Double));
                double e2 = Tensors.maxAbsDiff(Gemm.oneDnn(null, a, b).to(ScalarType.Double), refNoBias) / Tensors.maxAbs(refNoBias);
                assertTrue(e2 < 1e-5, java.util.Arrays.toString(s) + " without bias: relative error " + e2);
            }
        }
    }

    @Test
    void linearLayersMatchFloat64OnEitherPath() {
        Engine.seed(4);
        for (long[] s : new long[][]{{2, 4096, 320, 2560}, {1, 960, 1280, 320}, {3, 7, 320, 320}}) { // batch, tokens, in, out
            try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
                Linear l = new Linear(s[2], s[3]);
                Tensor x = torch.randn(s[0], s[1], s[2]);
                Tensor ref = torch.linear(x.to(ScalarType.Double), l.weight().to(ScalarType.Double), Tensors.opt(l.namedParameters().get("bias").to(ScalarType.Double)));
                Tensor got = l.forward(x);
                assertEquals(3, got.dim());
                double e = Tensors.maxAbsDiff(got.to(ScalarType.Double), ref) / Tensors.maxAbs(ref);
                assertTrue(e < 1e-5, java.util.Arrays.toString(s) + ": relative error " + e);
            }
        }
    }

    @Test
    void onlyLargeProductsWithAWideSideGoToOneDnn() {
        assertTrue(Gemm.prefersOneDnn(2560, 320, 4096));
        assertTrue(Gemm.prefersOneDnn(1280, 11520, 256));
        assertFalse(Gemm.prefersOneDnn(320, 320, 4096));   // OpenBLAS as fast
        assertFalse(Gemm.prefersOneDnn(1280, 11520, 64));  // thin: 8² maps
        assertFalse(Gemm.prefersOneDnn(64, 64, 64));
    }

    @Test
    void trainingAndAutocastKeepLibtorchsOwnProducts() {
        try (PointerScope scope = new PointerScope()) {
            Tensor a = torch.randn(640, 640).requires_grad_(true), b = torch.randn(640, 1024);
            assertFalse(Gemm.eligible(a, b));
            assertTrue(Gemm.eligible(a.detach(), b));
            Gemm.addmm(null, a, b).sum().backward(); // differentiable through torch.mm
            assertTrue(a.grad().defined());
        }
    }
}
