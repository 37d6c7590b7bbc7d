package io.cdiffset.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Lookup table [num, dim]. */
public final class Embedding extends Module {
    private final Tensor weight;

    public Embedding(long num, long dim) {
        this.weight = param("weight", normalInit(0.02, num, dim));
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor forward(Tensor ids) {
        return torch.embedding(weight, ids);
    }
}
