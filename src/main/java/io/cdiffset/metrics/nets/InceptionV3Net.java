package io.cdiffset.metrics.nets;

import io.cdiffset.nn.Module;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * pytorch-fid's FID InceptionV3 ({@code fid_inception_v3()}, weights pt_inception-2015-12-05) up to the final
 * average pool: torchvision {@code Inception3} stem and blocks with Mixed_5b–5d = FIDInceptionA, Mixed_6b–6e =
 * FIDInceptionC, Mixed_7b = FIDInceptionE_1, Mixed_7c = FIDInceptionE_2. Child names follow the pytorch-fid state
 * dict ({@code Conv2d_1a_3x3.conv.weight}, {@code Mixed_5b.branch1x1.bn.running_mean}, …); {@code fc.*} is not part
 * of the feature extractor.
 */
final class InceptionV3Net extends Module {
    private final BasicConv2d conv1a;
    private final BasicConv2d conv2a;
    private final BasicConv2d conv2b;
    private final BasicConv2d conv3b;
    private final BasicConv2d conv4a;
    private final BlockA mixed5b;
    private final BlockA mixed5c;
    private final BlockA mixed5d;
    private final BlockB mixed6a;
    private final BlockC mixed6b;
    private final BlockC mixed6c;
    private final BlockC mixed6d;
    private final BlockC mixed6e;
    private final BlockD mixed7a;
    private final BlockE mixed7b;
    private final BlockE mixed7c;

    InceptionV3Net() {
        conv1a = child("Conv2d_1a_3x3", new BasicConv2d(3, 32, 3, 2, 0));
        conv2a = child("Conv2d_2a_3x3", new BasicConv2d(32, 32, 3, 1, 0));
        conv2b = child("Conv2d_2b_3x3", new BasicConv2d(32, 64, 3, 1, 1));
        conv3b = child("Conv2d_3b_1x1", new BasicConv2d(64, 80));
        conv4a = child("Conv2d_4a_3x3", new BasicConv2d(80, 192, 3, 1, 0));
        mixed5b = child("Mixed_5b", new BlockA(192, 32));
        mixed5c = child("Mixed_5c", new BlockA(256, 64));
        mixed5d = child("Mixed_5d", new BlockA(288, 64));
        mixed6a = child("Mixed_6a", new BlockB(288));
        mixed6b = child("Mixed_6b", new BlockC(768, 128));
        mixed6c = child("Mixed_6c", new BlockC(768, 160));
        mixed6d = child("Mixed_6d", new BlockC(768, 160));
        mixed6e = child("Mixed_6e", new BlockC(768, 192));
        mixed7a = child("Mixed_7a", new BlockD(768));
        mixed7b = child("Mixed_7b", new BlockE(1280, false));
        mixed7c = child("Mixed_7c", new BlockE(2048, true));
    }

    /**
     * x [N, 3, H, W] already resized and in [−1, 1] → [N, 2048] pool features. Intermediate tensors of each
     * stage are released in nested {@link PointerScope}s; only the stage outputs survive.
     */
    Tensor forward(Tensor x) {
        Tensor h = stage(x, t -> maxPool(conv2b.forward(conv2a.forward(conv1a.forward(t))), 2, 0));
        h = stage(h, t -> maxPool(conv4a.forward(conv3b.forward(t)), 2, 0));
        h = stage(h, mixed5b::forward);
        h = stage(h, mixed5c::forward);
        h = stage(h, mixed5d::forward);
        h = stage(h, mixed6a::forward);
        h = stage(h, mixed6b::forward);
        h = stage(h, mixed6c::forward);
        h = stage(h, mixed6d::forward);
        h = stage(h, mixed6e::forward);
        h = stage(h, mixed7a::forward);
        h = stage(h, mixed7b::forward);
        h = stage(h, mixed7c::forward);
        return torch.adaptive_avg_pool2d(h, 1, 1).flatten(1, -1);
    }

    /**
     * Runs one stage in its own {@link PointerScope} when called inside a scope, moving only the result to the
     * enclosing scope (attach there first, then detach from the inner one, so the reference count never hits 0).
     */
    private static Tensor stage(Tensor in, java.util.function.UnaryOperator<Tensor> f) {
        PointerScope outer = PointerScope.getInnerScope();
        if (outer == null) return f.apply(in);
        try (PointerScope inner = new PointerScope()) {
            Tensor out = f.apply(in);
            outer.attach(out);
            inner.detach(out);
            return out;
        }
    }

    /** max_pool2d(kernel 3, stride, padding). */
    static Tensor maxPool(Tensor x, int stride, int pad) {
        return torch.max_pool2d(x, new long[]{3, 3}, new long[]{stride, stride}, new long[]{pad, pad}, new long[]{1, 1}, false);
    }

    /** FID variant: avg_pool2d(kernel 3, stride 1, padding 1, count_include_pad=False). */
    static Tensor avgPoolExcludingPad(Tensor x) {
        return torch.avg_pool2d(x, new long[]{3, 3}, new long[]{1, 1}, new long[]{1, 1}, false, false, new LongOptional());
    }

    static Tensor cat(Tensor... parts) {
        return torch.cat(new TensorVector(parts), 1);
    }

    /** FIDInceptionA. */
    static final class BlockA extends Module {
        private final BasicConv2d b1, b5_1, b5_2, b3_1, b3_2, b3_3, pool;

        BlockA(int in, int poolFeatures) {
            b1 = child("branch1x1", new BasicConv2d(in, 64));
            b5_1 = child("branch5x5_1", new BasicConv2d(in, 48));
            b5_2 = child("branch5x5_2", new BasicConv2d(48, 64, 5, 1, 2));
            b3_1 = child("branch3x3dbl_1", new BasicConv2d(in, 64));
            b3_2 = child("branch3x3dbl_2", new BasicConv2d(64, 96, 3, 1, 1));
            b3_3 = child("branch3x3dbl_3", new BasicConv2d(96, 96, 3, 1, 1));
            pool = child("branch_pool", new BasicConv2d(in, poolFeatures));
        }

        Tensor forward(Tensor x) {
            return cat(b1.forward(x),
                    b5_2.forward(b5_1.forward(x)),
                    b3_3.forward(b3_2.forward(b3_1.forward(x))),
                    pool.forward(avgPoolExcludingPad(x)));
        }
    }

    /** torchvision InceptionB (Mixed_6a, unchanged by pytorch-fid). */
    static final class BlockB extends Module {
        private final BasicConv2d b3, d1, d2, d3;

        BlockB(int in) {
            b3 = child("branch3x3", new BasicConv2d(in, 384, 3, 2, 0));
            d1 = child("branch3x3dbl_1", new BasicConv2d(in, 64));
            d2 = child("branch3x3dbl_2", new BasicConv2d(64, 96, 3, 1, 1));
            d3 = child("branch3x3dbl_3", new BasicConv2d(96, 96, 3, 2, 0));
        }

        Tensor forward(Tensor x) {
            return cat(b3.forward(x), d3.forward(d2.forward(d1.forward(x))), maxPool(x, 2, 0));
        }
    }

    /** FIDInceptionC. */
    static final class BlockC extends Module {
        private final BasicConv2d b1, s1, s2, s3, d1, d2, d3, d4, d5, pool;

        BlockC(int in, int c7) {
            b1 = child("branch1x1", new BasicConv2d(in, 192));
            s1 = child("branch7x7_1", new BasicConv2d(in, c7));
            s2 = child("branch7x7_2", new BasicConv2d(c7, c7, 1, 7, 1, 0, 3));
            s3 = child("branch7x7_3", new BasicConv2d(c7, 192, 7, 1, 1, 3, 0));
            d1 = child("branch7x7dbl_1", new BasicConv2d(in, c7));
            d2 = child("branch7x7dbl_2", new BasicConv2d(c7, c7, 7, 1, 1, 3, 0));
            d3 = child("branch7x7dbl_3", new BasicConv2d(c7, c7, 1, 7, 1, 0, 3));
            d4 = child("branch7x7dbl_4", new BasicConv2d(c7, c7, 7, 1, 1, 3, 0));
            d5 = child("branch7x7dbl_5", new BasicConv2d(c7, 192, 1, 7, 1, 0, 3));
            pool = child("branch_pool", new BasicConv2d(in, 192));
        }

        Tensor forward(Tensor x) {
            return cat(b1.forward(x),
                    s3.forward(s2.forward(s1.forward(x))),
                    d5.forward(d4.forward(d3.forward(d2.forward(d1.forward(x))))),
                    pool.forward(avgPoolExcludingPad(x)));
        }
    }

    /** torchvision InceptionD (Mixed_7a, unchanged by pytorch-fid). */
    static final class BlockD extends Module {
        private final BasicConv2d a1, a2, s1, s2, s3, s4;

        BlockD(int in) {
            a1 = child("branch3x3_1", new BasicConv2d(in, 192));
            a2 = child("branch3x3_2", new BasicConv2d(192, 320, 3, 2, 0));
            s1 = child("branch7x7x3_1", new BasicConv2d(in, 192));
            s2 = child("branch7x7x3_2", new BasicConv2d(192, 192, 1, 7, 1, 0, 3));
            s3 = child("branch7x7x3_3", new BasicConv2d(192, 192, 7, 1, 1, 3, 0));
            s4 = child("branch7x7x3_4", new BasicConv2d(192, 192, 3, 2, 0));
        }

        Tensor forward(Tensor x) {
            return cat(a2.forward(a1.forward(x)), s4.forward(s3.forward(s2.forward(s1.forward(x)))), maxPool(x, 2, 0));
        }
    }

    /** FIDInceptionE_1 (avg-pool branch, count_include_pad=False) or FIDInceptionE_2 (max-pool branch). */
    static final class BlockE extends Module {
        private final boolean maxPoolBranch;
        private final BasicConv2d b1, t1, t2a, t2b, d1, d2, d3a, d3b, pool;

        BlockE(int in, boolean maxPoolBranch) {
            this.maxPoolBranch = maxPoolBranch;
            b1 = child("branch1x1", new BasicConv2d(in, 320));
            t1 = child("branch3x3_1", new BasicConv2d(in, 384));
            t2a = child("branch3x3_2a", new BasicConv2d(384, 384, 1, 3, 1, 0, 1));
            t2b = child("branch3x3_2b", new BasicConv2d(384, 384, 3, 1, 1, 1, 0));
            d1 = child("branch3x3dbl_1", new BasicConv2d(in, 448));
            d2 = child("branch3x3dbl_2", new BasicConv2d(448, 384, 3, 1, 1));
            d3a = child("branch3x3dbl_3a", new BasicConv2d(384, 384, 1, 3, 1, 0, 1));
            d3b = child("branch3x3dbl_3b", new BasicConv2d(384, 384, 3, 1, 1, 1, 0));
            pool = child("branch_pool", new BasicConv2d(in, 192));
        }

        Tensor forward(Tensor x) {
            Tensor t = t1.forward(x);
            Tensor d = d2.forward(d1.forward(x));
            Tensor pooled = maxPoolBranch ? maxPool(x, 1, 1) : avgPoolExcludingPad(x);
            return cat(b1.forward(x),
                    cat(t2a.forward(t), t2b.forward(t)),
                    cat(d3a.forward(d), d3b.forward(d)),
                    pool.forward(pooled));
        }
    }
}
