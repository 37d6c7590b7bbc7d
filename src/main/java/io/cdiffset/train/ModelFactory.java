package io.cdiffset.train;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.engine.Tensors;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.clip.ClipTextConfig;
import io.cdiffset.model.clip.ClipTextModel;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.VaeConfig;
import io.cdiffset.diffusion.ModelBundle;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Builds reduced-width SD-structured models from training settings (for training without pretrained weights). */
public final class ModelFactory {
    private ModelFactory() {}

    public static UNetConfig unetConfig(TrainConfig c, int in, int out) {
        return unetConfig(c.settings(), in, out);
    }

    public static UNetConfig unetConfig(TrainSettings s, int in, int out) {
        TrainSettings.Model m = s.model();
        ObjectNode o = ConfigJson.JSON.createObjectNode();
        o.put("_class_name", "UNet2DConditionModel");
        o.put("in_channels", in);
        o.put("out_channels", out);
        o.set("block_out_channels", arr(m.blockOutChannels()));
        o.put("layers_per_block", m.layersPerBlock());
        o.set("attention_head_dim", arr(m.attentionHeads()));
        o.put("cross_attention_dim", m.crossAttentionDim());
        o.put("use_linear_projection", true);
        o.put("norm_num_groups", m.normNumGroups());
        o.put("norm_eps", 1e-5);
        o.put("flip_sin_to_cos", true);
        o.put("freq_shift", 0);
        int n = m.blockOutChannels().length;
        ArrayNode down = o.putArray("down_block_types");
        ArrayNode up = o.putArray("up_block_types");
        for (int i = 0; i < n; i++) {
            down.add(i < n - 1 ? "CrossAttnDownBlock2D" : "DownBlock2D");
            up.add(i == 0 ? "UpBlock2D" : "CrossAttnUpBlock2D");
        }
        o.put("mid_block_type", "UNetMidBlock2DCrossAttn");
        o.put("sample_size", s.data().crop() / 8);
        return UNetConfig.from(new ConfigJson(o, "training settings (model.*)"));
    }

    public static VaeConfig vaeConfig(TrainSettings s) {
        TrainSettings.Model m = s.model();
        ObjectNode o = ConfigJson.JSON.createObjectNode();
        o.put("_class_name", "AutoencoderKL");
        o.put("in_channels", 3);
        o.put("out_channels", 3);
        o.put("latent_channels", 4);
        int[] boc = m.vaeBlockOutChannels();
        o.set("block_out_channels", arr(boc));
        ArrayNode down = o.putArray("down_block_types");
        ArrayNode up = o.putArray("up_block_types");
        for (int i = 0; i < boc.length; i++) {
            down.add("DownEncoderBlock2D");
            up.add("UpDecoderBlock2D");
        }
        o.put("layers_per_block", m.vaeLayersPerBlock());
        o.put("norm_num_groups", m.normNumGroups());
        o.put("act_fn", "silu");
        o.put("scaling_factor", 0.18215);
        o.put("sample_size", s.data().crop());
        return VaeConfig.from(new ConfigJson(o, "training settings (model.vae_*)"));
    }

    /**
     * The stored prompt context for models trained without a pretrained text encoder: a small CLIPTextModel with
     * seeded random weights run on the real SD 2.1 token ids of "electro-optical image" (unpadded, as C-DiffSET).
     */
    public static Tensor demoContext(int hidden, long seed) {
        ObjectNode o = ConfigJson.JSON.createObjectNode();
        o.put("hidden_size", hidden);
        o.put("intermediate_size", hidden * 4);
        o.put("num_hidden_layers", 2);
        o.put("num_attention_heads", Math.max(1, hidden / 16));
        o.put("max_position_embeddings", 77);
        o.put("vocab_size", 49408);
        o.put("hidden_act", "gelu");
        torch.manual_seed(seed);
        ClipTextModel te = new ClipTextModel(ClipTextConfig.from(new ConfigJson(o, "demo text tower")));
        long[] ids = new long[ModelBundle.PROMPT_IDS.length];
        for (int i = 0; i < ids.length; i++) ids[i] = ModelBundle.PROMPT_IDS[i];
        try (InferenceMode im = new InferenceMode()) {
            return te.forward(Tensors.fromLongs(ids, 1, ids.length)).clone();
        }
    }

    private static ArrayNode arr(int[] v) {
        ArrayNode a = ConfigJson.JSON.createArrayNode();
        for (int x : v) a.add(x);
        return a;
    }
}
