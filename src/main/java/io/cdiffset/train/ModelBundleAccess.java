package io.cdiffset.train;

import io.cdiffset.io.SafeTensors;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.WeightKeys;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.pipeline.ModelBundle;

import java.nio.file.Path;

/** Loading pretrained components for training (any channel layout, trainable). */
final class ModelBundleAccess {
    private ModelBundleAccess() {}

    static UNet2DConditionModel baseUnet(Path dir) {
        Path w = ModelBundle.weightsFile(dir, "diffusion_pytorch_model");
        UNetConfig cfg = UNetConfig.from(ConfigJson.read(dir.resolve("config.json")));
        int in, out;
        try (SafeTensors st = SafeTensors.open(w)) {
            var e = WeightKeys.unetEntries(st.entries());
            in = (int) e.get("conv_in.weight").shape()[1];
            out = (int) e.get("conv_out.weight").shape()[0];
        }
        UNet2DConditionModel unet = new UNet2DConditionModel(cfg.withChannels(in, out));
        unet.load(WeightKeys.unetFromAny(SafeTensors.read(w)), w.toString());
        return unet;
    }
}
