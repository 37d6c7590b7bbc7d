package io.cdiffset.nn;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** GroupNorm with affine weight/bias [C]. */
public final class GroupNorm extends Module {
    private final long groups;
    private final double eps;
    private final Tensor weight;
    private final Tensor bias;

    public GroupNorm(long groups, long channels, double eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels are not divisible into " + groups + " groups");
        }
        this.groups = groups;
        this.eps = eps;
        this.weight = param("weight", ones(channels));
        this.bias = param("bias", zeros(channels));
    }

    public Tensor forward(Tensor x) {
        return torch.group_norm(x, groups, Tensors.opt(weight), Tensors.opt(bias), eps, true);
    }
}
