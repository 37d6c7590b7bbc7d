package io.cdiffset.model.vae;

import io.cdiffset.io.WeightFiles;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.WeightKeys;

import java.nio.file.Path;

public final class Vaes {
    private Vaes() {}

    public static AutoencoderKL load(Path configJson, Path weights) {
        AutoencoderKL m = new AutoencoderKL(VaeConfig.from(ConfigJson.read(configJson)));
        m.load(WeightKeys.vaeFromAny(WeightFiles.read(weights)), weights.toString());
        return m;
    }
}
