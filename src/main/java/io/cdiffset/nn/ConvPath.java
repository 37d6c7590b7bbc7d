package io.cdiffset.nn;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.MemoryFormat;

/**
 * The ways {@link Conv2d} can compute a convolution. Each is a different libtorch kernel family, and on some CPUs some
 * of them are wrong for some shapes (issue #19: oneDNN's channels-last 1×1 kernels returned errors of 40-80 % of the
 * output range for 256-2560 input channels on 3×3 to 9×10 maps on an AMD EPYC Zen 5 VM, and crashed the process with
 * SIGFPE for others), so the path is always chosen explicitly, never left to the layout of whatever tensor arrives,
 * and {@link KernelPolicy} can rule a path out on a CPU where {@code cdiffset doctor} found it wrong.
 */
public enum ConvPath {
    /** oneDNN on NCHW (contiguous) maps: fp32 inference. */
    ONEDNN("onednn-nchw"),
    /** oneDNN on channels-last maps: bf16 inference and every convolution under grad (output returned contiguous). */
    ONEDNN_CHANNELS_LAST("onednn-channels-last"),
    /** 1×1 convolutions as one matrix product, k×k ones as im2col + one matrix product ({@link Gemm}; bf16: oneDNN matmul). */
    MATMUL("matmul"),
    /** libtorch's own (non-oneDNN) im2col + GEMM kernel, {@code thnn_conv2d}: slow, the fallback of last resort. */
    NATIVE("native");

    public final String id;

    ConvPath(String id) {
        this.id = id;
    }

    public static ConvPath parse(String s) {
        for (ConvPath p : values()) if (p.id.equals(s) || p.name().equalsIgnoreCase(s)) return p;
        throw new IllegalArgumentException("unknown convolution path " + s + "; expected one of onednn-nchw, onednn-channels-last, matmul, native");
    }

    /**
     * Runs the convolution (square kernel {@code k}, symmetric padding) on this path. Inputs are used at their dtypes;
     * under CPU autocast, oneDNN and matmul ops cast to bf16 themselves, the native kernel is handed bf16 explicitly.
     */
    public Tensor run(Tensor x, Tensor w, Tensor b, long k, long stride, long padding) {
        return switch (this) {
            case ONEDNN -> conv2d(x.contiguous(), w, b, stride, padding);
            case ONEDNN_CHANNELS_LAST -> channelsLast(x, w, b, stride, padding);
            case MATMUL -> matmul(x, w, b, k, stride, padding);
            case NATIVE -> native2d(x, w, b, k, stride, padding);
        };
    }

    /**
     * Inference: the output stays channels-last (every following convolution chooses its own path and layout, and
     * oneDNN skips a reorder copy of each map); the weight is handed over as it is stored. Under grad: weight
     * channels-last too and the output contiguous, the combination whose gradients were right ({@code ConvBackwardTest}).
     */
    private static Tensor channelsLast(Tensor x, Tensor w, Tensor b, long stride, long padding) {
        boolean grad = org.bytedeco.pytorch.GradMode.is_enabled() && (x.requires_grad() || w.requires_grad());
        if (!grad) return conv2d(x.contiguous(MemoryFormat.ChannelsLast), w, b, stride, padding);
        return conv2d(x.contiguous(MemoryFormat.ChannelsLast), w.contiguous(MemoryFormat.ChannelsLast), b, stride, padding).contiguous();
    }

    private static Tensor conv2d(Tensor x, Tensor w, Tensor b, long stride, long padding) {
        return torch.conv2d(x, w, Tensors.opt(b), new long[]{stride, stride}, new long[]{padding, padding}, new long[]{1, 1}, 1);
    }

    private static long outSize(long in, long k, long stride, long padding) {
        return (in + 2 * padding - k) / stride + 1;
    }

    /**
     * The convolution as [out, in·k²] × [in·k², B·H'·W'] (addmm / matmul: autocast casts them like conv2d). Under grad
     * the columns are taken from an fp32 input, so that col2im, the input gradient's sum of k² overlapping columns,
     * adds in fp32 (autocast rounds the columns to bf16 for the product, as it would round the input).
     */
    private static Tensor matmul(Tensor x, Tensor w, Tensor b, long k, long stride, long padding) {
        if (Tensors.dtype(x) == torch.ScalarType.BFloat16 && org.bytedeco.pytorch.GradMode.is_enabled() && (x.requires_grad() || w.requires_grad())
                && torch.is_autocast_enabled(torch.DeviceType.CPU)) {
            x = x.to(torch.ScalarType.Float);
        }
        long bsz = x.size(0), co = w.size(0);
        long ho = outSize(x.size(2), k, stride, padding), wo = outSize(x.size(3), k, stride, padding);
        Tensor cols;
        if (k == 1 && stride == 1 && padding == 0) {
            cols = x.contiguous().view(bsz, x.size(1), ho * wo); // a 1×1 convolution needs no im2col copy
        } else {
            cols = torch.im2col(x.contiguous(), new long[]{k, k}, new long[]{1, 1}, new long[]{padding, padding}, new long[]{stride, stride});
        }
        long kk = cols.size(1), l = cols.size(2);
        Tensor w2 = w.reshape(co, kk);
        if (bsz == 1) {
            Tensor m = cols.squeeze(0);
            return Gemm.addmm(b, w2, m).view(1, co, ho, wo);
        }
        Tensor m = cols.transpose(0, 1).reshape(kk, bsz * l);
        Tensor out = Gemm.addmm(b, w2, m);
        return out.view(co, bsz, ho, wo).transpose(0, 1).contiguous();
    }

    private static Tensor native2d(Tensor x, Tensor w, Tensor b, long k, long stride, long padding) {
        if (torch.is_autocast_enabled(torch.DeviceType.CPU)) { // thnn_conv2d is not on autocast's lists
            x = x.to(torch.ScalarType.BFloat16);
            w = w.to(torch.ScalarType.BFloat16);
            b = b == null ? null : b.to(torch.ScalarType.BFloat16);
        } else if (Tensors.dtype(x) != Tensors.dtype(w)) {
            x = x.to(Tensors.dtype(w));
        }
        return torch.thnn_conv2d(x.contiguous(), w.contiguous(), new long[]{k, k}, Tensors.opt(b), new long[]{stride, stride}, new long[]{padding, padding});
    }
}
