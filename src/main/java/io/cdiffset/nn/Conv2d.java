package io.cdiffset.nn;

import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.MemoryFormat;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** 2-D convolution with square kernel, weight [out, in, k, k], symmetric zero padding. */
public final class Conv2d extends Module {
    public final long kernel;
    public final long stride;
    public final long padding;
    private Tensor weight;
    private Tensor bias;

    public Conv2d(long in, long out, long kernel, long stride, long padding, boolean bias) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        long fanIn = in * kernel * kernel;
        this.weight = param("weight", uniformInit(fanIn, out, in, kernel, kernel));
        this.bias = bias ? param("bias", uniformInit(fanIn, out)) : null;
    }

    public Conv2d(long in, long out, long kernel, long stride, long padding) {
        this(in, out, kernel, stride, padding, true);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    public long inChannels() {
        return weight.size(1);
    }

    public long outChannels() {
        return weight.size(0);
    }

    /** Model surgery: swaps in tensors of a new shape (e.g. C-DiffSET's 4→8 conv_in). */
    public void replace(Tensor newWeight, Tensor newBias) {
        replaceParam("weight", newWeight);
        weight = namedParameters().get("weight");
        if (bias != null) {
            replaceParam("bias", newBias);
            bias = namedParameters().get("bias");
        }
    }

    /**
     * Two cases run with fp32 arithmetic on bf16-rounded inputs and weights (what autocast would feed the kernel):
     * <ul>
     * <li>convolutions with fewer than 16 output channels (the UNet's and VAE's conv_out, quant_conv) when the input
     * or weights are bf16 or autocast is on: this libtorch build's oneDNN bf16 kernels got them wrong by up to 30 % of
     * the output range (320→5, 512→8, 128→3, against a float64 reference of the same bf16-rounded inputs, which fp32
     * matches to 2e-7). They are a small share of the work;</li>
     * <li>every convolution under autocast that will be differentiated (bf16 training): oneDNN's bf16 backward gave
     * wrong or NaN input gradients on the same machine in both memory layouts, and libtorch's native bf16 backward is
     * 2.5× slower than fp32 (full-size training step 152 s vs 60 s). Linear layers stay bf16.</li>
     * </ul>
     * A convolution that will be differentiated runs in the channels-last layout (output returned contiguous): on the
     * same machine oneDNN's backward-data kernel for the default layout returned wrong, at times NaN, input gradients
     * for ~10 % of fp32 shapes, while the channels-last kernel was right in every case tried (384, float64 reference;
     * {@code ConvBackwardTest}) and 3-10× faster than libtorch's native backward.
     */
    public Tensor forward(Tensor x) {
        boolean autocast = torch.is_autocast_enabled(torch.DeviceType.CPU);
        boolean bf16 = autocast || Tensors.dtype(x) == ScalarType.BFloat16 || Tensors.dtype(weight) == ScalarType.BFloat16;
        boolean grad = GradMode.is_enabled() && (x.requires_grad() || weight.requires_grad());
        if (bf16 && (weight.size(0) < 16 || (autocast && grad))) {
            return Precision.fp32(() -> conv(asBf16(x), asBf16(weight), bias == null ? null : asBf16(bias), grad, false));
        }
        return conv(x, weight, bias, grad, bf16 && BF16_CHANNELS_LAST);
    }

    /** {@code cdiffset.bf16ChannelsLast} (default true): bf16 inference convolutions take channels-last input. */
    static final boolean BF16_CHANNELS_LAST = !"false".equals(System.getProperty("cdiffset.bf16ChannelsLast"));

    /** The bf16 value in fp32: inputs and weights as autocast would see them, accumulated in fp32. */
    private static Tensor asBf16(Tensor t) {
        return t.to(ScalarType.BFloat16).to(ScalarType.Float);
    }

    /**
     * @param channelsLast bf16 inference: run oneDNN on a channels-last input (a no-op when it already is, as every
     *                     map after the first convolution then is). Its kernels use that layout as it is, where the
     *                     default layout is copied into a blocked one and back on each call: at the VAE decoder's
     *                     512² level those copies were ~220 MB of the translation's peak memory.
     */
    private Tensor conv(Tensor x, Tensor w, Tensor b, boolean grad, boolean channelsLast) {
        // differentiable too (im2col's gradient is col2im): the full-size training step at 32² latents took 51 s
        // with it and 78 s with oneDNN's channels-last kernels alone (fp32, batch 1, first step, same session)
        if (usesMatmul(x)) return im2colMatmul(x, w, b);
        if (!grad) return conv2d(channelsLast ? x.contiguous(MemoryFormat.ChannelsLast) : x, w, b);
        return conv2d(x.contiguous(MemoryFormat.ChannelsLast), w.contiguous(MemoryFormat.ChannelsLast), b).contiguous();
    }

    /** {@code cdiffset.convMatmul}: auto (default), on (every convolution with k > 1), off. */
    static final String CONV_MATMUL = System.getProperty("cdiffset.convMatmul", "auto");

    /**
     * Whether this convolution runs as im2col + one matrix product for input {@code x} (with or without grad). This
     * libtorch build's oneDNN convolution is 5-20× below its own matrix-product rate when a large weight meets a small
     * map — the full-size UNet's 1280- and 2560-channel convolutions at 8² and 16² (bf16: 21-80 GFLOP/s against
     * 420-470 for im2col + matmul; fp32: 14-54 against 77-95), while for maps of 32² and more, or the demo model's
     * narrow layers, it is the faster one.
     */
    public boolean usesMatmul(Tensor x) {
        if (kernel == 1 || CONV_MATMUL.equals("off")) return false;
        if (CONV_MATMUL.equals("on")) return true;
        long n = x.size(0) * outSize(x.size(2)) * outSize(x.size(3));
        return n <= 512 && weight.size(0) * weight.size(1) >= 1280L * 640L;
    }

    private long outSize(long in) {
        return (in + 2 * padding - kernel) / stride + 1;
    }

    /** The same convolution as a product [out, in·k²] × [in·k², B·H'·W'] (addmm: autocast casts it like conv2d). */
    private Tensor im2colMatmul(Tensor x, Tensor w, Tensor b) {
        long bsz = x.size(0), ho = outSize(x.size(2)), wo = outSize(x.size(3)), co = w.size(0);
        Tensor cols = torch.im2col(x, new long[]{kernel, kernel}, new long[]{1, 1}, new long[]{padding, padding}, new long[]{stride, stride});
        long k = cols.size(1), l = cols.size(2);
        Tensor m = bsz == 1 ? cols.squeeze(0) : cols.transpose(0, 1).reshape(k, bsz * l);
        Tensor w2 = w.reshape(co, k);
        Tensor out = b == null ? torch.mm(w2, m) : torch.addmm(b.view(co, 1), w2, m);
        return bsz == 1 ? out.view(1, co, ho, wo) : out.view(co, bsz, ho, wo).transpose(0, 1).contiguous();
    }

    private Tensor conv2d(Tensor x, Tensor w, Tensor b) {
        return torch.conv2d(x, w, Tensors.opt(b), new long[]{stride, stride}, new long[]{padding, padding}, new long[]{1, 1}, 1);
    }
}
