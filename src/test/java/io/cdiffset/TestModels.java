package io.cdiffset;

import io.cdiffset.io.SafeTensors;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** A tiny C-DiffSET model folder assembled from the reference fixtures (random weights; right structure). */
public final class TestModels {
    public static final Path FIXTURES = Path.of("src/test/resources/fixtures");

    private TestModels() {}

    public static Path tinyModel(Path dir) {
        try {
            Files.createDirectories(dir.resolve("unet"));
            Files.createDirectories(dir.resolve("vae"));
            Files.copy(FIXTURES.resolve("unet/config.json"), dir.resolve("unet/config.json"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(FIXTURES.resolve("unet/weights.safetensors"), dir.resolve("unet/diffusion_pytorch_model.safetensors"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(FIXTURES.resolve("vae/config.json"), dir.resolve("vae/config.json"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(FIXTURES.resolve("vae/weights.safetensors"), dir.resolve("vae/diffusion_pytorch_model.safetensors"), StandardCopyOption.REPLACE_EXISTING);
            Tensor ctx;
            try (SafeTensors st = SafeTensors.open(FIXTURES.resolve("text_encoder/io.safetensors"))) {
                ctx = st.loadFloat("last_hidden_state_unpadded");
            }
            SafeTensors.write(dir.resolve("prompt_embedding.safetensors"), Map.of("context", ctx), Map.of("source", "fixture text encoder"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
