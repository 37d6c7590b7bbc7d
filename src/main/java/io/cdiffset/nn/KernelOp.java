package io.cdiffset.nn;

/** One kernel call a model makes: a convolution or an attention, with every size that can change the kernel choice. */
public sealed interface KernelOp permits KernelOp.Conv, KernelOp.Attn {

    /**
     * A square-kernel convolution of a [batch, in, h, w] map (h, w as the convolution sees it, after any explicit
     * padding) with symmetric zero padding.
     */
    record Conv(long in, long out, long k, long stride, long pad, long batch, long h, long w) implements KernelOp {
        public long outH() {
            return (h + 2 * pad - k) / stride + 1;
        }

        public long outW() {
            return (w + 2 * pad - k) / stride + 1;
        }

        /** Multiply-adds × 2. */
        public double flops() {
            return 2.0 * batch * out * in * k * k * outH() * outW();
        }

        @Override
        public String toString() {
            return "conv " + in + "→" + out + " " + k + "×" + k + (stride > 1 ? " /" + stride : "") + " on " + batch + "×" + h + "×" + w;
        }
    }

    /** Scaled dot-product attention: [batch, heads, n, d] queries against [batch, heads, l, d] keys and values. */
    record Attn(long batch, long heads, long n, long l, long d) implements KernelOp {
        public double flops() {
            return 4.0 * batch * heads * n * l * d;
        }

        @Override
        public String toString() {
            return "attention " + heads + "×" + d + " heads, " + n + " queries × " + l + " keys" + (batch > 1 ? ", batch " + batch : "");
        }
    }
}
