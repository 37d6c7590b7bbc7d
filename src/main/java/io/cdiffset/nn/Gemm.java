package io.cdiffset.nn;

import io.cdiffset.engine.RuntimeOptions;
import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * fp32 matrix products on every core. This libtorch build hands fp32 {@code mm}/{@code addmm}/{@code linear} to
 * OpenBLAS, which runs on one thread: a second OpenBLAS thread pool spinning beside libtorch's OpenMP pool made the
 * whole model slower (UNet 64² fp32 6.74 → 8.84 s with 2 OpenBLAS threads). oneDNN, which already computes the
 * convolutions on libtorch's own pool, computes a large product as a 1×1 convolution of the right-hand matrix viewed
 * as one NCHW image of k channels and n×1 pixels: 2048³ at 131-192 GFLOP/s against OpenBLAS's 81-99 on this
 * 2-core machine. Small or thin products stay on OpenBLAS, which is as fast there (see {@link #prefersOneDnn}).
 * <p>Only inference uses it (no grad, no autocast): on the Zen 5 VM of session 3, oneDNN's backward-data kernel for
 * NCHW maps got ~10 % of fp32 shapes wrong. The convolution sweep of {@code cdiffset doctor} and the translate-time
 * kernel check exercise it through {@link ConvPath#MATMUL}, and {@code GemmTest} and the full-size parity fixtures
 * (through {@link Linear}) check it against float64 and PyTorch. {@code -Dcdiffset.gemm=blas} turns it off,
 * {@code =onednn} uses it for every eligible product.
 */
public final class Gemm {
    private Gemm() {}

    /**
     * Whether oneDNN is the faster of the two for a [m,k]·[k,n] fp32 product on this machine (best of 5, GFLOP/s,
     * OpenBLAS / oneDNN): 2560×320×4096 88 / 147, 320×1280×4096 88 / 187, 1280×11520×256 93 / 166,
     * 640×640×1024 81 / 186; but 320×320×4096 69 / 53, 1280×11520×64 70-77 / 68-78, 1280×1280×256 59-63 / 57-69.
     */
    public static boolean prefersOneDnn(long m, long k, long n) {
        String mode = RuntimeOptions.current().gemm();
        if (mode.equals("blas")) return false;
        if (mode.equals("onednn")) return true;
        return n >= 256 && (m >= 640 || k >= 640) && (double) m * k * n >= 1e8;
    }

    /** Whether a product of these operands may leave OpenBLAS: fp32, no autocast, nothing to differentiate. */
    static boolean eligible(Tensor... ts) {
        if (torch.is_autocast_enabled(torch.DeviceType.CPU)) return false;
        boolean grad = GradMode.is_enabled();
        for (Tensor t : ts) {
            if (t == null) continue;
            if (Tensors.dtype(t) != ScalarType.Float || (grad && t.requires_grad())) return false;
        }
        return true;
    }

    /** bias[m] (or null) added to each column of a[m,k]·b[k,n]: {@code addmm(bias.view(m,1), a, b)}. */
    public static Tensor addmm(Tensor bias, Tensor a, Tensor b) {
        long m = a.size(0), k = a.size(1), n = b.size(1);
        if (eligible(bias, a, b) && prefersOneDnn(m, k, n)) return oneDnn(bias, a, b);
        return bias == null ? torch.mm(a, b) : torch.addmm(bias.view(m, 1), a, b);
    }

    /** a[m,k]·b[k,n] (+ bias[m] per row) by oneDNN, whatever its size: a 1×1 convolution, weight a, image b. */
    public static Tensor oneDnn(Tensor bias, Tensor a, Tensor b) {
        long m = a.size(0), k = a.size(1), n = b.size(1);
        Tensor y = torch.mkldnn_convolution(b.contiguous().view(1, k, n, 1), a.contiguous().view(m, k, 1, 1),
                bias == null ? new TensorOptional() : new TensorOptional(bias), new long[]{0, 0}, new long[]{1, 1}, new long[]{1, 1}, 1);
        return y.view(m, n);
    }

    /**
     * {@code linear(x, w, bias)} for x [..., in], w [out, in]: y = x·wᵀ + bias. Large fp32 inference products run
     * as (w·xᵀ)ᵀ on oneDNN (two transposing copies, each a small fraction of the product's time).
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        long in = w.size(1), out = w.size(0);
        long rows = x.numel() / in;
        if (eligible(x, w, bias) && prefersOneDnn(out, in, rows)) {
            long[] shape = x.sizes().vec().get();
            shape[shape.length - 1] = out;
            Tensor yt = oneDnn(bias, w, x.reshape(rows, in).t()); // [out, rows]
            return yt.t().contiguous().view(shape);
        }
        return bias != null ? torch.linear(x, w, Tensors.opt(bias)) : torch.linear(x, w);
    }
}
