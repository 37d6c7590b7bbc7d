package io.cdiffset.parity;

import io.cdiffset.engine.Tensors;
import io.cdiffset.nn.Module;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Weights defined by a hash instead of shipped (fixtures {@code fullsize/}, {@code metric_nets/}): the state-dict names
 * sorted by string order; the j-th name's element i (row-major) is a function of (seed, j, i) only, computed in double
 * and rounded once to float32, so the reference generator and this class agree bit for bit at any model size. The
 * fixtures differ only in how u turns into a value ({@link Rule}).
 */
public final class HashRecipe {
    private HashRecipe() {}

    /** How the uniform u ∈ [0, 1) of one element becomes the parameter value. */
    @FunctionalInterface
    public interface Rule {
        double value(String name, long[] shape, long fanIn, double u);
    }

    /** fixtures/fullsize: rank ≥ 2 → sqrt(3/fan_in)·(2u−1); 1-D {@code .weight} → 1 + 0.1·(2u−1); else 0.05·(2u−1). */
    public static final Rule FULLSIZE = (name, shape, fanIn, u) -> {
        if (shape.length >= 2) return Math.sqrt(3.0 / fanIn) * (2 * u - 1);
        if (name.endsWith(".weight")) return 1 + 0.1 * (2 * u - 1);
        return 0.05 * (2 * u - 1);
    };

    /**
     * fixtures/metric_nets (README there): running_var → 1 + 0.5·u; running_mean → 0.1·(2u−1); 1-D BatchNorm weight
     * (name has {@code .bn.}) → 1 + 0.1·(2u−1); other 1-D → 0.01·(2u−1); rank ≥ 2 → sqrt(3)·sqrt(2/fan_in)·(2u−1).
     */
    public static final Rule METRIC_NETS = (name, shape, fanIn, u) -> {
        if (name.endsWith("running_var")) return 1 + 0.5 * u;
        if (name.endsWith("running_mean")) return 0.1 * (2 * u - 1);
        if (shape.length >= 2) return Math.sqrt(3.0) * Math.sqrt(2.0 / fanIn) * (2 * u - 1);
        if (name.endsWith(".weight") && name.contains(".bn.")) return 1 + 0.1 * (2 * u - 1);
        return 0.01 * (2 * u - 1);
    };

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

    /** The float32 values of the j-th (sorted) tensor of the given name and shape. */
    static float[] values(long seed, long j, String name, long[] shape, Rule rule) {
        long fanIn = 1;
        for (int d = 1; d < shape.length; d++) fanIn *= shape[d];
        long n = 1;
        for (long s : shape) n *= s;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(name + ": tensor too large for the recipe");
        float[] v = new float[(int) n];
        final long fi = fanIn;
        IntStream.range(0, v.length).parallel().forEach(i -> v[i] = (float) rule.value(name, shape, fi, u(seed, j, i)));
        return v;
    }

    /** Fills every parameter of {@code model} in place by the fullsize recipe (diffusers names, sorted by string order). */
    public static void fill(Module model, long seed) {
        Map<String, Tensor> params = model.namedParameters();
        List<String> names = new ArrayList<>(params.keySet());
        Collections.sort(names);
        try (NoGradGuard g = new NoGradGuard()) {
            for (int j = 0; j < names.size(); j++) {
                String name = names.get(j);
                Tensor t = params.get(name);
                long[] shape = Tensors.shape(t);
                float[] v = values(seed, j, name, shape, FULLSIZE);
                try (PointerScope scope = new PointerScope()) {
                    t.copy_(Tensors.fromFloats(v, shape));
                }
            }
        }
    }

    /**
     * A whole state dict by the recipe: {@code shapes} lists every name of the state dict (sorted here by string
     * order, which gives j); names ending in {@code num_batches_tracked} are PyTorch's integer counters, which take a
     * place in the order but get no values and are left out of the result.
     */
    public static Map<String, Tensor> state(Map<String, long[]> shapes, long seed, Rule rule) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(new TreeMap<>(shapes).keySet());
        for (int j = 0; j < names.size(); j++) {
            String name = names.get(j);
            long[] shape = shapes.get(name);
            if (!name.endsWith("num_batches_tracked")) out.put(name, Tensors.fromFloats(values(seed, j, name, shape, rule), shape));
        }
        return out;
    }
}
