package io.cdiffset.nn;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** LayerNorm over the last dimension, affine. */
public final class LayerNorm extends Module {
    private final long channels;
    private final double eps;
    private final Tensor weight;
    private final Tensor bias;

    public LayerNorm(long channels, double eps) {
        this.channels = channels;
        this.eps = eps;
        this.weight = param("weight", ones(channels));
        this.bias = param("bias", zeros(channels));
    }

    public Tensor forward(Tensor x) {
        return torch.layer_norm(x, new long[]{channels}, Tensors.opt(weight), Tensors.opt(bias), eps, true);
    }
}
