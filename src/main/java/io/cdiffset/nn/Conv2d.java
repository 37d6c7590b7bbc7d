package io.cdiffset.nn;

import io.cdiffset.engine.RuntimeOptions;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
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
     * Runs on the path {@link #path} chooses. Convolutions with fewer than 16 output channels (the UNet's and VAE's
     * conv_out, quant_conv) run with fp32 arithmetic on bf16-rounded inputs and weights (what autocast would feed the
     * kernel) when the input or weights are bf16 or autocast is on: this libtorch build's oneDNN bf16 kernels got them
     * wrong by up to 30 % of the output range (320→5, 512→8, 128→3, against a float64 reference of the same bf16-rounded
     * inputs, which fp32 matches to 2e-7). They are a small share of the work.
     * <p>bf16 training (autocast, under grad) runs every other convolution as im2col + one bf16 matrix product, whose
     * gradients are two more bf16 matrix products and a col2im in fp32 ({@link ConvPath#MATMUL}): oneDNN's bf16
     * convolution backward gave wrong or NaN input gradients on this machine in both memory layouts, and libtorch's
     * native bf16 backward is 2.5× slower than fp32. Only if {@link KernelPolicy} rules that path out do they fall back
     * to fp32 arithmetic on bf16-rounded inputs, as before issue #17.
     */
    public Tensor forward(Tensor x) {
        boolean autocast = torch.is_autocast_enabled(torch.DeviceType.CPU);
        boolean bf16 = autocast || Tensors.dtype(x) == ScalarType.BFloat16 || Tensors.dtype(weight) == ScalarType.BFloat16;
        boolean grad = GradMode.is_enabled() && (x.requires_grad() || weight.requires_grad());
        Tensor w = computeWith("weight", weight), b = computeWith("bias", bias);
        if (computesInFp32(bf16, grad)) {
            ConvPath p = path(x, false, grad);
            return Precision.fp32(() -> p.run(asBf16(x), asBf16(w), b == null ? null : asBf16(b), kernel, stride, padding));
        }
        return path(x, bf16, grad).run(x, w, b, kernel, stride, padding);
    }

    /**
     * Whether a convolution that should run in bf16 computes in fp32 on bf16-rounded inputs instead: fewer than 16
     * output channels, or bf16 training where the bf16 matrix-product path is ruled out on this CPU.
     */
    public boolean computesInFp32(boolean bf16, boolean grad) {
        if (!bf16) return false;
        if (weight.size(0) < 16) return true;
        return grad && !KernelPolicy.current().allows(ConvPath.MATMUL, KernelPolicy.Mode.BF16_GRAD);
    }

    /** The bf16 value in fp32: inputs and weights as autocast would see them, accumulated in fp32. */
    private static Tensor asBf16(Tensor t) {
        return t.to(ScalarType.BFloat16).to(ScalarType.Float);
    }

    /**
     * The path this convolution takes for input {@code x} at a precision (bf16 = bf16 kernels) and mode, before and
     * after {@link KernelPolicy#current()} has ruled out paths found wrong on this CPU:
     * <ul>
     * <li>1×1 convolutions and large weights on small maps ({@link #prefersMatmul}): one matrix product. oneDNN's
     * channels-last 1×1 kernels were wrong by 40-80 % for 256-2560 input channels on small maps on the build machine
     * (issue #19), and a 1×1 convolution is a matrix product anyway;</li>
     * <li>bf16 under grad: one matrix product (im2col + bf16 matmul; see {@link #forward});</li>
     * <li>fp32 under grad: oneDNN channels-last. On the same machine oneDNN's backward-data kernel for the default layout
     * returned wrong, at times NaN, input gradients for ~10 % of fp32 shapes, while the channels-last kernel was right
     * in every 3×3 case tried ({@code ConvBackwardTest}) and 3-10× faster than libtorch's native backward;</li>
     * <li>bf16 inference: oneDNN channels-last ({@code cdiffset.bf16ChannelsLast}, default true): its kernels use that
     * layout as it is, where the default layout is copied into a blocked one and back on each call (~220 MB of the
     * translation's peak at the VAE decoder's 512² level);</li>
     * <li>fp32 inference: oneDNN on contiguous NCHW maps, whatever layout the input arrives in.</li>
     * </ul>
     */
    public ConvPath path(Tensor x, boolean bf16, boolean grad) {
        ConvPath preferred;
        if (prefersMatmul(x) || (bf16 && grad)) preferred = ConvPath.MATMUL;
        else if (grad || (bf16 && RuntimeOptions.current().bf16ChannelsLast())) preferred = ConvPath.ONEDNN_CHANNELS_LAST;
        else preferred = ConvPath.ONEDNN;
        return KernelPolicy.current().conv(preferred, KernelPolicy.Mode.of(bf16, grad));
    }

    /**
     * Whether this convolution prefers one matrix product for input {@code x} (with or without grad): every 1×1
     * convolution, and k×k ones where this libtorch build's oneDNN convolution is 5-20× below its own matrix-product
     * rate, when a large weight meets a small map — the full-size UNet's 1280- and 2560-channel convolutions at 8² and
     * 16² (bf16: 21-80 GFLOP/s against 420-470 for im2col + matmul; fp32: 14-54 against 77-95), while for maps of 32²
     * and more, or the demo model's narrow layers, oneDNN is the faster one.
     */
    public boolean prefersMatmul(Tensor x) {
        String matmul = RuntimeOptions.current().convMatmul(); // auto, on (every convolution), off (only 1×1 ones)
        if (kernel == 1 || matmul.equals("on")) return true;
        if (matmul.equals("off")) return false;
        long n = x.size(0) * outSize(x.size(2)) * outSize(x.size(3));
        return n <= 512 && weight.size(0) * weight.size(1) >= 1280L * 640L;
    }

    /** Whether this convolution runs as a matrix product for {@code x} in fp32 inference (kept for tests). */
    public boolean usesMatmul(Tensor x) {
        return path(x, false, false) == ConvPath.MATMUL;
    }

    private long outSize(long in) {
        return (in + 2 * padding - kernel) / stride + 1;
    }
}
