package io.cdiffset.diffusion;

import io.cdiffset.TestModels;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.WeightsException;
import io.cdiffset.nn.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loading streams a model's weights from its files one tensor at a time, into modules that skip random init, and for
 * bf16 straight into bf16 convolution / linear parameters. Each must give exactly the parameters (values and dtypes)
 * of the plain path: every tensor read whole into a state dict, copied into an initialised fp32 model, then cast.
 */
class ModelLoadTest {
    @TempDir
    Path tmp;

    @Test
    void streamedLoadsEqualTheWholeStateDictPath() {
        Path dir = TestModels.tinyModel(tmp.resolve("model"));
        ModelBundle streamed = ModelBundle.load(dir, null);
        // the plain path: a whole state dict, an initialised model
        var unet = new io.cdiffset.model.unet.UNet2DConditionModel(streamed.unet().config());
        Path w = dir.resolve("unet/diffusion_pytorch_model.safetensors");
        unet.load(SafeTensors.read(w), w.toString());
        assertSame(unet, streamed.unet(), "fp32 load");

        ModelBundle bf16 = ModelBundle.load(dir, null, Precision.BF16);
        ModelBundle cast = ModelBundle.load(dir, null).prepare(Precision.BF16);
        assertSame(cast.unet(), bf16.unet(), "bf16 load");
        assertSame(cast.vae(), bf16.vae(), "bf16 VAE load");
        long low = bf16.unet().namedParameters().values().stream().filter(t -> Tensors.dtype(t) == ScalarType.BFloat16).count();
        assertTrue(low > 0 && low < bf16.unet().namedParameters().size(), "conv / linear in bf16, norms in fp32: " + low);
    }

    @Test
    void aTruncatedWeightsFileIsRefusedInOneLine() throws Exception {
        Path dir = TestModels.tinyModel(tmp.resolve("model"));
        Path w = dir.resolve("unet/diffusion_pytorch_model.safetensors");
        byte[] b = Files.readAllBytes(w);
        Files.write(w, java.util.Arrays.copyOf(b, b.length - 100));
        WeightsException e = assertThrows(WeightsException.class, () -> ModelBundle.load(dir, null));
        assertTrue(e.getMessage().startsWith(w.toString()) && !e.getMessage().contains("\n"), e.getMessage());
    }

    private static void assertSame(Module expected, Module got, String what) {
        Map<String, Tensor> a = expected.namedParameters(), b = got.namedParameters();
        assertEquals(a.keySet(), b.keySet(), what);
        for (String k : a.keySet()) {
            assertEquals(Tensors.dtype(a.get(k)), Tensors.dtype(b.get(k)), what + ": dtype of " + k);
            assertEquals(0.0, Tensors.maxAbsDiff(a.get(k).to(ScalarType.Float), b.get(k).to(ScalarType.Float)), what + ": " + k);
        }
    }
}
