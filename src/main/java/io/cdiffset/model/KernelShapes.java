package io.cdiffset.model;

import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.VaeConfig;
import io.cdiffset.nn.KernelOp;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Every convolution and attention shape a UNet or VAE runs for a given latent size, derived from its config the way
 * the model classes build and run their layers (the kernel sweep of {@code cdiffset doctor} and its test run them).
 */
public final class KernelShapes {
    private KernelShapes() {}

    /** Latent sizes of the quick sweep ({@code cdiffset doctor}, and once per CPU before a model runs). */
    public static final long[][] QUICK_LATENTS = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}, {9, 9},
            {3, 5}, {5, 3}, {11, 6}, {16, 16}, {24, 40}};

    /** Latent sizes of the test suite's sweep: every square from 1 to 16, odd, even and non-square ones up to 64. */
    public static final long[][] FULL_LATENTS = fullLatents();

    private static long[][] fullLatents() {
        java.util.List<long[]> l = new java.util.ArrayList<>();
        for (long n = 1; n <= 16; n++) l.add(new long[]{n, n});
        for (long n : new long[]{24, 31, 32, 33, 47, 48, 63, 64}) l.add(new long[]{n, n});
        for (long[] hw : new long[][]{{24, 40}, {40, 24}, {1, 64}, {64, 1}, {17, 33}, {63, 40}, {3, 5}, {5, 3}, {11, 6}}) l.add(hw);
        return l.toArray(new long[0][]);
    }

    /** The UNet's ops at each latent size, with 6 and 77 context tokens, batch 1. */
    public static Set<KernelOp> unet(UNetConfig c, long[][] latents) {
        Set<KernelOp> ops = new LinkedHashSet<>();
        for (long[] hw : latents) {
            ops.addAll(unet(c, 1, hw[0], hw[1], 6));
            ops.addAll(unet(c, 1, hw[0], hw[1], 77));
        }
        return ops;
    }

    /** The VAE's ops (encoder and decoder) at each latent size, batch 1. */
    public static Set<KernelOp> vae(VaeConfig c, long[][] latents) {
        Set<KernelOp> ops = new LinkedHashSet<>();
        for (long[] hw : latents) ops.addAll(vae(c, 1, hw[0], hw[1]));
        return ops;
    }

    /** The latents of {@code all} whose sides are at most {@code max}. */
    public static long[][] upTo(long[][] all, long max) {
        return java.util.Arrays.stream(all).filter(hw -> hw[0] <= max && hw[1] <= max).toArray(long[][]::new);
    }

    /** The UNet's ops for a batch of [batch, in, h, w] latents and {@code tokens} context tokens. */
    public static Set<KernelOp> unet(UNetConfig c, long batch, long h, long w, long tokens) {
        Set<KernelOp> ops = new LinkedHashSet<>();
        int[] boc = c.blockOutChannels();
        int n = boc.length;
        long[][] size = new long[n][];
        size[0] = new long[]{h, w};
        for (int i = 1; i < n; i++) size[i] = new long[]{(size[i - 1][0] + 1) / 2, (size[i - 1][1] + 1) / 2};
        ops.add(conv3(c.inChannels(), boc[0], 1, batch, size[0]));
        int out = boc[0];
        for (int i = 0; i < n; i++) {
            int in = out;
            out = boc[i];
            boolean attn = c.downBlockTypes()[i].startsWith("CrossAttn");
            for (int j = 0; j < c.layersPerBlock(); j++) resnet(ops, j == 0 ? in : out, out, batch, size[i]);
            if (attn) transformer(ops, c, out, c.headsPerLevel()[i], batch, size[i], tokens);
            if (i < n - 1) ops.add(conv3(out, out, 2, batch, size[i]));
        }
        resnet(ops, boc[n - 1], boc[n - 1], batch, size[n - 1]);
        transformer(ops, c, boc[n - 1], c.headsPerLevel()[n - 1], batch, size[n - 1], tokens);
        out = boc[n - 1];
        for (int i = 0; i < n; i++) {
            int prev = out;
            out = boc[n - 1 - i];
            int in = boc[n - 1 - Math.min(i + 1, n - 1)];
            long[] s = size[n - 1 - i];
            boolean attn = c.upBlockTypes()[i].startsWith("CrossAttn");
            int layers = c.layersPerBlock() + 1;
            for (int j = 0; j < layers; j++) {
                int skip = j == layers - 1 ? in : out;
                resnet(ops, (j == 0 ? prev : out) + skip, out, batch, s);
            }
            if (attn) transformer(ops, c, out, c.headsPerLevel()[n - 1 - i], batch, s, tokens);
            if (i < n - 1) ops.add(conv3(out, out, 1, batch, size[n - 2 - i]));
        }
        ops.add(conv3(boc[0], c.outChannels(), 1, batch, size[0]));
        return ops;
    }

    /** The VAE's ops for encoding [batch, in, h·f, w·f] images and decoding [batch, latent, h, w] latents. */
    public static Set<KernelOp> vae(VaeConfig c, long batch, long h, long w) {
        Set<KernelOp> ops = new LinkedHashSet<>();
        int[] boc = c.blockOutChannels();
        int n = boc.length;
        long[] s = {h * c.factor(), w * c.factor()};
        ops.add(conv3(c.inChannels(), boc[0], 1, batch, s));
        int out = boc[0];
        for (int i = 0; i < n; i++) {
            int in = out;
            out = boc[i];
            for (int j = 0; j < c.layersPerBlock(); j++) resnet(ops, j == 0 ? in : out, out, batch, s);
            if (i < n - 1) { // diffusers pads (0, 1, 0, 1), then a 3×3 stride-2 convolution without padding
                ops.add(new KernelOp.Conv(out, out, 3, 2, 0, batch, s[0] + 1, s[1] + 1));
                s = new long[]{s[0] / 2, s[1] / 2};
            }
        }
        vaeMid(ops, c, boc[n - 1], batch, s);
        ops.add(conv3(boc[n - 1], 2L * c.latentChannels(), 1, batch, s));
        if (c.useQuantConv()) ops.add(conv1(2L * c.latentChannels(), 2L * c.latentChannels(), batch, s));
        long[] z = {h, w};
        if (c.usePostQuantConv()) ops.add(conv1(c.latentChannels(), c.latentChannels(), batch, z));
        ops.add(conv3(c.latentChannels(), boc[n - 1], 1, batch, z));
        vaeMid(ops, c, boc[n - 1], batch, z);
        out = boc[n - 1];
        s = z;
        for (int i = 0; i < n; i++) {
            int prev = out;
            out = boc[n - 1 - i];
            for (int j = 0; j <= c.layersPerBlock(); j++) resnet(ops, j == 0 ? prev : out, out, batch, s);
            if (i < n - 1) {
                s = new long[]{s[0] * 2, s[1] * 2};
                ops.add(conv3(out, out, 1, batch, s));
            }
        }
        ops.add(conv3(boc[0], c.outChannels(), 1, batch, s));
        return ops;
    }

    private static void vaeMid(Set<KernelOp> ops, VaeConfig c, int ch, long batch, long[] s) {
        resnet(ops, ch, ch, batch, s);
        if (c.midBlockAttention()) ops.add(new KernelOp.Attn(batch, 1, s[0] * s[1], s[0] * s[1], ch));
    }

    private static KernelOp.Conv conv3(long in, long out, long stride, long batch, long[] s) {
        return new KernelOp.Conv(in, out, 3, stride, 1, batch, s[0], s[1]);
    }

    private static KernelOp.Conv conv1(long in, long out, long batch, long[] s) {
        return new KernelOp.Conv(in, out, 1, 1, 0, batch, s[0], s[1]);
    }

    private static void resnet(Set<KernelOp> ops, long in, long out, long batch, long[] s) {
        ops.add(conv3(in, out, 1, batch, s));
        ops.add(conv3(out, out, 1, batch, s));
        if (in != out) ops.add(conv1(in, out, batch, s));
    }

    /** Self-attention over the map's tokens and cross-attention to the context (1×1-conv projections if not linear). */
    private static void transformer(Set<KernelOp> ops, UNetConfig c, long ch, long heads, long batch, long[] s, long tokens) {
        long nTok = s[0] * s[1];
        if (!c.useLinearProjection()) ops.add(conv1(ch, ch, batch, s));
        ops.add(new KernelOp.Attn(batch, heads, nTok, nTok, ch / heads));
        ops.add(new KernelOp.Attn(batch, heads, nTok, tokens, ch / heads));
    }
}
