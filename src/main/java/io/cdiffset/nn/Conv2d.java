package io.cdiffset.nn;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

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

    public Tensor forward(Tensor x) {
        return torch.conv2d(x, weight, Tensors.opt(bias), new long[]{stride, stride}, new long[]{padding, padding},
                new long[]{1, 1}, 1);
    }
}
