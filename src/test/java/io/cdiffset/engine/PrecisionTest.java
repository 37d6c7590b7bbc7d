package io.cdiffset.engine;

import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNetConfig;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PrecisionTest {
    /** Autocast caches the bf16 copy of a leaf weight; each scope must start from the current weights (as after an optimizer step). */
    @Test
    void bf16ScopeSeesWeightUpdatesMadeBetweenScopes() throws Exception {
        Tensor w = torch.randn(16, 16);
        w.requires_grad_(true);
        Tensor x = torch.randn(4, 16);
        double before, after;
        try (AutoCloseable ac = Precision.BF16.scope()) {
            before = torch.matmul(x, w).abs().sum().item_double();
        }
        try (NoGradGuard g = new NoGradGuard()) {
            w.mul_(new Scalar(2.0));
        }
        try (AutoCloseable ac = Precision.BF16.scope()) {
            after = torch.matmul(x, w).abs().sum().item_double();
        }
        assertEquals(2.0, after / before, 1e-6);
    }

    /** bf16-stored conv / linear weights give exactly what autocast over fp32 weights gives. */
    @Test
    void bf16WeightsMatchAutocastOverFp32Weights() throws Exception {
        UNetConfig cfg = UNetConfig.from(ConfigJson.read(Path.of("src/test/resources/fixtures/unet/config.json")));
        torch.manual_seed(5);
        UNet2DConditionModel unet = new UNet2DConditionModel(cfg);
        unet.requiresGrad(false);
        try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode()) {
            Tensor sample = torch.randn(1, 8, 16, 16), ctx = torch.randn(1, 6, cfg.crossAttentionDim());
            Tensor t = Tensors.fromLongs(new long[]{321}, 1);
            Tensor a, b;
            try (AutoCloseable ac = Precision.BF16.scope()) {
                a = unet.forward(sample, t, ctx);
            }
            long fp32Bytes = unet.parameterBytes();
            unet.storeMatmulWeightsAs(ScalarType.BFloat16);
            try (AutoCloseable ac = Precision.BF16.scope()) {
                b = unet.forward(sample, t, ctx);
            }
            assertEquals(0.0, Tensors.maxAbsDiff(a, b));
            assertEquals(ScalarType.BFloat16, Tensors.dtype(unet.convIn().weight()));
            assertEquals(true, unet.parameterBytes() < 0.6 * fp32Bytes);
        }
    }

    /**
     * Under bf16, the ops this libtorch build gets wrong or slow in bf16 stay close to fp32: a 320→5 and a 128→3
     * output convolution (oneDNN's bf16 kernels were off by ~30 % of the range here) and 5-head attention.
     */
    @Test
    void bf16OutputConvolutionsAndAttentionStayCloseToFp32() throws Exception {
        torch.manual_seed(11);
        try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode()) {
            for (long[] c : new long[][]{{320, 5, 32}, {128, 3, 64}}) {
                io.cdiffset.nn.Conv2d conv = new io.cdiffset.nn.Conv2d(c[0], c[1], 3, 1, 1);
                Tensor x = torch.randn(2, c[0], c[2], c[2]);
                Tensor ref = conv.forward(x), got;
                try (AutoCloseable ac = Precision.BF16.scope()) {
                    got = conv.forward(x.to(ScalarType.BFloat16)).to(ScalarType.Float);
                }
                double rel = Tensors.maxAbsDiff(got, ref) / ref.abs().max().item_double();
                System.out.printf("bf16 conv %d→%d: max error %.4f of the output range%n", c[0], c[1], rel);
                assertEquals(0.0, rel, 0.02);
            }
            Tensor q = torch.randn(1, 5, 1024, 64), k = torch.randn(1, 5, 1024, 64), v = torch.randn(1, 5, 1024, 64);
            Tensor ref = io.cdiffset.nn.Attention.sdpa(q, k, v, false), got;
            try (AutoCloseable ac = Precision.BF16.scope()) {
                got = io.cdiffset.nn.Attention.sdpa(q.to(ScalarType.BFloat16), k.to(ScalarType.BFloat16), v.to(ScalarType.BFloat16), false);
            }
            assertEquals(ScalarType.BFloat16, Tensors.dtype(got));
            double rel = Tensors.maxAbsDiff(got.to(ScalarType.Float), ref) / ref.abs().max().item_double();
            System.out.printf("bf16 attention: max error %.4f of the output range%n", rel);
            assertEquals(0.0, rel, 0.02);
        }
    }
}
