package io.cdiffset.model;

import org.bytedeco.pytorch.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/** Key normalisation between checkpoint flavours (wrapper prefixes, legacy names). LDM single-file names: {@link LdmKeys}. */
public final class WeightKeys {
    private WeightKeys() {}

    /** Strips the prefixes training wrappers add ({@code module.}, {@code unet.}) as the authors' test.py does. */
    public static Map<String, Tensor> unetFromAny(Map<String, Tensor> in) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            out.put(unetName(e.getKey()), e.getValue());
        }
        return out;
    }

    /** A UNet file's tensor name as the model names it ({@link #unetFromAny} for one name). */
    public static String unetName(String k) {
        return stripUnet(k);
    }

    /** Header entries with the same prefix stripping as {@link #unetFromAny}. */
    public static <V> Map<String, V> unetEntries(Map<String, V> in) {
        Map<String, V> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(stripUnet(k), v));
        return out;
    }

    private static String stripUnet(String k) {
        if (k.startsWith("module.")) k = k.substring(7);
        if (k.startsWith("unet.")) k = k.substring(5);
        return k;
    }

    /** Renames 2022-era VAE attention names (query/key/value/proj_attn) to the current ones. */
    public static Map<String, Tensor> vaeFromAny(Map<String, Tensor> in) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : in.entrySet()) out.put(vaeName(e.getKey()), e.getValue());
        return out;
    }

    /** A VAE file's tensor name as the model names it ({@link #vaeFromAny} for one name). */
    public static String vaeName(String k) {
        if (!k.contains("mid_block.attentions.0.")) return k;
        return k.replace(".attentions.0.query.", ".attentions.0.to_q.")
                .replace(".attentions.0.key.", ".attentions.0.to_k.")
                .replace(".attentions.0.value.", ".attentions.0.to_v.")
                .replace(".attentions.0.proj_attn.", ".attentions.0.to_out.0.");
    }

    /** Accepts text-encoder keys with or without the {@code text_model.} prefix; drops the position_ids buffer. */
    public static Map<String, Tensor> textFromAny(Map<String, Tensor> in) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            String k = e.getKey();
            if (k.endsWith("position_ids")) continue;
            if (!k.startsWith("text_model.")) k = "text_model." + k;
            out.put(k, e.getValue());
        }
        return out;
    }
}
