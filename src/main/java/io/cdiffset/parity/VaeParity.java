package io.cdiffset.parity;

import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.model.vae.Vaes;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

final class VaeParity {
    private VaeParity() {}

    static void run(Path dir, List<Result> out) {
        try (Fixture fx = new Fixture(dir); InferenceMode im = new InferenceMode()) {
            for (String file : new String[]{"weights.safetensors", "weights_legacy_names.safetensors"}) {
                if (!Files.exists(dir.resolve(file))) continue;
                String tag = file.contains("legacy") ? " (legacy names)" : "";
                AutoencoderKL vae = Vaes.load(dir.resolve("config.json"), dir.resolve(file));
                Tensor image = fx.f("image");
                Tensor moments = vae.moments(image);
                int l = vae.config().latentChannels();
                if (fx.has("moments")) out.add(Fixture.compare("moments" + tag, moments, fx.f("moments"), 1e-5));
                out.add(Fixture.compare("posterior_mean" + tag, moments.narrow(1, 0, l), fx.f("posterior_mean"), 1e-5));
                out.add(Fixture.compare("posterior_logvar" + tag, vae.posteriorLogvar(image), fx.f("posterior_logvar"), 1e-5));
                out.add(Fixture.compare("decoded_mean" + tag, vae.decode(fx.f("posterior_mean")), fx.f("decoded_mean"), 1e-4));
            }
        }
    }
}
