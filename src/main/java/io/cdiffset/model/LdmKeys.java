package io.cdiffset.model;

import io.cdiffset.io.WeightsException;
import io.cdiffset.model.clip.ClipTextConfig;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Original single-file (LDM / CompVis) Stable Diffusion checkpoints → diffusers / transformers names (SD21_SPEC §6).
 *
 * <p>A single file holds the UNet under {@code model.diffusion_model.}, the VAE under {@code first_stage_model.} and
 * the 24-layer OpenCLIP text tower under {@code cond_stage_model.model.}, plus scheduler buffers ({@code betas},
 * {@code alphas_cumprod}, …) and possibly {@code model_ema.*}, which are ignored.
 *
 * <p>The name logic ({@link #mapKey}, {@link #mapNames}, {@link #mapShapes}) works on key names and shapes only,
 * so it can run on safetensors header entries; {@link #convert} then applies the per-tensor operations
 * ({@link Mapping#apply}: OpenCLIP {@code in_proj} row split, VAE attention 1×1-conv squeeze).
 *
 * <p>UNet block arithmetic assumes SD's {@value #LAYERS_PER_BLOCK} resnets per down level (3 per up level), as in
 * every SD 1.x / 2.x checkpoint. The number of VAE up levels is read from the keys; the number of text layers kept
 * comes from the text config (23 for SD 2.1: the last OpenCLIP block is unused).
 */
public final class LdmKeys {
    public static final String UNET_PREFIX = "model.diffusion_model.";
    public static final String VAE_PREFIX = "first_stage_model.";
    public static final String TEXT_PREFIX = "cond_stage_model.model.";
    /** Resnets per UNet down level in LDM checkpoints (up levels have one more). */
    public static final int LAYERS_PER_BLOCK = 2;

    private LdmKeys() {}

    /** Which diffusers component a converted tensor belongs to. */
    public enum Target { UNET, VAE, TEXT_ENCODER }

    /** What a set of checkpoint keys looks like (see {@link #detect(Set)}). */
    public enum Format {
        /** Original single file: {@code model.diffusion_model.*}, {@code first_stage_model.*}, {@code cond_stage_model.*}. */
        LDM_SINGLE_FILE("LDM single-file checkpoint"),
        /** diffusers UNet2DConditionModel (plain 4-in/4-out SD UNet, or channel counts not known). */
        DIFFUSERS_UNET("diffusers UNet2DConditionModel"),
        /** diffusers UNet2DConditionModel with C-DiffSET's 8-channel conv_in and 5-channel conv_out. */
        CDIFFSET_UNET("C-DiffSET UNet 8-in/5-out"),
        /** diffusers AutoencoderKL. */
        DIFFUSERS_VAE("diffusers AutoencoderKL"),
        /** transformers CLIPTextModel with {@code text_model.} prefix (transformers 4.x). */
        TEXT_ENCODER("transformers CLIPTextModel"),
        /** transformers CLIPTextModel saved without the {@code text_model.} prefix (transformers ≥ 5). */
        TEXT_ENCODER_NO_PREFIX("transformers CLIPTextModel (no text_model. prefix)"),
        UNKNOWN("unknown");

        private final String label;

        Format(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public boolean isUNet() {
            return this == DIFFUSERS_UNET || this == CDIFFSET_UNET;
        }

        public boolean isTextEncoder() {
            return this == TEXT_ENCODER || this == TEXT_ENCODER_NO_PREFIX;
        }
    }

    /**
     * How one diffusers tensor is obtained from one LDM tensor.
     *
     * @param rowChunk   -1: the whole tensor; 0 / 1 / 2: the q / k / v third of dim 0 (OpenCLIP {@code in_proj_*})
     * @param squeeze1x1 the LDM tensor is a 1×1 conv weight {@code [C, C, 1, 1]} taken as a Linear weight {@code [C, C]}
     */
    public record Mapping(Target target, String name, String source, int rowChunk, boolean squeeze1x1) {
        static Mapping of(Target t, String name, String source) {
            return new Mapping(t, name, source, -1, false);
        }

        /** The diffusers shape for an LDM tensor of shape {@code src}. */
        public long[] shape(long[] src) {
            long[] s = src.clone();
            if (rowChunk >= 0 && s.length > 0) s[0] = s[0] / 3;
            if (squeeze1x1 && s.length == 4 && s[2] == 1 && s[3] == 1) s = new long[]{s[0], s[1]};
            return s;
        }

        /** The diffusers tensor for the LDM tensor {@code src} (a view where possible). */
        public Tensor apply(Tensor src) {
            Tensor t = src;
            if (rowChunk >= 0) {
                long n = t.size(0) / 3;
                t = t.narrow(0, rowChunk * n, n);
            }
            if (squeeze1x1 && t.dim() == 4 && t.size(2) == 1 && t.size(3) == 1) t = t.select(3, 0).select(2, 0);
            return t;
        }
    }

    /**
     * LDM keys split into the three diffusers components (each map keyed by diffusers name, in source order), the
     * keys deliberately dropped ({@code ignored}: buffers, EMA copies, the unused text layer, …) and keys under a
     * component prefix that no rule covers ({@code unmapped}, LDM names).
     */
    public record Split<T>(Map<String, T> unet, Map<String, T> vae, Map<String, T> textEncoder, List<String> ignored,
                           List<String> unmapped) {
        public Map<String, T> get(Target t) {
            return switch (t) {
                case UNET -> unet;
                case VAE -> vae;
                case TEXT_ENCODER -> textEncoder;
            };
        }

        /** Throws a one-line {@link WeightsException} if some component keys could not be mapped. */
        public Split<T> requireMapped(String source) {
            if (!unmapped.isEmpty()) {
                int show = Math.min(6, unmapped.size());
                throw new WeightsException(source + ": " + unmapped.size() + " keys of the single-file checkpoint have no "
                        + "diffusers equivalent (not an SD 1.x/2.x layout?): " + String.join(", ", unmapped.subList(0, show))
                        + (unmapped.size() > show ? ", ..." : ""));
            }
            return this;
        }
    }

    // ------------------------------------------------------------------------------------------------- detection

    /**
     * Classifies a key set: LDM single file, diffusers UNet, diffusers VAE, transformers text encoder (with or without
     * {@code text_model.}) or unknown. Without shapes a UNet is reported as {@link Format#DIFFUSERS_UNET}; use
     * {@link #detect(Map)} to tell a C-DiffSET 8-in/5-out UNet apart. Training-wrapper prefixes ({@code module.},
     * {@code unet.}) are tolerated.
     */
    public static Format detect(Set<String> keys) {
        for (String k : keys) {
            if (k.startsWith(UNET_PREFIX) || k.startsWith(VAE_PREFIX) || k.startsWith("cond_stage_model.")) {
                return Format.LDM_SINGLE_FILE;
            }
        }
        Set<String> u = stripWrappers(keys);
        if (u.contains("conv_in.weight") && u.contains("time_embedding.linear_1.weight")) return Format.DIFFUSERS_UNET;
        if (keys.contains("encoder.conv_in.weight") && keys.contains("decoder.conv_in.weight")) return Format.DIFFUSERS_VAE;
        if (keys.contains("text_model.embeddings.token_embedding.weight")) return Format.TEXT_ENCODER;
        if (keys.contains("embeddings.token_embedding.weight")) return Format.TEXT_ENCODER_NO_PREFIX;
        return Format.UNKNOWN;
    }

    /** As {@link #detect(Set)}, and a UNet whose conv_in has 8 input and conv_out 5 output channels is C-DiffSET's. */
    public static Format detect(Map<String, long[]> shapes) {
        Format f = detect(shapes.keySet());
        if (f != Format.DIFFUSERS_UNET) return f;
        int[] io = unetChannels(shapes);
        return io != null && io[0] == 8 && io[1] == 5 ? Format.CDIFFSET_UNET : f;
    }

    /**
     * {in, out} channels of a diffusers UNet from {@code conv_in.weight} [C, in, k, k] and {@code conv_out.weight}
     * [out, C, k, k] (wrapper prefixes tolerated), or null if either is absent or not 4-D.
     */
    public static int[] unetChannels(Map<String, long[]> shapes) {
        long[] ci = null, co = null;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            String k = stripWrapper(e.getKey());
            if (k.equals("conv_in.weight")) ci = e.getValue();
            if (k.equals("conv_out.weight")) co = e.getValue();
        }
        if (ci == null || co == null || ci.length != 4 || co.length != 4) return null;
        return new int[]{(int) ci[1], (int) co[0]};
    }

    /** The cross-attention (text) width an LDM UNet expects: 1024 for SD 2.x, 768 for SD 1.x; -1 if unknown. */
    public static long ldmCrossAttentionDim(Map<String, long[]> shapes) {
        long[] s = shapes.get(UNET_PREFIX + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight");
        if (s == null) s = shapes.get(UNET_PREFIX + "input_blocks.2.1.transformer_blocks.0.attn2.to_k.weight");
        return s == null || s.length != 2 ? -1 : s[1];
    }

    private static Set<String> stripWrappers(Set<String> keys) {
        boolean any = false;
        for (String k : keys) if (k.startsWith("module.") || k.startsWith("unet.")) { any = true; break; }
        if (!any) return keys;
        Set<String> out = new java.util.HashSet<>();
        for (String k : keys) out.add(stripWrapper(k));
        return out;
    }

    private static String stripWrapper(String k) {
        if (k.startsWith("module.")) k = k.substring(7);
        if (k.startsWith("unet.")) k = k.substring(5);
        return k;
    }

    // ------------------------------------------------------------------------------------------------- names

    /**
     * Maps all keys of a single-file checkpoint by name. {@code textLayers}: text layers to keep (OpenCLIP blocks with
     * a higher index are ignored). The number of VAE up levels is taken from the {@code decoder.up.N} keys (4 if none).
     */
    public static Split<Mapping> mapNames(Collection<String> keys, int textLayers) {
        int vaeLevels = vaeUpLevels(keys);
        Map<String, Mapping> unet = new LinkedHashMap<>(), vae = new LinkedHashMap<>(), text = new LinkedHashMap<>();
        List<String> ignored = new ArrayList<>(), unmapped = new ArrayList<>();
        for (String k : keys) {
            List<Mapping> ms = mapKey(k, textLayers, vaeLevels);
            if (ms == null) {
                unmapped.add(k);
            } else if (ms.isEmpty()) {
                ignored.add(k);
            } else {
                for (Mapping m : ms) {
                    Map<String, Mapping> dst = switch (m.target()) {
                        case UNET -> unet;
                        case VAE -> vae;
                        case TEXT_ENCODER -> text;
                    };
                    Mapping prev = dst.put(m.name(), m);
                    if (prev != null) unmapped.add(k + " (maps onto " + m.name() + " as " + prev.source() + " does)");
                }
            }
        }
        return new Split<>(unet, vae, text, ignored, unmapped);
    }

    /** {@link #mapNames(Collection, int)} keeping {@code text.layers()} text layers. */
    public static Split<Mapping> mapNames(Collection<String> keys, ClipTextConfig text) {
        return mapNames(keys, text.layers());
    }

    /** Name and shape mapping of header entries (LDM name → LDM shape) without touching tensor data. */
    public static Split<long[]> mapShapes(Map<String, long[]> ldmShapes, int textLayers) {
        return transform(mapNames(ldmShapes.keySet(), textLayers), (m, src) -> m.shape(ldmShapes.get(src)));
    }

    /** Converts a loaded single-file state dict; SD 2.1's 23 text layers are kept. */
    public static Split<Tensor> convert(Map<String, Tensor> state) {
        return convert(state, Sd21Configs.textEncoder().layers());
    }

    /** Converts a loaded single-file state dict, keeping {@code text.layers()} text layers. */
    public static Split<Tensor> convert(Map<String, Tensor> state, ClipTextConfig text) {
        return convert(state, text.layers());
    }

    /** Converts a loaded single-file state dict (tensors are views of the inputs where possible). */
    public static Split<Tensor> convert(Map<String, Tensor> state, int textLayers) {
        return transform(mapNames(state.keySet(), textLayers), (m, src) -> m.apply(state.get(src)));
    }

    private static <T> Split<T> transform(Split<Mapping> names, BiFunction<Mapping, String, T> f) {
        List<Map<String, T>> maps = new ArrayList<>();
        for (Target t : Target.values()) {
            Map<String, T> out = new LinkedHashMap<>();
            names.get(t).forEach((k, m) -> out.put(k, f.apply(m, m.source())));
            maps.add(out);
        }
        return new Split<>(maps.get(0), maps.get(1), maps.get(2), names.ignored(), names.unmapped());
    }

    /**
     * The diffusers tensors one LDM key yields: usually one, three for an OpenCLIP {@code in_proj_*}, none for an
     * ignored key (scheduler buffers, EMA weights, text layers ≥ {@code textLayers}, {@code text_projection},
     * {@code logit_scale}, keys outside the three component prefixes); {@code null} if the key is under a component
     * prefix but no rule applies.
     */
    public static List<Mapping> mapKey(String key, int textLayers, int vaeUpLevels) {
        if (key.startsWith(UNET_PREFIX)) {
            String n = unetName(key.substring(UNET_PREFIX.length()));
            return n == null ? null : List.of(Mapping.of(Target.UNET, n, key));
        }
        if (key.startsWith(VAE_PREFIX)) {
            String rest = key.substring(VAE_PREFIX.length());
            if (rest.startsWith("loss.")) return List.of();   // training-only discriminator / LPIPS weights
            String n = vaeName(rest, vaeUpLevels);
            if (n == null) return null;
            boolean squeeze = n.endsWith(".weight") && n.contains("mid_block.attentions.0.to_");
            return List.of(new Mapping(Target.VAE, n, key, -1, squeeze));
        }
        if (key.startsWith(TEXT_PREFIX)) return textMappings(key, key.substring(TEXT_PREFIX.length()), textLayers);
        return List.of();   // betas, alphas_cumprod, ..., model_ema.*, cond_stage_model buffers outside .model.
    }

    // ---- UNet (§6.1)

    private static final Pattern IN_BLOCK = Pattern.compile("input_blocks\\.(\\d+)\\.(\\d+)\\.(.+)");
    private static final Pattern MID_BLOCK = Pattern.compile("middle_block\\.(\\d+)\\.(.+)");
    private static final Pattern OUT_BLOCK = Pattern.compile("output_blocks\\.(\\d+)\\.(\\d+)\\.(.+)");

    static String unetName(String k) {
        if (k.startsWith("time_embed.0.")) return "time_embedding.linear_1." + after(k, "time_embed.0.");
        if (k.startsWith("time_embed.2.")) return "time_embedding.linear_2." + after(k, "time_embed.2.");
        if (k.startsWith("out.0.")) return "conv_norm_out." + after(k, "out.0.");
        if (k.startsWith("out.2.")) return "conv_out." + after(k, "out.2.");
        int per = LAYERS_PER_BLOCK + 1;
        Matcher m = IN_BLOCK.matcher(k);
        if (m.matches()) {
            int n = Integer.parseInt(m.group(1)), sub = Integer.parseInt(m.group(2));
            String rest = m.group(3);
            if (n == 0) return sub == 0 ? "conv_in." + rest : null;
            int i = (n - 1) / per, j = (n - 1) % per;
            if (j == LAYERS_PER_BLOCK) {
                return sub == 0 && rest.startsWith("op.") ? "down_blocks." + i + ".downsamplers.0.conv." + after(rest, "op.") : null;
            }
            if (sub == 0) return resnet("down_blocks." + i + ".resnets." + j + ".", rest);
            if (sub == 1) return "down_blocks." + i + ".attentions." + j + "." + rest;
            return null;
        }
        m = MID_BLOCK.matcher(k);
        if (m.matches()) {
            String rest = m.group(2);
            return switch (m.group(1)) {
                case "0" -> resnet("mid_block.resnets.0.", rest);
                case "1" -> "mid_block.attentions.0." + rest;
                case "2" -> resnet("mid_block.resnets.1.", rest);
                default -> null;
            };
        }
        m = OUT_BLOCK.matcher(k);
        if (m.matches()) {
            int n = Integer.parseInt(m.group(1)), sub = Integer.parseInt(m.group(2));
            String rest = m.group(3);
            int i = n / per, j = n % per;
            if (sub == 0) return resnet("up_blocks." + i + ".resnets." + j + ".", rest);
            // the upsampler is the last sub-module of the level's last output block: index 1 without attention, else 2
            if (rest.startsWith("conv.") && j == LAYERS_PER_BLOCK && (sub == 1 || sub == 2)) {
                return "up_blocks." + i + ".upsamplers.0.conv." + after(rest, "conv.");
            }
            if (sub == 1) return "up_blocks." + i + ".attentions." + j + "." + rest;
            return null;
        }
        return null;
    }

    private static final String[][] UNET_RESNET = {
            {"in_layers.0.", "norm1."}, {"in_layers.2.", "conv1."}, {"emb_layers.1.", "time_emb_proj."},
            {"out_layers.0.", "norm2."}, {"out_layers.3.", "conv2."}, {"skip_connection.", "conv_shortcut."}};

    private static String resnet(String prefix, String rest) {
        for (String[] r : UNET_RESNET) if (rest.startsWith(r[0])) return prefix + r[1] + after(rest, r[0]);
        return null;
    }

    // ---- VAE (§6.2)

    private static final Pattern VAE_DOWN = Pattern.compile("encoder\\.down\\.(\\d+)\\.(block\\.(\\d+)|downsample)\\.(.+)");
    private static final Pattern VAE_UP = Pattern.compile("decoder\\.up\\.(\\d+)\\.(block\\.(\\d+)|upsample)\\.(.+)");
    private static final Pattern VAE_MID = Pattern.compile("(encoder|decoder)\\.mid\\.(block_1|block_2|attn_1)\\.(.+)");
    private static final Pattern VAE_UP_INDEX = Pattern.compile(Pattern.quote(VAE_PREFIX) + "decoder\\.up\\.(\\d+)\\..*");

    /** Number of decoder up levels in an LDM key set (max {@code decoder.up.N} + 1; 4 if there are none). */
    public static int vaeUpLevels(Collection<String> keys) {
        int max = -1;
        for (String k : keys) {
            Matcher m = VAE_UP_INDEX.matcher(k);
            if (m.matches()) max = Math.max(max, Integer.parseInt(m.group(1)));
        }
        return max < 0 ? 4 : max + 1;
    }

    static String vaeName(String k, int levels) {
        for (String same : new String[]{"encoder.conv_in.", "encoder.conv_out.", "decoder.conv_in.", "decoder.conv_out.",
                "quant_conv.", "post_quant_conv."}) {
            if (k.startsWith(same)) return k;
        }
        if (k.startsWith("encoder.norm_out.")) return "encoder.conv_norm_out." + after(k, "encoder.norm_out.");
        if (k.startsWith("decoder.norm_out.")) return "decoder.conv_norm_out." + after(k, "decoder.norm_out.");
        Matcher m = VAE_DOWN.matcher(k);
        if (m.matches()) {
            String p = "encoder.down_blocks." + m.group(1) + ".";
            if (m.group(3) != null) return vaeResnet(p + "resnets." + m.group(3) + ".", m.group(4));
            return m.group(4).startsWith("conv.") ? p + "downsamplers.0." + m.group(4) : null;
        }
        m = VAE_UP.matcher(k);
        if (m.matches()) {
            int idx = levels - 1 - Integer.parseInt(m.group(1));   // LDM decoder.up is stored in reverse order
            if (idx < 0) return null;
            String p = "decoder.up_blocks." + idx + ".";
            if (m.group(3) != null) return vaeResnet(p + "resnets." + m.group(3) + ".", m.group(4));
            return m.group(4).startsWith("conv.") ? p + "upsamplers.0." + m.group(4) : null;
        }
        m = VAE_MID.matcher(k);
        if (m.matches()) {
            String p = m.group(1) + ".mid_block.";
            String rest = m.group(3);
            switch (m.group(2)) {
                case "block_1":
                    return vaeResnet(p + "resnets.0.", rest);
                case "block_2":
                    return vaeResnet(p + "resnets.1.", rest);
                default:
                    p += "attentions.0.";
                    if (rest.startsWith("norm.")) return p + "group_norm." + after(rest, "norm.");
                    if (rest.startsWith("q.")) return p + "to_q." + after(rest, "q.");
                    if (rest.startsWith("k.")) return p + "to_k." + after(rest, "k.");
                    if (rest.startsWith("v.")) return p + "to_v." + after(rest, "v.");
                    if (rest.startsWith("proj_out.")) return p + "to_out.0." + after(rest, "proj_out.");
                    return null;
            }
        }
        return null;
    }

    private static final Set<String> VAE_RESNET_SAME = Set.of("norm1.", "conv1.", "norm2.", "conv2.");

    private static String vaeResnet(String prefix, String rest) {
        for (String s : VAE_RESNET_SAME) if (rest.startsWith(s)) return prefix + rest;
        if (rest.startsWith("nin_shortcut.")) return prefix + "conv_shortcut." + after(rest, "nin_shortcut.");
        return null;
    }

    // ---- OpenCLIP text tower (§6.3)

    private static final Pattern RESBLOCK = Pattern.compile("transformer\\.resblocks\\.(\\d+)\\.(.+)");
    private static final String[][] TEXT_LAYER = {
            {"attn.out_proj.", "self_attn.out_proj."}, {"ln_1.", "layer_norm1."}, {"ln_2.", "layer_norm2."},
            {"mlp.c_fc.", "mlp.fc1."}, {"mlp.c_proj.", "mlp.fc2."}};
    private static final Set<String> TEXT_IGNORED = Set.of("text_projection", "logit_scale", "attn_mask");

    private static List<Mapping> textMappings(String key, String k, int textLayers) {
        Target t = Target.TEXT_ENCODER;
        if (k.equals("token_embedding.weight")) return List.of(Mapping.of(t, "text_model.embeddings.token_embedding.weight", key));
        if (k.equals("positional_embedding")) return List.of(Mapping.of(t, "text_model.embeddings.position_embedding.weight", key));
        if (k.startsWith("ln_final.")) return List.of(Mapping.of(t, "text_model.final_layer_norm." + after(k, "ln_final."), key));
        if (TEXT_IGNORED.contains(k) || k.startsWith("visual.")) return List.of();
        Matcher m = RESBLOCK.matcher(k);
        if (!m.matches()) return null;
        int layer = Integer.parseInt(m.group(1));
        if (layer >= textLayers) return List.of();   // SD 2.x uses the penultimate layer: block 23 is unused
        String p = "text_model.encoder.layers." + layer + ".";
        String rest = m.group(2);
        if (rest.equals("attn.in_proj_weight") || rest.equals("attn.in_proj_bias")) {
            String suffix = rest.endsWith("weight") ? "weight" : "bias";
            String[] qkv = {"q_proj", "k_proj", "v_proj"};
            List<Mapping> out = new ArrayList<>(3);
            for (int c = 0; c < 3; c++) out.add(new Mapping(t, p + "self_attn." + qkv[c] + "." + suffix, key, c, false));
            return Collections.unmodifiableList(out);
        }
        for (String[] r : TEXT_LAYER) if (rest.startsWith(r[0])) return List.of(Mapping.of(t, p + r[1] + after(rest, r[0]), key));
        return null;
    }

    private static String after(String s, String prefix) {
        return s.substring(prefix.length());
    }
}
