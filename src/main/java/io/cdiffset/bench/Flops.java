package io.cdiffset.bench;

import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.VaeConfig;

/**
 * Analytic work per pass, following the PyTorch flop-counter convention: 2 FLOPs per multiply-add of every
 * convolution and linear / matmul; biases, norms, activations, softmax, resampling and element-wise ops count zero.
 * The two attention matmuls (q·kᵀ and p·v, 2·N·L·d each per head) are kept apart in {@link Count#attentionFlops()}:
 * PyTorch's flop counter has no formula for the CPU flash-attention kernel, so the reference figures (169 / 675
 * GFLOP for the UNet, 891 / 3,562 for the VAE) are conv + linear only, which {@link Count#flops()} reproduces. The walk mirrors
 * {@link io.cdiffset.model.unet.UNet2DConditionModel} and {@link io.cdiffset.model.vae.AutoencoderKL} layer by
 * layer and also counts parameters, which the bench compares with the real module as a check of the walk.
 */
public final class Flops {
    /** FLOPs and parameter count of one pass. */
    public static final class Count {
        double flops;
        double attention;
        long params;

        /** Convolution and linear work (the reference convention). */
        public double flops() {
            return flops;
        }

        public double gflop() {
            return flops / 1e9;
        }

        /** The attention matmuls q·kᵀ and p·v, not in {@link #flops()}. */
        public double attentionFlops() {
            return attention;
        }

        /** Convolution, linear and attention matmuls together. */
        public double totalGflop() {
            return (flops + attention) / 1e9;
        }

        public long params() {
            return params;
        }

        void conv(long batch, long outH, long outW, long in, long out, long k, boolean bias) {
            flops += 2.0 * batch * outH * outW * out * in * k * k;
            params += out * in * k * k + (bias ? out : 0);
        }

        void linear(long rows, long in, long out, boolean bias) {
            flops += 2.0 * rows * in * out;
            params += in * out + (bias ? out : 0);
        }

        void norm(long channels) {
            params += 2 * channels;
        }

        /** Scaled dot-product attention: q·kᵀ and p·v over all heads ({@code inner} = heads × head dim). */
        void sdpa(long batch, long queries, long keys, long inner) {
            attention += 2 * (2.0 * batch * queries * keys * inner);
        }
    }

    private Flops() {}

    /**
     * One UNet forward.
     *
     * @param h       latent height
     * @param w       latent width
     * @param context number of context tokens (C-DiffSET: 6)
     */
    public static Count unet(UNetConfig c, long batch, long h, long w, long context) {
        Count n = new Count();
        int[] boc = c.blockOutChannels();
        int levels = boc.length;
        long timeDim = boc[0] * 4L;
        long cross = c.crossAttentionDim();
        n.linear(batch, boc[0], timeDim, true);
        n.linear(batch, timeDim, timeDim, true);
        n.conv(batch, h, w, c.inChannels(), boc[0], 3, true);
        long[] hs = new long[levels + 1];
        long[] ws = new long[levels + 1];
        hs[0] = h;
        ws[0] = w;
        for (int i = 0; i < levels; i++) {
            hs[i + 1] = (hs[i] + 2 - 3) / 2 + 1; // conv k3 s2 p1
            ws[i + 1] = (ws[i] + 2 - 3) / 2 + 1;
        }
        // skip channel stack, as the forward pushes it
        java.util.ArrayDeque<Long> skips = new java.util.ArrayDeque<>();
        skips.push((long) boc[0]);
        long ch = boc[0];
        for (int i = 0; i < levels; i++) {
            long out = boc[i];
            boolean attn = c.downBlockTypes()[i].startsWith("CrossAttn");
            for (int j = 0; j < c.layersPerBlock(); j++) {
                resnet(n, batch, hs[i], ws[i], ch, out, timeDim);
                ch = out;
                if (attn) transformer(n, batch, hs[i] * ws[i], ch, cross, context, c.transformerLayers());
                skips.push(ch);
            }
            if (i < levels - 1) {
                n.conv(batch, hs[i + 1], ws[i + 1], ch, ch, 3, true);
                skips.push(ch);
            }
        }
        long hb = hs[levels - 1], wb = ws[levels - 1];
        resnet(n, batch, hb, wb, ch, ch, timeDim);
        transformer(n, batch, hb * wb, ch, cross, context, c.transformerLayers());
        resnet(n, batch, hb, wb, ch, ch, timeDim);
        for (int i = 0; i < levels; i++) {
            int lvl = levels - 1 - i; // resolution index
            long out = boc[levels - 1 - i];
            boolean attn = c.upBlockTypes()[i].startsWith("CrossAttn");
            for (int j = 0; j <= c.layersPerBlock(); j++) {
                long skip = skips.pop();
                resnet(n, batch, hs[lvl], ws[lvl], ch + skip, out, timeDim);
                ch = out;
                if (attn) transformer(n, batch, hs[lvl] * ws[lvl], ch, cross, context, c.transformerLayers());
            }
            if (i < levels - 1) n.conv(batch, hs[lvl - 1], ws[lvl - 1], ch, ch, 3, true); // upsample, then conv
        }
        n.norm(ch);
        n.conv(batch, h, w, ch, c.outChannels(), 3, true);
        return n;
    }

    /** ResnetBlock2D: two 3×3 convs, optional time projection and 1×1 shortcut. */
    static void resnet(Count n, long batch, long h, long w, long in, long out, long temb) {
        n.norm(in);
        n.conv(batch, h, w, in, out, 3, true);
        if (temb > 0) n.linear(batch, temb, out, true);
        n.norm(out);
        n.conv(batch, h, w, out, out, 3, true);
        if (in != out) n.conv(batch, h, w, in, out, 1, true);
    }

    /** Transformer2DModel with linear (or 1×1 conv, same work) projections and BasicTransformerBlocks. */
    static void transformer(Count n, long batch, long tokens, long ch, long cross, long context, int layers) {
        long rows = batch * tokens;
        n.norm(ch);
        n.linear(rows, ch, ch, true);
        for (int l = 0; l < layers; l++) {
            n.norm(ch);
            n.linear(rows, ch, ch, false); // q
            n.linear(rows, ch, ch, false); // k
            n.linear(rows, ch, ch, false); // v
            n.sdpa(batch, tokens, tokens, ch);
            n.linear(rows, ch, ch, true); // out
            n.norm(ch);
            n.linear(rows, ch, ch, false); // q
            n.linear(batch * context, cross, ch, false); // k
            n.linear(batch * context, cross, ch, false); // v
            n.sdpa(batch, tokens, context, ch);
            n.linear(rows, ch, ch, true);
            n.norm(ch);
            n.linear(rows, ch, ch * 8, true); // GEGLU projection
            n.linear(rows, ch * 4, ch, true);
        }
        n.linear(rows, ch, ch, true);
    }

    /** VAE encoder + quant_conv on an image of h × w (posterior moments). */
    public static Count vaeEncode(VaeConfig c, long batch, long h, long w) {
        Count n = new Count();
        encoder(n, c, batch, h, w);
        return n;
    }

    /** post_quant_conv + decoder from a latent of h × w. */
    public static Count vaeDecode(VaeConfig c, long batch, long h, long w) {
        Count n = new Count();
        decoder(n, c, batch, h, w);
        return n;
    }

    /** The whole AutoencoderKL (parameters of both halves); flops of encode at h × w plus decode of its latent. */
    public static Count vae(VaeConfig c, long batch, long h, long w) {
        Count n = new Count();
        long[] lat = encoder(n, c, batch, h, w);
        decoder(n, c, batch, lat[0], lat[1]);
        return n;
    }

    private static long[] encoder(Count n, VaeConfig c, long batch, long h, long w) {
        int[] boc = c.blockOutChannels();
        n.conv(batch, h, w, c.inChannels(), boc[0], 3, true);
        long ch = boc[0];
        for (int i = 0; i < boc.length; i++) {
            for (int j = 0; j < c.layersPerBlock(); j++) {
                resnet(n, batch, h, w, ch, boc[i], 0);
                ch = boc[i];
            }
            if (i < boc.length - 1) {
                h = (h + 1 - 3) / 2 + 1; // pad (0,1,0,1), k3 s2 p0
                w = (w + 1 - 3) / 2 + 1;
                n.conv(batch, h, w, ch, ch, 3, true);
            }
        }
        vaeMid(n, c, batch, h, w, ch);
        n.norm(ch);
        n.conv(batch, h, w, ch, 2L * c.latentChannels(), 3, true);
        if (c.useQuantConv()) n.conv(batch, h, w, 2L * c.latentChannels(), 2L * c.latentChannels(), 1, true);
        return new long[]{h, w};
    }

    private static void decoder(Count n, VaeConfig c, long batch, long h, long w) {
        int[] boc = c.blockOutChannels();
        int levels = boc.length;
        long l = c.latentChannels();
        if (c.usePostQuantConv()) n.conv(batch, h, w, l, l, 1, true);
        long ch = boc[levels - 1];
        n.conv(batch, h, w, l, ch, 3, true);
        vaeMid(n, c, batch, h, w, ch);
        for (int i = 0; i < levels; i++) {
            long out = boc[levels - 1 - i];
            for (int j = 0; j <= c.layersPerBlock(); j++) {
                resnet(n, batch, h, w, ch, out, 0);
                ch = out;
            }
            if (i < levels - 1) {
                h *= 2;
                w *= 2;
                n.conv(batch, h, w, ch, ch, 3, true);
            }
        }
        n.norm(ch);
        n.conv(batch, h, w, ch, c.outChannels(), 3, true);
    }

    private static void vaeMid(Count n, VaeConfig c, long batch, long h, long w, long ch) {
        resnet(n, batch, h, w, ch, ch, 0);
        if (c.midBlockAttention()) {
            long rows = batch * h * w;
            n.norm(ch);
            n.linear(rows, ch, ch, true);
            n.linear(rows, ch, ch, true);
            n.linear(rows, ch, ch, true);
            n.sdpa(batch, h * w, h * w, ch);
            n.linear(rows, ch, ch, true);
        }
        resnet(n, batch, h, w, ch, ch, 0);
    }

    /** A square matrix product n×n·n×n. */
    public static double matmul(long size) {
        return 2.0 * size * size * size;
    }
}
