package io.cdiffset.diffusion;

import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.TorchSaveWriter;
import io.cdiffset.parity.ParityCheck;
import io.cdiffset.parity.Result;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The LDM single-file path end to end with a {@code .ckpt} (fixtures/ldm_single_file re-saved the way torch.save
 * writes an SD checkpoint: {@code {"state_dict": ..., "global_step": N}}): the parity check passes on it as on the
 * safetensors file, and {@code ModelBundle.load(file.ckpt, --unet)} — what {@code --model file.ckpt} runs — takes
 * its VAE and prompt context from it.
 */
class SingleFileCheckpointTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/ldm_single_file");
    static final double ATOL = 1e-4;

    @TempDir
    Path tmp;

    @Test
    void ckptGivesTheSameOutputsAsTheDiffusersModels() throws Exception {
        Path dir = tmp.resolve("ldm_single_file_ckpt");
        Files.createDirectories(dir);
        for (String f : List.of("io.safetensors", "README.md", SingleFile.UNET_CONFIG, SingleFile.VAE_CONFIG, SingleFile.TEXT_ENCODER_CONFIG)) {
            Files.copy(FIXTURE.resolve(f), dir.resolve(f));
        }
        Map<String, Object> ckpt = new LinkedHashMap<>();
        ckpt.put("state_dict", new LinkedHashMap<>(SafeTensors.read(FIXTURE.resolve("sd2_single_file.safetensors"))));
        ckpt.put("global_step", 110000L);
        Path file = dir.resolve("v2-tiny-ema-pruned.ckpt");
        TorchSaveWriter.write(file, ckpt);

        List<Result> results = ParityCheck.run(dir);
        assertEquals(4, results.size());
        for (Result r : results) assertTrue(r.pass(), r.line());

        // --model file.ckpt --unet <C-DiffSET UNet>: VAE and prompt context come from the checkpoint
        ModelBundle b = ModelBundle.load(file, Path.of("src/test/resources/fixtures/unet/weights.safetensors"));
        try (SafeTensors io = SafeTensors.open(FIXTURE.resolve("io.safetensors")); InferenceMode im = new InferenceMode()) {
            Tensor ctx = b.context();
            Tensor want = io.loadFloat("text_last_hidden_state");
            assertArrayEquals(Tensors.shape(want), Tensors.shape(ctx));
            assertTrue(Tensors.maxAbsDiff(ctx, want) <= ATOL, "context " + Tensors.maxAbsDiff(ctx, want));
            double dec = Tensors.maxAbsDiff(b.vae().decode(io.loadFloat("vae_latent")), io.loadFloat("vae_decoded"));
            assertTrue(dec <= ATOL, "vae " + dec);
            assertEquals(8, b.unet().config().inChannels());
        }
    }

    @Test
    void withoutConfigFilesBesideItARealFileGetsSd21Configs() {
        SingleFile.Configs c = SingleFile.Configs.beside(tmp.resolve("v2-1_512-ema-pruned.ckpt"));
        assertEquals(1024, c.unet().crossAttentionDim());
        assertEquals(23, c.textEncoder().layers());
        SingleFile.Configs fx = SingleFile.Configs.beside(FIXTURE.resolve("sd2_single_file.safetensors"));
        assertEquals(64, fx.unet().crossAttentionDim());
    }
}
