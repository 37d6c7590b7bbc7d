package io.cdiffset.metrics.nets;

import io.cdiffset.nn.BatchNorm2d;
import io.cdiffset.nn.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * torchvision Inception's {@code BasicConv2d}: {@code conv} (no bias, rectangular kernel / padding allowed) →
 * {@code bn} (BatchNorm2d, eps 0.001, eval) → ReLU. State names {@code conv.weight}, {@code bn.weight},
 * {@code bn.bias}, {@code bn.running_mean}, {@code bn.running_var}.
 */
final class BasicConv2d extends Module {
    private final Conv conv;
    private final BatchNorm2d bn;

    BasicConv2d(long in, long out, int kh, int kw, int stride, int padH, int padW) {
        this.conv = child("conv", new Conv(in, out, kh, kw, stride, padH, padW));
        this.bn = child("bn", new BatchNorm2d(out, 0.001));
    }

    /** Square kernel. */
    BasicConv2d(long in, long out, int k, int stride, int pad) {
        this(in, out, k, k, stride, pad, pad);
    }

    /** 1×1, stride 1. */
    BasicConv2d(long in, long out) {
        this(in, out, 1, 1, 0);
    }

    Tensor forward(Tensor x) {
        return torch.relu(bn.forward(conv.forward(x)));
    }

    /** Bias-free convolution with weight [out, in, kh, kw]. */
    static final class Conv extends Module {
        private final Tensor weight;
        private final long[] stride;
        private final long[] padding;

        Conv(long in, long out, int kh, int kw, int stride, int padH, int padW) {
            this.weight = param("weight", uniformInit(in * kh * kw, out, in, kh, kw));
            this.stride = new long[]{stride, stride};
            this.padding = new long[]{padH, padW};
        }

        Tensor forward(Tensor x) {
            return torch.conv2d(x, weight, io.cdiffset.engine.Tensors.opt(null), stride, padding, new long[]{1, 1}, 1);
        }
    }
}
