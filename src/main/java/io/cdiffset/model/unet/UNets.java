package io.cdiffset.model.unet;

import io.cdiffset.io.WeightFiles;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.WeightKeys;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.Map;

/** Building and loading UNets from diffusers files. */
public final class UNets {
    private UNets() {}

    public static UNet2DConditionModel load(Path configJson, Path weights) {
        UNet2DConditionModel m = new UNet2DConditionModel(UNetConfig.from(ConfigJson.read(configJson)));
        m.load(WeightKeys.unetFromAny(WeightFiles.read(weights)), weights.toString());
        return m;
    }

    public static UNet2DConditionModel load(UNetConfig config, Map<String, Tensor> state, String source) {
        UNet2DConditionModel m = new UNet2DConditionModel(config);
        m.load(WeightKeys.unetFromAny(state), source);
        return m;
    }
}
