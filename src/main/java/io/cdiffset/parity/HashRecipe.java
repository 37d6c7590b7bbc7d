package io.cdiffset.parity;

import io.cdiffset.engine.Tensors;
import io.cdiffset.nn.Module;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Weights defined by a hash instead of shipped (fixtures {@code fullsize/}, {@code metric_nets/}): the state-dict names
 * sorted by string order; the j-th name's element i (row-major) is a function of (seed, j, i) only, computed in double
 * and rounded once to float32, so the reference generator and this class agree bit for bit at any model size.
 */
public final class HashRecipe {
    private HashRecipe() {}

    /** splitmix64, arithmetic mod 2^64. */
    static long splitmix64(long x) {
        x += 0x9E3779B97F4A7C15L;
        long z = x;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** u(j, i) in [0, 1): the top 53 bits of splitmix64(seed·2^32 + j·2^40 + i). */
    static double u(long seed, long j, long i) {
        return (splitmix64((seed << 32) + (j << 40) + i) >>> 11) * 0x1.0p-53;
    }

    /** The value of element i of the j-th (sorted) tensor of the given shape and name. */
    static double value(long seed, long j, long i, String name, long[] shape, long fanIn) {
        double u = u(seed, j, i);
        if (shape.length >= 2) return Math.sqrt(3.0 / fanIn) * (2 * u - 1);
        if (name.endsWith(".weight")) return 1 + 0.1 * (2 * u - 1);
        return 0.05 * (2 * u - 1);
    }

    /** Fills every parameter of {@code model} in place by the recipe (diffusers names, sorted by string order). */
    public static void fill(Module model, long seed) {
        Map<String, Tensor> params = model.namedParameters();
        List<String> names = new ArrayList<>(params.keySet());
        Collections.sort(names);
        try (NoGradGuard g = new NoGradGuard()) {
            for (int j = 0; j < names.size(); j++) {
                String name = names.get(j);
                Tensor t = params.get(name);
                long[] shape = Tensors.shape(t);
                long fanIn = 1;
                for (int d = 1; d < shape.length; d++) fanIn *= shape[d];
                long n = t.numel();
                if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(name + ": tensor too large for the recipe");
                float[] v = new float[(int) n];
                final long jj = j, fi = fanIn;
                IntStream.range(0, v.length).parallel().forEach(i -> v[i] = (float) value(seed, jj, i, name, shape, fi));
                try (PointerScope scope = new PointerScope()) {
                    t.copy_(Tensors.fromFloats(v, shape));
                }
            }
        }
    }
}
