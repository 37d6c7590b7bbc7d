package io.cdiffset.nn;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** y = x·Wᵀ + b; weight [out, in]. */
public final class Linear extends Module {
    public final long in;
    public final long out;
    private final Tensor weight;
    private final Tensor bias;

    public Linear(long in, long out, boolean bias) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", uniformInit(in, out, in));
        this.bias = bias ? param("bias", uniformInit(in, out)) : null;
    }

    public Linear(long in, long out) {
        this(in, out, true);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor forward(Tensor x) {
        return bias != null ? torch.linear(x, weight, Tensors.opt(bias)) : torch.linear(x, weight);
    }
}
