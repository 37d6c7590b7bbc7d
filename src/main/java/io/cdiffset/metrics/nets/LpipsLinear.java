package io.cdiffset.metrics.nets;

import io.cdiffset.nn.Conv2d;
import io.cdiffset.nn.Module;
import io.cdiffset.nn.Node;
import org.bytedeco.pytorch.Tensor;

/**
 * The LPIPS calibration layers {@code lin{k}.model.1.weight} [1, C_k, 1, 1] (1×1 convolutions without bias; the
 * {@code model.0} dropout is inactive in eval mode and has no weights).
 */
final class LpipsLinear extends Module {
    private final Conv2d[] lins;

    LpipsLinear(int[] channels) {
        lins = new Conv2d[channels.length];
        for (int k = 0; k < channels.length; k++) {
            Node model = child("lin" + k, new Node()).add("model", new Node());
            lins[k] = model.add("1", new Conv2d(channels[k], 1, 1, 1, 0, false));
        }
    }

    Tensor forward(int k, Tensor x) {
        return lins[k].forward(x);
    }

    int layers() {
        return lins.length;
    }
}
