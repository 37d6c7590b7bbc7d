package io.cdiffset.nn;

import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Precision;
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

/**
 * Inference convolutions against a float64 reference convolution: those that run as im2col + one matrix product
 * (large weights on small maps, see {@link Conv2d#usesMatmul}) in fp32 and with bf16 weights under autocast, and the
 * bf16 ones that run on a channels-last input.
 */
class ConvInferenceTest {
    private static final int[][] CASES = { // in, out, kernel, stride, padding, batch, size, bias
            {1280, 640, 3, 1, 1, 1, 8, 1},
            {1280, 640, 3, 2, 1, 2, 16, 1},
            {640, 1280, 3, 1, 1, 3, 4, 0},
    };

    @Test
    void matchesAFloat64ConvolutionInFp32AndBf16() {
        Engine.seed(11);
        for (int[] c : CASES) {
            try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
                Conv2d conv = new Conv2d(c[0], c[1], c[2], c[3], c[4], c[7] == 1);
                Tensor x = torch.randn(c[5], c[0], c[6], c[6]);
                assertTrue(conv.usesMatmul(x), "im2col path expected for " + java.util.Arrays.toString(c));
                Tensor fp32 = conv.forward(x);
                assertEquals(ScalarType.Float, Tensors.dtype(fp32));
                double e32 = relError(fp32, reference(conv, x));
                assertTrue(e32 < 1e-5, "fp32 relative error " + e32 + " for " + java.util.Arrays.toString(c));

                conv.storeMatmulWeightsAs(ScalarType.BFloat16);
                Tensor bf16;
                try (AutoCloseable ac = Precision.BF16.scope()) {
                    bf16 = conv.forward(x);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                assertEquals(ScalarType.BFloat16, Tensors.dtype(bf16), "autocast output dtype, as conv2d gives");
                Tensor xr = x.to(ScalarType.BFloat16).to(ScalarType.Float);
                double e16 = relError(bf16, reference(conv, xr));
                assertTrue(e16 < 8e-3, "bf16 relative error " + e16 + " for " + java.util.Arrays.toString(c));
            }
        }
    }

    @Test
    void onlyLargeWeightsOnSmallMapsTakeTheMatmulPath() {
        try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
            Conv2d wide = new Conv2d(1280, 1280, 3, 1, 1);
            assertTrue(wide.usesMatmul(torch.zeros(1, 1280, 16, 16)));
            assertFalse(wide.usesMatmul(torch.zeros(1, 1280, 32, 32)), "32² maps: oneDNN is faster");
            assertFalse(wide.usesMatmul(torch.zeros(4, 1280, 16, 16)), "batch 4 × 16²: oneDNN is faster");
            Conv2d narrow = new Conv2d(128, 128, 3, 1, 1);
            assertFalse(narrow.usesMatmul(torch.zeros(16, 128, 4, 4)), "demo-width layers stay on oneDNN");
            // every 1×1 convolution is one matrix product (#19: oneDNN's channels-last 1×1 kernels were wrong here)
            Conv2d pointwise = new Conv2d(2560, 1280, 1, 1, 0);
            assertTrue(pointwise.usesMatmul(torch.zeros(1, 2560, 8, 8)));
            assertTrue(pointwise.usesMatmul(torch.zeros(4, 2560, 64, 64)));
        }
    }

    @Test
    void bf16ConvolutionsOnChannelsLastInputMatchTheReference() throws Exception {
        Engine.seed(12);
        try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode(); AutoCloseable ac = Precision.BF16.scope()) {
            for (int[] c : new int[][]{{64, 32, 3, 1, 1, 2, 32}, {32, 64, 3, 2, 0, 1, 33}, {64, 64, 1, 1, 0, 1, 16}}) {
                Conv2d conv = new Conv2d(c[0], c[1], c[2], c[3], c[4]);
                conv.storeMatmulWeightsAs(ScalarType.BFloat16);
                Tensor x = torch.randn(c[5], c[0], c[6], c[6]).to(ScalarType.BFloat16);
                Tensor y = conv.forward(x);
                assertEquals(ScalarType.BFloat16, Tensors.dtype(y));
                if (c[2] > 1) { // 1×1 convolutions are one matrix product on NCHW maps (#19)
                    assertTrue(y.is_contiguous(org.bytedeco.pytorch.global.torch.MemoryFormat.ChannelsLast), "output stays channels-last");
                }
                double e = relError(y, reference(conv, x.to(ScalarType.Float)));
                assertTrue(e < 8e-3, "bf16 relative error " + e + " for " + java.util.Arrays.toString(c));
                Conv2d next = new Conv2d(c[1], 16, 3, 1, 1);
                next.storeMatmulWeightsAs(ScalarType.BFloat16);
                double again = relError(next.forward(y), reference(next, y.to(ScalarType.Float)));
                assertTrue(again < 8e-3, "a second convolution fed the channels-last map: relative error " + again);
            }
        }
    }

    /** Float64 convolution of the module's (possibly bf16) weights. */
    private static Tensor reference(Conv2d conv, Tensor x) {
        Tensor w = conv.weight().to(ScalarType.Double);
        Tensor b = conv.bias() == null ? null : conv.bias().to(ScalarType.Double);
        return torch.conv2d(x.to(ScalarType.Double), w, Tensors.opt(b), new long[]{conv.stride, conv.stride},
                new long[]{conv.padding, conv.padding}, new long[]{1, 1}, 1);
    }

    /** max |a − b| / max |b|. */
    private static double relError(Tensor got, Tensor ref) {
        return got.to(ScalarType.Double).sub(ref).abs().max().item_double() / ref.abs().max().item_double();
    }
}
