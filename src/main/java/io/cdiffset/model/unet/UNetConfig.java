package io.cdiffset.model.unet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.model.ConfigJson;

import java.util.Arrays;
import java.util.Set;

/** The UNet2DConditionModel configuration subset that SD 2.x / C-DiffSET use, with diffusers' defaults. */
public record UNetConfig(int inChannels, int outChannels, int[] blockOutChannels, int layersPerBlock,
                         String[] downBlockTypes, String midBlockType, String[] upBlockTypes, int[] headsPerLevel,
                         int crossAttentionDim, boolean useLinearProjection, int normNumGroups, double normEps,
                         boolean flipSinToCos, double freqShift, int transformerLayers, int sampleSize, ConfigJson raw) {

    private static final Set<String> DOWN = Set.of("CrossAttnDownBlock2D", "DownBlock2D");
    private static final Set<String> UP = Set.of("CrossAttnUpBlock2D", "UpBlock2D");

    public static UNetConfig from(ConfigJson c) {
        int[] boc = c.requireIntArray("block_out_channels");
        int n = boc.length;
        String[] down = c.stringArray("down_block_types",
                new String[]{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"});
        String[] up = c.stringArray("up_block_types",
                new String[]{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"});
        for (String t : down) if (!DOWN.contains(t)) throw c.bad("down_block_types", "contains unknown block type " + t + " (supported: " + DOWN + ")");
        for (String t : up) if (!UP.contains(t)) throw c.bad("up_block_types", "contains unknown block type " + t + " (supported: " + UP + ")");
        if (down.length != n || up.length != n) throw c.bad("block_out_channels", "has " + n + " levels but the block type lists do not");
        String mid = c.getString("mid_block_type", "UNetMidBlock2DCrossAttn");
        if (!mid.equals("UNetMidBlock2DCrossAttn")) throw c.bad("mid_block_type", "is " + mid + "; only UNetMidBlock2DCrossAttn is supported");
        // In SD 2.x configs "attention_head_dim" holds head COUNTS (diffusers #2011): heads = num_attention_heads or attention_head_dim.
        int[] heads = c.has("num_attention_heads") ? c.intList("num_attention_heads", n, null) : c.intList("attention_head_dim", n, fill(n, 8));
        for (String unsupported : new String[]{"class_embed_type", "addition_embed_type", "encoder_hid_dim", "time_cond_proj_dim", "num_class_embeds"}) {
            if (c.has(unsupported)) throw c.bad(unsupported, "is set; this feature is not supported by cdiffset");
        }
        if (c.getBool("only_cross_attention", false) || c.getBool("dual_cross_attention", false)) {
            throw c.bad("only_cross_attention", "/ dual_cross_attention are not supported");
        }
        if (!c.getString("resnet_time_scale_shift", "default").equals("default")) throw c.bad("resnet_time_scale_shift", "must be \"default\"");
        if (!c.getString("act_fn", "silu").equals("silu")) throw c.bad("act_fn", "must be \"silu\"");
        int tl = c.has("transformer_layers_per_block") && c.root().get("transformer_layers_per_block").isArray()
                ? c.intList("transformer_layers_per_block", n, null)[0] : c.getInt("transformer_layers_per_block", 1);
        return new UNetConfig(c.getInt("in_channels", 4), c.getInt("out_channels", 4), boc, c.getInt("layers_per_block", 2),
                down, mid, up, heads, c.getInt("cross_attention_dim", 1280), c.getBool("use_linear_projection", false),
                c.getInt("norm_num_groups", 32), c.getDouble("norm_eps", 1e-5), c.getBool("flip_sin_to_cos", true),
                c.getDouble("freq_shift", 0), tl, c.getInt("sample_size", 64), c);
    }

    /** The same config with other in/out channel counts (C-DiffSET surgery). */
    public UNetConfig withChannels(int in, int out) {
        ObjectNode o = raw.copy();
        o.put("in_channels", in);
        o.put("out_channels", out);
        return new UNetConfig(in, out, blockOutChannels, layersPerBlock, downBlockTypes, midBlockType, upBlockTypes,
                headsPerLevel, crossAttentionDim, useLinearProjection, normNumGroups, normEps, flipSinToCos, freqShift,
                transformerLayers, sampleSize, new ConfigJson(o, raw.source()));
    }

    public int levels() {
        return blockOutChannels.length;
    }

    private static int[] fill(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }
}
