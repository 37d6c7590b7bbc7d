package io.cdiffset.nn;

import io.cdiffset.engine.Scopes;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** diffusers ResnetBlock2D (time_embedding_norm "default", output scale 1); no time projection when temb is 0. */
public final class ResnetBlock2D extends Module {
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeEmbProj;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;

    public ResnetBlock2D(long in, long out, long tembChannels, int groups, double eps) {
        norm1 = child("norm1", new GroupNorm(groups, in, eps));
        conv1 = child("conv1", new Conv2d(in, out, 3, 1, 1));
        timeEmbProj = tembChannels > 0 ? child("time_emb_proj", new Linear(tembChannels, out)) : null;
        norm2 = child("norm2", new GroupNorm(groups, out, eps));
        conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1));
        convShortcut = in != out ? child("conv_shortcut", new Conv2d(in, out, 1, 1, 0)) : null;
    }

    /** @param embAct SiLU(temb) (computed once per forward by the caller), or null without time embedding. */
    public Tensor forward(Tensor x, Tensor embAct) {
        // norm → SiLU → conv chains in their own PointerScopes: the normalised and activated maps (full-size, the
        // largest tensors of a VAE decoder at 512²) are released as soon as the conv has consumed them
        Tensor h = Scopes.scoped(() -> conv1.forward(norm1.forwardSilu(x)));
        if (timeEmbProj != null && embAct != null) {
            h = h.add(timeEmbProj.forward(embAct).unsqueeze(2).unsqueeze(3));
        }
        Tensor h1 = h;
        h = Scopes.scoped(() -> conv2.forward(norm2.forwardSilu(h1)));
        Tensor r = convShortcut != null ? convShortcut.forward(x) : x;
        return r.add(h);
    }
}
