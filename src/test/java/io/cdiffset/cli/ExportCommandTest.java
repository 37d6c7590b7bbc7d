package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.engine.Tensors;
import io.cdiffset.pipeline.ModelBundle;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code cdiffset export}, including a swapped-in VAE (a decoder fine-tune) and the check on its latent space. */
class ExportCommandTest {
    @Test
    void exportsWithAnotherVaeOfTheSameLatentSpace(@TempDir Path tmp) throws Exception {
        Path model = TestModels.tinyModel(tmp.resolve("model"));
        Path vae = tmp.resolve("tuned-vae");
        copyVae(model.resolve("vae"), vae, null);
        var noise = ModelBundle.loadVae(vae);
        // a stand-in for a decoder fine-tune: different decoder weights, same config
        Tensor w = noise.namedParameters().get("decoder.conv_out.weight");
        w.detach().add_(new org.bytedeco.pytorch.Scalar(0.25));
        io.cdiffset.io.SafeTensors.write(vae.resolve("diffusion_pytorch_model.safetensors"), noise.stateDict(org.bytedeco.pytorch.global.torch.ScalarType.Float), Map.of("format", "pt"));
        Path out = tmp.resolve("exported");
        TranslateCommandTest.Run r = TranslateCommandTest.run("export", model.toString(), "--vae", vae.toString(), "--dtype", "fp32", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Tensor> got = ModelBundle.loadVae(out.resolve("vae")).namedParameters();
        assertEquals(0.0, Tensors.maxAbsDiff(got.get("decoder.conv_out.weight"), noise.namedParameters().get("decoder.conv_out.weight")), "the given VAE's decoder");
        assertTrue(Tensors.maxAbsDiff(got.get("decoder.conv_out.weight"), ModelBundle.loadVae(model.resolve("vae")).namedParameters().get("decoder.conv_out.weight")) > 0.2);
    }

    @Test
    void refusesAVaeWithAnotherLatentSpaceAndWritesNothing(@TempDir Path tmp) throws Exception {
        Path model = TestModels.tinyModel(tmp.resolve("model"));
        Path vae = tmp.resolve("other-vae");
        copyVae(model.resolve("vae"), vae, 0.3);
        Path out = tmp.resolve("refused");
        TranslateCommandTest.Run r = TranslateCommandTest.run("export", model.toString(), "--vae", vae.toString(), "-o", out.toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("scaling factor") && r.err().contains("train.vae_part=decoder"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(out), "no partial output");
    }

    private static void copyVae(Path from, Path to, Double scalingFactor) throws Exception {
        Files.createDirectories(to);
        Files.copy(from.resolve("diffusion_pytorch_model.safetensors"), to.resolve("diffusion_pytorch_model.safetensors"));
        String cfg = Files.readString(from.resolve("config.json"));
        if (scalingFactor != null) cfg = cfg.replaceAll("\"scaling_factor\"\\s*:\\s*[0-9.eE+-]+", "\"scaling_factor\": " + scalingFactor);
        Files.writeString(to.resolve("config.json"), cfg);
    }
}
