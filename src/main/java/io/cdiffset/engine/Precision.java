package io.cdiffset.engine;

import org.bytedeco.pytorch.global.torch;

/** fp32, or bf16 autocast on the CPU (matrix products and convolutions in bf16, norms and softmax kept in fp32). */
public enum Precision {
    FP32, BF16;

    public static Precision parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "fp32", "float32" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("precision must be fp32 or bf16, got " + s);
        };
    }

    /** A precision scope; closing it throws nothing. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Enables autocast for the duration of the returned scope (no-op for fp32). Like Python's {@code torch.autocast},
     * the outermost scope clears autocast's weight-cast cache when it closes: the cache keeps the bf16 copy of every
     * fp32 leaf parameter that requires grad, keyed by tensor, so without clearing, a training step after an optimizer
     * update would still run on the bf16 copies of the old weights.
     */
    public Scope scope() {
        if (this == FP32) return () -> {};
        boolean prev = torch.is_autocast_enabled(torch.DeviceType.CPU);
        torch.set_autocast_dtype(torch.DeviceType.CPU, torch.ScalarType.BFloat16);
        torch.set_autocast_enabled(torch.DeviceType.CPU, true);
        torch.increment_nesting();
        return () -> {
            if (torch.decrement_nesting() == 0) torch.clear_cache();
            torch.set_autocast_enabled(torch.DeviceType.CPU, prev);
        };
    }

    /**
     * Runs {@code f} with CPU autocast switched off (restored afterwards), for the few ops that must run in fp32 under
     * bf16 autocast on this libtorch build (see Attention.sdpa and Conv2d).
     */
    public static org.bytedeco.pytorch.Tensor fp32(java.util.function.Supplier<org.bytedeco.pytorch.Tensor> f) {
        if (!torch.is_autocast_enabled(torch.DeviceType.CPU)) return f.get();
        torch.set_autocast_enabled(torch.DeviceType.CPU, false);
        try {
            return f.get();
        } finally {
            torch.set_autocast_enabled(torch.DeviceType.CPU, true);
        }
    }
}
