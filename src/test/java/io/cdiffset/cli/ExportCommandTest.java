package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.engine.Tensors;
import io.cdiffset.diffusion.ModelBundle;
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

    @Test
    void recordsTheSarGuidanceThatTranslateThenUses(@TempDir Path tmp) throws Exception {
        Path model = TestModels.tinyModel(tmp.resolve("model"));
        assertEquals(1.0, ModelBundle.sampling(model).sarGuidance(), "no sampling.json: plain sampling");
        Path out = tmp.resolve("guided");
        TranslateCommandTest.Run r = TranslateCommandTest.run("export", model.toString(), "--sar-guidance", "2.5", "--dtype", "fp32", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(2.5, ModelBundle.sampling(out).sarGuidance());
        Path again = tmp.resolve("again");
        assertEquals(0, TranslateCommandTest.run("export", out.toString(), "-o", again.toString()).code());
        assertEquals(2.5, ModelBundle.sampling(again).sarGuidance(), "a re-export keeps the source's scale");

        Path in = tmp.resolve("sar.png");
        io.cdiffset.io.raster.Rasters.writePng(in, TranslateCommandTest.sarRamp(64, 64, null));
        Path byDefault = tmp.resolve("t-default"), explicit = tmp.resolve("t-explicit"), plain = tmp.resolve("t-plain");
        r = TranslateCommandTest.run("translate", in.toString(), "-o", byDefault.toString(), "--model", out.toString(), "--steps", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("SAR guidance 2.5"), r.err());
        assertEquals(0, TranslateCommandTest.run("translate", in.toString(), "-o", explicit.toString(), "--model", out.toString(), "--steps", "2", "--sar-guidance", "2.5").code());
        assertEquals(0, TranslateCommandTest.run("translate", in.toString(), "-o", plain.toString(), "--model", out.toString(), "--steps", "2", "--sar-guidance", "1").code());
        assertArrayEquals(Files.readAllBytes(explicit.resolve("sar.png")), Files.readAllBytes(byDefault.resolve("sar.png")));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(plain.resolve("sar.png")), Files.readAllBytes(byDefault.resolve("sar.png"))));

        Files.writeString(out.resolve(ModelBundle.SAMPLING), "{\"sar_guidance\": \"lots\"}");
        Path bad = tmp.resolve("t-bad");
        r = TranslateCommandTest.run("translate", in.toString(), "-o", bad.toString(), "--model", out.toString(), "--steps", "2");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("sampling.json") && r.err().contains("sar_guidance"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(TranslateCommandTest.files(bad).isEmpty(), "no partial output");
    }

    @Test
    void refusesANegativeSarGuidance(@TempDir Path tmp) throws Exception {
        Path model = TestModels.tinyModel(tmp.resolve("model"));
        Path out = tmp.resolve("refused");
        TranslateCommandTest.Run r = TranslateCommandTest.run("export", model.toString(), "--sar-guidance", "-1", "-o", out.toString());
        assertNotEquals(0, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(out));
        r = TranslateCommandTest.run("translate", model.toString(), "--sar-guidance", "-1", "-o", tmp.resolve("t").toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--sar-guidance"), r.err());
    }

    private static void copyVae(Path from, Path to, Double scalingFactor) throws Exception {
        Files.createDirectories(to);
        Files.copy(from.resolve("diffusion_pytorch_model.safetensors"), to.resolve("diffusion_pytorch_model.safetensors"));
        String cfg = Files.readString(from.resolve("config.json"));
        if (scalingFactor != null) cfg = cfg.replaceAll("\"scaling_factor\"\\s*:\\s*[0-9.eE+-]+", "\"scaling_factor\": " + scalingFactor);
        Files.writeString(to.resolve("config.json"), cfg);
    }
}
