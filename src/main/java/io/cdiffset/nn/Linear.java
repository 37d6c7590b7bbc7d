package io.cdiffset.nn;

import org.bytedeco.pytorch.Tensor;

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
        return Gemm.linear(x, computeWith("weight", weight), computeWith("bias", bias));
    }
}
