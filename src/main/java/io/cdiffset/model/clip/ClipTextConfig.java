package io.cdiffset.model.clip;

import io.cdiffset.model.ConfigJson;

/** transformers CLIPTextConfig (the fields the text tower uses). */
public record ClipTextConfig(int vocabSize, int hiddenSize, int intermediateSize, int layers, int heads, int maxPositions,
                             double layerNormEps, String hiddenAct, ConfigJson raw) {
    public static ClipTextConfig from(ConfigJson c) {
        String act = c.getString("hidden_act", "quick_gelu");
        if (!act.equals("gelu") && !act.equals("quick_gelu")) throw c.bad("hidden_act", "is " + act + "; expected gelu or quick_gelu");
        return new ClipTextConfig(c.getInt("vocab_size", 49408), c.requireInt("hidden_size"), c.requireInt("intermediate_size"),
                c.requireInt("num_hidden_layers"), c.requireInt("num_attention_heads"), c.getInt("max_position_embeddings", 77),
                c.getDouble("layer_norm_eps", 1e-5), act, c);
    }
}
