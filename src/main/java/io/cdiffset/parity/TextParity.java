package io.cdiffset.parity;

import io.cdiffset.model.clip.ClipTextModel;
import org.bytedeco.pytorch.InferenceMode;

import java.nio.file.Path;
import java.util.List;

final class TextParity {
    private TextParity() {}

    static void run(Path dir, List<Result> out) {
        try (Fixture fx = new Fixture(dir); InferenceMode im = new InferenceMode()) {
            ClipTextModel te = ClipTextModel.load(dir.resolve("config.json"), dir.resolve("weights.safetensors"));
            for (String v : new String[]{"unpadded", "padded"}) {
                if (!fx.has("ids_" + v)) continue;
                out.add(Fixture.compare("last_hidden_state_" + v, te.forward(fx.raw("ids_" + v)), fx.f("last_hidden_state_" + v), 1e-5));
            }
        }
    }
}
