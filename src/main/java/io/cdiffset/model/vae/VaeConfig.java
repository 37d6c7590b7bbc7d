package io.cdiffset.model.vae;

import io.cdiffset.model.ConfigJson;

/** AutoencoderKL configuration (SD layout: DownEncoderBlock2D / UpDecoderBlock2D, mid-block attention). */
public record VaeConfig(int inChannels, int outChannels, int latentChannels, int[] blockOutChannels, int layersPerBlock,
                        int normNumGroups, double scalingFactor, boolean useQuantConv, boolean usePostQuantConv,
                        boolean midBlockAttention, ConfigJson raw) {

    public static VaeConfig from(ConfigJson c) {
        int[] boc = c.requireIntArray("block_out_channels");
        for (String t : c.stringArray("down_block_types", new String[0])) {
            if (!t.equals("DownEncoderBlock2D")) throw c.bad("down_block_types", "contains unknown block type " + t + " (supported: DownEncoderBlock2D)");
        }
        for (String t : c.stringArray("up_block_types", new String[0])) {
            if (!t.equals("UpDecoderBlock2D")) throw c.bad("up_block_types", "contains unknown block type " + t + " (supported: UpDecoderBlock2D)");
        }
        if (c.has("shift_factor")) throw c.bad("shift_factor", "is set; only SD-style VAEs without a latent shift are supported");
        return new VaeConfig(c.getInt("in_channels", 3), c.getInt("out_channels", 3), c.getInt("latent_channels", 4), boc,
                c.getInt("layers_per_block", 1), c.getInt("norm_num_groups", 32), c.getDouble("scaling_factor", 0.18215),
                c.getBool("use_quant_conv", true), c.getBool("use_post_quant_conv", true),
                c.getBool("mid_block_add_attention", true), c);
    }

    /** Spatial down-sampling factor between image and latent. */
    public int factor() {
        return 1 << (blockOutChannels.length - 1);
    }
}
