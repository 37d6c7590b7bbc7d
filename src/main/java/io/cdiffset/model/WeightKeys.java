package io.cdiffset.model;

import io.cdiffset.io.WeightFile;
import io.cdiffset.nn.Module;
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

    /** Header entries with the same prefix stripping as {@link #unetFromAny}. */
    public static <V> Map<String, V> unetEntries(Map<String, V> in) {
        Map<String, V> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(unetName(k), v));
        return out;
    }

    /**
     * Loads a weights file into {@code model} one tensor at a time ({@link Module#load(Map, java.util.function.Function, String)}):
     * names and shapes from the file's header, {@code rename} mapping the file's names to the model's (e.g.
     * {@link #unetName}, {@link #vaeName}), each tensor read only when its parameter is filled.
     */
    public static void load(Module model, WeightFile file, java.util.function.UnaryOperator<String> rename, String source) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, String> stored = new LinkedHashMap<>();
        file.tensors().forEach((k, info) -> {
            String name = rename.apply(k);
            shapes.put(name, info.shape());
            stored.put(name, k);
        });
        model.load(shapes, name -> file.load(stored.get(name)), source);
    }

    /** A UNet file's tensor name as the model names it (no {@code module.} / {@code unet.} prefix). */
    public static String unetName(String k) {
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
