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
}
