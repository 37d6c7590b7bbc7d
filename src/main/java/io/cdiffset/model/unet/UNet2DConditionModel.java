package io.cdiffset.model.unet;

import io.cdiffset.engine.Scopes;
import io.cdiffset.engine.Tensors;
import io.cdiffset.nn.Conv2d;
import io.cdiffset.nn.GroupNorm;
import io.cdiffset.nn.Linear;
import io.cdiffset.nn.Module;
import io.cdiffset.nn.ModuleList;
import io.cdiffset.nn.Node;
import io.cdiffset.nn.ResnetBlock2D;
import io.cdiffset.nn.Transformer2D;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/** diffusers UNet2DConditionModel (SD 2.x block structure), parameter tree identical to the checkpoint keys. */
public final class UNet2DConditionModel extends Module {
    private UNetConfig config;
    private final Conv2d convIn;
    private final Linear timeLinear1;
    private final Linear timeLinear2;
    private final ModuleList<Level> downBlocks;
    private final Level midBlock;
    private final ModuleList<Level> upBlocks;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    public UNet2DConditionModel(UNetConfig c) {
        this.config = c;
        int[] boc = c.blockOutChannels();
        int n = boc.length;
        long timeDim = boc[0] * 4L;
        int g = c.normNumGroups();
        double eps = c.normEps();
        convIn = child("conv_in", new Conv2d(c.inChannels(), boc[0], 3, 1, 1));
        Node te = child("time_embedding", new Node());
        timeLinear1 = te.add("linear_1", new Linear(boc[0], timeDim));
        timeLinear2 = te.add("linear_2", new Linear(timeDim, timeDim));

        downBlocks = child("down_blocks", new ModuleList<>());
        int out = boc[0];
        for (int i = 0; i < n; i++) {
            int in = out;
            out = boc[i];
            boolean attn = c.downBlockTypes()[i].startsWith("CrossAttn");
            Level lvl = new Level();
            for (int j = 0; j < c.layersPerBlock(); j++) {
                lvl.resnets.add(new ResnetBlock2D(j == 0 ? in : out, out, timeDim, g, eps));
                if (attn) lvl.attentions.add(new Transformer2D(out, c.headsPerLevel()[i], c.crossAttentionDim(), c.transformerLayers(), c.useLinearProjection(), g));
            }
            if (i < n - 1) lvl.sampler = new Conv2d(out, out, 3, 2, 1);
            lvl.finish(attn, "downsamplers");
            downBlocks.add(lvl);
        }

        midBlock = child("mid_block", new Level());
        midBlock.resnets.add(new ResnetBlock2D(boc[n - 1], boc[n - 1], timeDim, g, eps));
        midBlock.attentions.add(new Transformer2D(boc[n - 1], c.headsPerLevel()[n - 1], c.crossAttentionDim(), c.transformerLayers(), c.useLinearProjection(), g));
        midBlock.resnets.add(new ResnetBlock2D(boc[n - 1], boc[n - 1], timeDim, g, eps));
        midBlock.finish(true, null);

        upBlocks = child("up_blocks", new ModuleList<>());
        int[] rev = new int[n];
        int[] revHeads = new int[n];
        for (int i = 0; i < n; i++) {
            rev[i] = boc[n - 1 - i];
            revHeads[i] = c.headsPerLevel()[n - 1 - i];
        }
        out = rev[0];
        for (int i = 0; i < n; i++) {
            int prev = out;
            out = rev[i];
            int in = rev[Math.min(i + 1, n - 1)];
            boolean attn = c.upBlockTypes()[i].startsWith("CrossAttn");
            Level lvl = new Level();
            int layers = c.layersPerBlock() + 1;
            for (int j = 0; j < layers; j++) {
                int skip = j == layers - 1 ? in : out;
                int rin = j == 0 ? prev : out;
                lvl.resnets.add(new ResnetBlock2D(rin + skip, out, timeDim, g, eps));
                if (attn) lvl.attentions.add(new Transformer2D(out, revHeads[i], c.crossAttentionDim(), c.transformerLayers(), c.useLinearProjection(), g));
            }
            if (i < n - 1) lvl.sampler = new Conv2d(out, out, 3, 1, 1);
            lvl.finish(attn, "upsamplers");
            upBlocks.add(lvl);
        }
        convNormOut = child("conv_norm_out", new GroupNorm(g, boc[0], eps));
        convOut = child("conv_out", new Conv2d(boc[0], c.outChannels(), 3, 1, 1));
    }

    public UNetConfig config() {
        return config;
    }

    public Conv2d convIn() {
        return convIn;
    }

    public Conv2d convOut() {
        return convOut;
    }

    /** Called by the C-DiffSET surgery after replacing conv_in / conv_out tensors. */
    public void setConfig(UNetConfig c) {
        this.config = c;
    }

    /** Frequency tables of {@link #timestepEmbedding}, per (half dim, shift); never attached to a PointerScope. */
    private static final Map<String, Tensor> FREQS = new ConcurrentHashMap<>();

    /** exp(-ln(10000) · i / (half − shift)), i < half: computed once by libtorch (same ops, same bits), then reused. */
    static Tensor frequencies(int half, double shift) {
        return FREQS.computeIfAbsent(half + "/" + shift, k -> {
            try (InferenceMode off = new InferenceMode(false)) {
                Tensor exponent = torch.arange(new Scalar(0), new Scalar(half), Tensors.options(ScalarType.Float))
                        .mul(new Scalar(-Math.log(10000.0))).div(new Scalar(half - shift));
                Tensor freqs = exponent.exp();
                freqs.retainReference(); // outlives any enclosing PointerScope
                return freqs;
            }
        });
    }

    /** Sinusoidal timestep embedding exactly as diffusers get_timestep_embedding (float32, this op order). */
    public static Tensor timestepEmbedding(Tensor timesteps, int dim, boolean flipSinToCos, double shift) {
        int half = dim / 2;
        Tensor freqs = frequencies(half, shift);
        Tensor args = timesteps.to(ScalarType.Float).unsqueeze(1).mul(freqs.unsqueeze(0));
        Tensor sin = args.sin(), cos = args.cos();
        return flipSinToCos ? torch.cat(new TensorVector(cos, sin), 1) : torch.cat(new TensorVector(sin, cos), 1);
    }

    /**
     * @param sample    [B, in, h, w]
     * @param timesteps [B] (int64 or float) — one timestep per sample
     * @param context   [B, L, cross_attention_dim]
     */
    public Tensor forward(Tensor sample, Tensor timesteps, Tensor context) {
        return forward(sample, timesteps, context, null);
    }

    /** As {@link #forward(Tensor, Tensor, Tensor)}; {@code debug} (may be null) receives named intermediates. */
    public Tensor forward(Tensor sample, Tensor timesteps, Tensor context, BiConsumer<String, Tensor> debug) {
        long b = sample.size(0);
        Tensor t = timesteps.dim() == 0 ? timesteps.expand(b) : timesteps;
        Tensor tProj = timestepEmbedding(t, config.blockOutChannels()[0], config.flipSinToCos(), config.freqShift());
        tProj = tProj.to(Tensors.dtype(sample));
        Tensor emb = timeLinear2.forward(torch.silu(timeLinear1.forward(tProj)));
        Tensor embAct = torch.silu(emb);
        if (debug != null) {
            debug.accept("time_proj", tProj);
            debug.accept("time_embedding", emb);
        }
        Tensor h = convIn.forward(sample);
        if (debug != null) debug.accept("conv_in", h);
        Deque<Tensor> skips = new ArrayDeque<>();
        skips.push(h);
        for (int i = 0; i < downBlocks.size(); i++) {
            Level lvl = downBlocks.get(i);
            for (int j = 0; j < lvl.resnets.size(); j++) {
                h = resnet(lvl.resnets.get(j), h, null, embAct);
                if (lvl.hasAttention) h = attend(lvl.attentions.get(j), h, context);
                skips.push(h);
            }
            if (lvl.sampler != null) {
                h = downsample(lvl.sampler, h);
                skips.push(h);
            }
            if (debug != null) debug.accept("down_blocks." + i, h);
        }
        h = resnet(midBlock.resnets.get(0), h, null, embAct);
        h = attend(midBlock.attentions.get(0), h, context);
        h = resnet(midBlock.resnets.get(1), h, null, embAct);
        if (debug != null) debug.accept("mid_block", h);
        for (int i = 0; i < upBlocks.size(); i++) {
            Level lvl = upBlocks.get(i);
            for (int j = 0; j < lvl.resnets.size(); j++) {
                h = resnet(lvl.resnets.get(j), h, skips.pop(), embAct);
                if (lvl.hasAttention) h = attend(lvl.attentions.get(j), h, context);
            }
            if (lvl.sampler != null) h = upsample(lvl.sampler, h, skips.peek());
            if (debug != null) debug.accept("up_blocks." + i, h);
        }
        return output(h);
    }

    // Each block below runs in its own PointerScope (Scopes.scoped) so that its intermediates are released as soon as
    // it returns instead of when the caller's scope closes; the ops, and so the numbers, are the same.

    /** A resnet block; on the way up, its input is {@code h} concatenated with the skip connection (inside the scope). */
    private static Tensor resnet(ResnetBlock2D r, Tensor h, Tensor skip, Tensor emb) {
        return Scopes.scoped(() -> r.forward(skip == null ? h : torch.cat(new TensorVector(h, skip), 1), emb));
    }

    private static Tensor attend(Transformer2D a, Tensor h, Tensor context) {
        return Scopes.scoped(() -> a.forward(h, context));
    }

    private static Tensor downsample(Conv2d conv, Tensor h) {
        return Scopes.scoped(() -> conv.forward(h));
    }

    /** Nearest upsampling to the size of the next skip connection, then the upsampler's convolution. */
    private static Tensor upsample(Conv2d conv, Tensor h, Tensor nextSkip) {
        return Scopes.scoped(() -> conv.forward(Tensors.upsampleNearest(h, nextSkip.size(2), nextSkip.size(3))));
    }

    private Tensor output(Tensor h) {
        return Scopes.scoped(() -> convOut.forward(convNormOut.forwardSilu(h)));
    }

    /** One down / mid / up block: resnets, optional attentions, optional down- or upsampler. */
    static final class Level extends Module {
        final ModuleList<ResnetBlock2D> resnets = new ModuleList<>();
        final ModuleList<Transformer2D> attentions = new ModuleList<>();
        Conv2d sampler;
        boolean hasAttention;

        /** Registers children in diffusers' state-dict order: attentions, resnets, samplers. */
        void finish(boolean attention, String samplerName) {
            hasAttention = attention;
            if (attention) child("attentions", attentions);
            child("resnets", resnets);
            if (sampler != null) {
                ModuleList<Node> list = child(samplerName, new ModuleList<>());
                list.add(new Node()).add("conv", sampler);
            }
        }
    }
}
