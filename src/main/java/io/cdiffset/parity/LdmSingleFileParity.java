package io.cdiffset.parity;

import io.cdiffset.diffusion.SingleFile;
import io.cdiffset.io.WeightFiles;
import org.bytedeco.pytorch.InferenceMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code ldm_single_file} fixture: a tiny SD 2.x checkpoint in the original single-file layout, loaded the way
 * {@code --model FILE} loads one ({@link SingleFile} with the configs beside it), must give the diffusers-format
 * models' UNet, VAE and text-encoder outputs (README: max |Δ| ≤ 1e-4).
 */
final class LdmSingleFileParity {
    static final double ATOL = 1e-4;

    private LdmSingleFileParity() {}

    static void run(Path dir, List<Result> out) {
        List<Path> files;
        try (var s = Files.list(dir)) {
            files = s.filter(f -> WeightFiles.isWeightsName(f) && !f.getFileName().toString().equals("io.safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException(dir + ": cannot list (" + e.getMessage() + ")");
        }
        if (files.isEmpty()) throw new IllegalArgumentException(dir + ": no single-file checkpoint beside io.safetensors");
        for (Path f : files) {
            try (Fixture fx = new Fixture(dir); InferenceMode im = new InferenceMode(); SingleFile sf = SingleFile.open(f, SingleFile.Configs.beside(f))) {
                String tag = " (" + f.getFileName() + ")";
                out.add(Fixture.compare("unet_out" + tag, sf.unet().forward(fx.f("unet_sample"), fx.raw("unet_timesteps"),
                        fx.f("unet_encoder_hidden_states")), fx.f("unet_out"), ATOL));
                var vae = sf.vae();
                out.add(Fixture.compare("vae_latent_mean" + tag, vae.posteriorMean(fx.f("vae_image")), fx.f("vae_latent_mean"), ATOL));
                out.add(Fixture.compare("vae_decoded" + tag, vae.decode(fx.f("vae_latent")), fx.f("vae_decoded"), ATOL));
                out.add(Fixture.compare("text_last_hidden_state" + tag, sf.textEncoder().forward(fx.raw("text_ids")),
                        fx.f("text_last_hidden_state"), ATOL));
            }
        }
    }
}
