package io.cdiffset.model.vae;

import io.cdiffset.engine.Scopes;
import io.cdiffset.engine.Tensors;
import io.cdiffset.nn.Attention;
import io.cdiffset.nn.Conv2d;
import io.cdiffset.nn.GroupNorm;
import io.cdiffset.nn.Module;
import io.cdiffset.nn.ModuleList;
import io.cdiffset.nn.Node;
import io.cdiffset.nn.ResnetBlock2D;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** diffusers AutoencoderKL with SD's structure. Latent convention: UNet latent = posterior mean × scaling factor. */
public final class AutoencoderKL extends Module {
    static final double EPS = 1e-6;
    private final VaeConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;

    public AutoencoderKL(VaeConfig c) {
        this.config = c;
        encoder = child("encoder", new Encoder(c));
        decoder = child("decoder", new Decoder(c));
        int l = c.latentChannels();
        quantConv = c.useQuantConv() ? child("quant_conv", new Conv2d(2L * l, 2L * l, 1, 1, 0)) : null;
        postQuantConv = c.usePostQuantConv() ? child("post_quant_conv", new Conv2d(l, l, 1, 1, 0)) : null;
    }

    public VaeConfig config() {
        return config;
    }

    /** quant_conv output: channels [0, L) are the posterior mean, [L, 2L) the raw log-variance. */
    public Tensor moments(Tensor image) {
        Tensor h = encoder.forward(image);
        return quantConv != null ? quantConv.forward(h) : h;
    }

    public Tensor posteriorMean(Tensor image) {
        return moments(image).narrow(1, 0, config.latentChannels());
    }

    public Tensor posteriorLogvar(Tensor image) {
        return Tensors.clamp(moments(image).narrow(1, config.latentChannels(), config.latentChannels()), -30, 20);
    }

    /** Image in [-1,1] → UNet-space latent (posterior mean × scaling factor), as C-DiffSET does. */
    public Tensor encodeLatent(Tensor image) {
        return posteriorMean(image).mul(new Scalar(config.scalingFactor()));
    }

    /** Raw decoder on a VAE-space latent (no scaling). */
    public Tensor decode(Tensor z) {
        return decoder.forward(postQuantConv != null ? postQuantConv.forward(z) : z);
    }

    /** UNet-space latent → image in about [-1,1]. */
    public Tensor decodeLatent(Tensor unetLatent) {
        return decode(unetLatent.div(new Scalar(config.scalingFactor())));
    }

    private static Level midBlock(int ch, int groups, boolean attention) {
        Level mid = new Level();
        mid.resnets.add(new ResnetBlock2D(ch, ch, 0, groups, EPS));
        if (attention) mid.attentions.add(new Attention(ch, ch, 1, ch, true, new GroupNorm(groups, ch, EPS)));
        mid.resnets.add(new ResnetBlock2D(ch, ch, 0, groups, EPS));
        mid.finish(attention ? "attentions" : null, null);
        return mid;
    }

    /** The mid block; {@code x} stays the caller's to release. */
    static Tensor midForward(Level mid, Tensor x) {
        Tensor h = resnet(mid.resnets.get(0), x);
        if (mid.attentions.size() > 0) h = Scopes.then(h, in -> Scopes.scoped(() -> mid.attentions.get(0).forwardImage(in)));
        return Scopes.then(h, in -> resnet(mid.resnets.get(1), in));
    }

    /** One resnet in its own PointerScope: its intermediates are released when it returns (same ops, same numbers). */
    static Tensor resnet(ResnetBlock2D r, Tensor x) {
        return Scopes.scoped(() -> r.forward(x, null));
    }

    static final class Encoder extends Module {
        private final Conv2d convIn;
        private final ModuleList<Level> down;
        private final Level mid;
        private final GroupNorm normOut;
        private final Conv2d convOut;

        Encoder(VaeConfig c) {
            int[] boc = c.blockOutChannels();
            int g = c.normNumGroups();
            convIn = child("conv_in", new Conv2d(c.inChannels(), boc[0], 3, 1, 1));
            down = child("down_blocks", new ModuleList<>());
            int out = boc[0];
            for (int i = 0; i < boc.length; i++) {
                int in = out;
                out = boc[i];
                Level lvl = new Level();
                for (int j = 0; j < c.layersPerBlock(); j++) lvl.resnets.add(new ResnetBlock2D(j == 0 ? in : out, out, 0, g, EPS));
                if (i < boc.length - 1) lvl.sampler = new Conv2d(out, out, 3, 2, 0);
                lvl.finish(null, "downsamplers");
                down.add(lvl);
            }
            mid = child("mid_block", midBlock(boc[boc.length - 1], g, c.midBlockAttention()));
            normOut = child("conv_norm_out", new GroupNorm(g, boc[boc.length - 1], EPS));
            convOut = child("conv_out", new Conv2d(boc[boc.length - 1], 2L * c.latentChannels(), 3, 1, 1));
        }

        /** Every stage's input is released as soon as its output exists (Scopes.then): at 512² they are 64-270 MB each. */
        Tensor forward(Tensor x) {
            Tensor h = Scopes.scoped(() -> convIn.forward(x));
            for (Level lvl : down) {
                for (ResnetBlock2D r : lvl.resnets) h = Scopes.then(h, in -> resnet(r, in));
                if (lvl.sampler != null) {
                    h = Scopes.then(h, in -> Scopes.scoped(() -> lvl.sampler.forward(torch.constant_pad_nd(in, 0, 1, 0, 1))));
                }
            }
            h = Scopes.then(h, in -> midForward(mid, in));
            return Scopes.then(h, in -> Scopes.scoped(() -> convOut.forward(normOut.forwardSilu(in))));
        }
    }

    static final class Decoder extends Module {
        private final Conv2d convIn;
        private final Level mid;
        private final ModuleList<Level> up;
        private final GroupNorm normOut;
        private final Conv2d convOut;

        Decoder(VaeConfig c) {
            int[] boc = c.blockOutChannels();
            int n = boc.length;
            int g = c.normNumGroups();
            convIn = child("conv_in", new Conv2d(c.latentChannels(), boc[n - 1], 3, 1, 1));
            // diffusers registers up_blocks before mid_block in the decoder
            up = child("up_blocks", new ModuleList<>());
            int out = boc[n - 1];
            for (int i = 0; i < n; i++) {
                int prev = out;
                out = boc[n - 1 - i];
                Level lvl = new Level();
                for (int j = 0; j <= c.layersPerBlock(); j++) lvl.resnets.add(new ResnetBlock2D(j == 0 ? prev : out, out, 0, g, EPS));
                if (i < n - 1) lvl.sampler = new Conv2d(out, out, 3, 1, 1);
                lvl.finish(null, "upsamplers");
                up.add(lvl);
            }
            mid = child("mid_block", midBlock(boc[n - 1], g, c.midBlockAttention()));
            normOut = child("conv_norm_out", new GroupNorm(g, boc[0], EPS));
            convOut = child("conv_out", new Conv2d(boc[0], c.outChannels(), 3, 1, 1));
        }

        /** As the encoder, each stage's input is released once its output exists. */
        Tensor forward(Tensor z) {
            Tensor h = Scopes.scoped(() -> convIn.forward(z));
            h = Scopes.then(h, in -> midForward(mid, in));
            for (Level lvl : up) {
                for (ResnetBlock2D r : lvl.resnets) h = Scopes.then(h, in -> resnet(r, in));
                if (lvl.sampler != null) {
                    h = Scopes.then(h, in -> Scopes.scoped(() -> lvl.sampler.forward(Tensors.upsampleNearest(in, in.size(2) * 2, in.size(3) * 2))));
                }
            }
            return Scopes.then(h, in -> Scopes.scoped(() -> convOut.forward(normOut.forwardSilu(in))));
        }
    }

    /** A block: resnets, optional attentions, optional sampler conv (named {@code <samplers>.0.conv}). */
    static final class Level extends Module {
        final ModuleList<ResnetBlock2D> resnets = new ModuleList<>();
        final ModuleList<Attention> attentions = new ModuleList<>();
        Conv2d sampler;

        void finish(String attentionsName, String samplerName) {
            if (attentionsName != null) child(attentionsName, attentions);
            child("resnets", resnets);
            if (sampler != null) {
                ModuleList<Node> list = child(samplerName, new ModuleList<>());
                list.add(new Node()).add("conv", sampler);
            }
        }
    }
}
