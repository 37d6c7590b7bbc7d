package io.cdiffset.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** diffusers Transformer2DModel, continuous input, linear or 1×1-conv projection, BasicTransformerBlocks. */
public final class Transformer2D extends Module {
    private final GroupNorm norm;
    private final boolean linearProjection;
    private final Linear projInL;
    private final Linear projOutL;
    private final Conv2d projInC;
    private final Conv2d projOutC;
    private final ModuleList<Block> blocks;

    public Transformer2D(long channels, int heads, long crossDim, int layers, boolean linearProjection, int groups) {
        long headDim = channels / heads;
        long inner = heads * headDim;
        this.linearProjection = linearProjection;
        norm = child("norm", new GroupNorm(groups, channels, 1e-6));
        if (linearProjection) {
            projInL = child("proj_in", new Linear(channels, inner));
            projInC = null;
        } else {
            projInC = child("proj_in", new Conv2d(channels, inner, 1, 1, 0));
            projInL = null;
        }
        blocks = child("transformer_blocks", new ModuleList<>());
        for (int i = 0; i < layers; i++) blocks.add(new Block(inner, heads, headDim, crossDim));
        if (linearProjection) {
            projOutL = child("proj_out", new Linear(inner, channels));
            projOutC = null;
        } else {
            projOutC = child("proj_out", new Conv2d(inner, channels, 1, 1, 0));
            projOutL = null;
        }
    }

    public Tensor forward(Tensor x, Tensor context) {
        long b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        Tensor t = norm.forward(x);
        if (linearProjection) {
            t = projInL.forward(t.permute(0, 2, 3, 1).reshape(b, h * w, c));
        } else {
            t = projInC.forward(t);
            t = t.permute(0, 2, 3, 1).reshape(b, h * w, t.size(1));
        }
        for (Block blk : blocks) t = blk.forward(t, context);
        if (linearProjection) {
            // contiguous, as diffusers makes it: left channels-last, the map sent every following convolution down
            // oneDNN's channels-last kernels, wrong for some shapes (issue #19)
            t = projOutL.forward(t).reshape(b, h, w, c).permute(0, 3, 1, 2).contiguous();
        } else {
            t = projOutC.forward(t.reshape(b, h, w, -1).permute(0, 3, 1, 2).contiguous());
        }
        return t.add(x);
    }

    /** BasicTransformerBlock: self-attention, cross-attention, GEGLU feed-forward, each pre-LayerNorm + residual. */
    static final class Block extends Module {
        private final LayerNorm norm1;
        private final Attention attn1;
        private final LayerNorm norm2;
        private final Attention attn2;
        private final LayerNorm norm3;
        private final Linear geglu;
        private final Linear ffOut;

        Block(long dim, int heads, long headDim, long crossDim) {
            norm1 = child("norm1", new LayerNorm(dim, 1e-5));
            attn1 = child("attn1", new Attention(dim, dim, heads, headDim, false, null));
            norm2 = child("norm2", new LayerNorm(dim, 1e-5));
            attn2 = child("attn2", new Attention(dim, crossDim, heads, headDim, false, null));
            norm3 = child("norm3", new LayerNorm(dim, 1e-5));
            Node ff = child("ff", new Node());
            Node net = ff.add("net", new Node());
            Node gegluNode = net.add("0", new Node());
            geglu = gegluNode.add("proj", new Linear(dim, dim * 8));
            ffOut = net.add("2", new Linear(dim * 4, dim));
        }

        Tensor forward(Tensor h, Tensor context) {
            Tensor n1 = norm1.forward(h);
            h = h.add(attn1.forward(n1, null));
            h = h.add(attn2.forward(norm2.forward(h), context));
            TensorVector parts = geglu.forward(norm3.forward(h)).chunk(2, -1);
            Tensor a = parts.get(0), g = parts.get(1);
            return h.add(ffOut.forward(a.mul(torch.gelu(g))));
        }
    }
}
