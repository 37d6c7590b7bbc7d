package io.cdiffset.nn;

import io.cdiffset.engine.Scopes;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.WeightsException;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A node of the model tree. Parameter names are the dotted paths of the tree, exactly as in diffusers /
 * transformers checkpoints, so loading a checkpoint is a lookup. Parameters are created once and updated in place.
 * Create modules outside any {@code PointerScope}: their tensors must outlive every step.
 */
public abstract class Module {
    static {
        io.cdiffset.engine.Engine.init(); // thread settings before any model is built (see Tensors)
    }

    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    /** bf16 training: working copies of this module's own parameters, by parameter name ({@link #keepWorkingCopies}). */
    private Map<String, WorkingCopy> workingCopies = Map.of();

    protected final Tensor param(String name, Tensor initial) {
        Tensor t;
        if (UNINITIALISED.get() && !META.get()) { // allocated at its final dtype, values left to the load
            ScalarType matmul = LOAD_MATMUL_AS.get();
            boolean low = matmul != null && holdsMatmulWeights();
            t = torch.empty(Tensors.shape(initial), Tensors.options(low ? matmul : ScalarType.Float), new org.bytedeco.pytorch.MemoryFormatOptional());
        } else {
            t = initial.to(ScalarType.Float).contiguous();
        }
        t.requires_grad_(true);
        params.put(name, t);
        return t;
    }

    protected final <M extends Module> M child(String name, M module) {
        children.put(name, module);
        return module;
    }

    /** Replaces a parameter with a tensor of a new shape (used by model surgery such as C-DiffSET's conv_in/out). */
    protected final void replaceParam(String name, Tensor value) {
        if (!params.containsKey(name)) throw new IllegalArgumentException("no parameter " + name);
        param(name, value);
        if (workingCopies.containsKey(name)) {
            workingCopies = new LinkedHashMap<>(workingCopies);
            workingCopies.remove(name);
        }
    }

    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out) {
        params.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", out));
    }

    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public final long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) n += t.numel();
        return n;
    }

    public final void requiresGrad(boolean on) {
        for (Tensor t : namedParameters().values()) t.requires_grad_(on);
    }

    public final Module childModule(String name) {
        return children.get(name);
    }

    /**
     * Copies a state dict into this module. Keys and shapes must match exactly; otherwise the error lists the
     * missing, unexpected and mis-shaped keys (the first few of each, with counts).
     */
    public final void load(Map<String, Tensor> state, String source) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        state.forEach((k, v) -> shapes.put(k, Tensors.shape(v)));
        load(shapes, state::get, source);
    }

    /**
     * {@link #load(Map, String)} one tensor at a time: names and shapes are checked against {@code shapes} first, then
     * each parameter's tensor is fetched, copied in (converting the dtype) and freed before the next. With tensors read
     * from a file on demand (see {@code WeightKeys.load}), no whole state dict is held beside the model: one made
     * loading the full-size UNet peak at 8.1 GB resident for a 3.5 GB model.
     */
    public final void load(Map<String, long[]> shapes, java.util.function.Function<String, Tensor> tensor, String source) {
        Map<String, Tensor> own = namedParameters();
        List<String> missing = new ArrayList<>();
        List<String> shape = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            long[] src = shapes.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(src, Tensors.shape(e.getValue()))) {
                shape.add(e.getKey() + " " + Tensors.shapeString(src) + " (expected "
                        + Tensors.shapeString(Tensors.shape(e.getValue())) + ")");
            }
        }
        TreeSet<String> unexpected = new TreeSet<>(shapes.keySet());
        unexpected.removeAll(own.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty() || !shape.isEmpty()) {
            StringBuilder sb = new StringBuilder(source).append(": weights do not fit the model (");
            sb.append(own.size()).append(" expected tensors)");
            appendList(sb, "missing", missing);
            appendList(sb, "unexpected", new ArrayList<>(unexpected));
            appendList(sb, "wrong shape", shape);
            sb.append("; check that the file and the config.json belong together");
            throw new WeightsException(sb.toString());
        }
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : own.entrySet()) {
                try (PointerScope scope = new PointerScope()) { // copy_ converts the dtype; no fp32 temporaries left for the GC
                    e.getValue().copy_(tensor.apply(e.getKey()));
                }
            }
        }
    }

    private static void appendList(StringBuilder sb, String label, List<String> keys) {
        if (keys.isEmpty()) return;
        sb.append("; ").append(keys.size()).append(' ').append(label).append(": ");
        int show = Math.min(6, keys.size());
        sb.append(String.join(", ", keys.subList(0, show)));
        if (keys.size() > show) sb.append(", ...");
    }

    /**
     * Stores the weights and biases of every {@link Conv2d} and {@link Linear} in {@code type}, in place (the same
     * tensor objects, new storage); norms and embeddings stay fp32. For bf16 inference under autocast this gives the
     * same results as fp32 weights (autocast casts every argument of conv / linear / matmul to bf16 anyway), without
     * re-casting hundreds of MB of weights on every forward and with half the resident weight memory. Only for
     * inference: the module must then run under {@link io.cdiffset.engine.Precision#BF16}'s scope.
     */
    public final void storeMatmulWeightsAs(ScalarType type) {
        try (NoGradGuard g = new NoGradGuard()) {
            castMatmul(type);
        }
    }

    /** Whether this module's parameters are matrix-product weights (what bf16 stores in bf16): conv and linear layers. */
    private boolean holdsMatmulWeights() {
        return this instanceof Conv2d || this instanceof Linear;
    }

    private void castMatmul(ScalarType type) {
        if (holdsMatmulWeights()) {
            for (Tensor t : params.values()) {
                if (Tensors.dtype(t) == type) continue;
                // the scope frees the detached view at once: left to the GC, it kept every old fp32 storage alive
                // (full-size UNet + VAE: 5.7 GB resident after a bf16 cast instead of 2.1 GB)
                try (PointerScope scope = new PointerScope()) {
                    t.__dispatch_set_data(t.detach().to(type));
                }
            }
        }
        for (Module m : children.values()) m.castMatmul(type);
    }

    /**
     * Mixed-precision training: gives every {@link Conv2d} / {@link Linear} parameter named in {@code names} (dotted
     * names as in {@link #namedParameters()}) a persistent {@link WorkingCopy} in {@code type}, which their forward
     * uses under autocast instead of autocast's per-step cast of the fp32 weight. Returns them by name. Parameters
     * replaced afterwards (model surgery) lose theirs; call it after surgery.
     */
    public final Map<String, WorkingCopy> keepWorkingCopies(ScalarType type, java.util.Set<String> names) {
        Map<String, WorkingCopy> out = new LinkedHashMap<>();
        keepWorkingCopies("", type, names, out);
        return out;
    }

    private void keepWorkingCopies(String prefix, ScalarType type, java.util.Set<String> names, Map<String, WorkingCopy> out) {
        if (holdsMatmulWeights()) {
            Map<String, WorkingCopy> own = new LinkedHashMap<>();
            params.forEach((k, v) -> {
                if (!names.contains(prefix + k) || Tensors.dtype(v) != ScalarType.Float) return;
                WorkingCopy c = new WorkingCopy(v, type);
                own.put(k, c);
                out.put(prefix + k, c);
            });
            workingCopies = own;
        }
        children.forEach((k, m) -> m.keepWorkingCopies(prefix + k + ".", type, names, out));
    }

    /**
     * The tensor a forward pass computes with for parameter {@code name} ({@code value} being the parameter itself):
     * its {@link WorkingCopy} under CPU autocast when it has one, else the parameter.
     */
    protected final Tensor computeWith(String name, Tensor value) {
        if (value == null || workingCopies.isEmpty()) return value;
        WorkingCopy c = workingCopies.get(name);
        if (c == null || !torch.is_autocast_enabled(torch.DeviceType.CPU)) return value;
        return c.current();
    }

    /** Bytes held by the parameters (at their current dtypes). */
    public final long parameterBytes() {
        long n = 0;
        for (Tensor t : namedParameters().values()) n += t.nbytes();
        return n;
    }

    /** Casts every parameter in place to the given dtype (e.g. for fp16 export of a copy). */
    public final Map<String, Tensor> stateDict(ScalarType type) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((k, v) -> out.put(k, v.detach().to(type)));
        return out;
    }

    // --------------------------------------------------------------------------------------------- init helpers

    private static final ThreadLocal<Boolean> META = ThreadLocal.withInitial(() -> false);

    /**
     * Builds a module whose parameters live on libtorch's "meta" device: names and shapes without memory or
     * initialisation cost. Used to validate full-size checkpoints against a config without allocating gigabytes.
     */
    public static <M extends Module> M shapesOnly(java.util.function.Supplier<M> factory) {
        return with(META, true, factory);
    }

    /** Runs {@code body} with {@code setting} set to {@code value} on this thread, then restores it. */
    private static <V, T> T with(ThreadLocal<V> setting, V value, java.util.function.Supplier<T> body) {
        V prev = setting.get();
        setting.set(value);
        try {
            return body.get();
        } finally {
            setting.set(prev);
        }
    }

    private static final ThreadLocal<Boolean> UNINITIALISED = ThreadLocal.withInitial(() -> false);

    /**
     * Builds a module whose parameters are allocated but not initialised, for a {@link #load} that overwrites every
     * one of them right after (load refuses a file that lacks any): drawing 865 M random numbers for the full-size
     * UNet only to overwrite them took most of its load time.
     */
    public static <M extends Module> M forLoading(java.util.function.Supplier<M> factory) {
        return with(UNINITIALISED, true, factory);
    }

    private static final ThreadLocal<ScalarType> LOAD_MATMUL_AS = new ThreadLocal<>();

    /**
     * Runs {@code loading} with every {@link #forLoading} module inside it storing its {@link Conv2d} / {@link Linear}
     * parameters in {@code type} from the start, as {@link #storeMatmulWeightsAs} would after an fp32 load (the load's
     * {@code copy_} rounds each stored value to {@code type} the same way), without first holding them all in fp32:
     * the full-size UNet is 3.5 GB in fp32, 1.7 GB in bf16.
     */
    public static <T> T loadingMatmulWeightsAs(ScalarType type, java.util.function.Supplier<T> loading) {
        return with(LOAD_MATMUL_AS, type, loading);
    }

    private static final ThreadLocal<Tensor> TILED = new ThreadLocal<>();

    /**
     * Builds a module whose random parameters are tiled from one block of 2^20 seeded U(-1, 1) values scaled to each
     * layer's init bound, instead of drawn one by one: a bench case with a random full-size UNet went from ~40 s to
     * ~15 s of set-up (JVM start included). The values are not independent, so use it for timing only.
     */
    public static <M extends Module> M tiledInit(long seed, java.util.function.Supplier<M> factory) {
        Tensor prev = TILED.get();
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            torch.manual_seed(seed);
            Tensor block = torch.rand(1 << 20).mul(Tensors.scalar(2)).sub(Tensors.scalar(1));
            block.retainReference();
            TILED.set(block);
            return factory.get();
        } finally {
            TILED.get().releaseReference();
            TILED.set(prev);
        }
    }

    private static Tensor tiled(double scale, long... shape) {
        return Scopes.scoped(() -> tiledInScope(scale, shape));
    }

    private static Tensor tiledInScope(double scale, long... shape) {
        Tensor block = TILED.get();
        long n = 1;
        for (long d : shape) n *= d;
        long len = block.size(0);
        // filled in place, and views released by the scope: a view left to the GC kept the storage resident after a
        // bf16 cast replaced it (full-size bench model: 5.7 GB instead of 2.1 GB)
        Tensor out = torch.empty(shape);
        Tensor flat = out.view(-1);
        for (long off = 0; off < n; off += len) {
            long m = Math.min(len, n - off);
            flat.narrow(0, off, m).copy_(block.narrow(0, 0, m));
        }
        return out.mul_(Tensors.scalar(scale));
    }

    private static Tensor meta(long... shape) {
        return torch.empty(shape, new org.bytedeco.pytorch.TensorOptions(new org.bytedeco.pytorch.Device("meta")),
                new org.bytedeco.pytorch.MemoryFormatOptional());
    }

    /** PyTorch's default Linear/Conv init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)). */
    /** N(0, std²) init (embeddings). */
    protected static Tensor normalInit(double std, long... shape) {
        if (META.get() || UNINITIALISED.get()) return meta(shape); // for loading: param() allocates at the final dtype
        return TILED.get() != null ? tiled(std * Math.sqrt(3), shape) : Scopes.scoped(() -> torch.randn(shape).mul(Tensors.scalar(std)));
    }

    protected static Tensor uniformInit(long fanIn, long... shape) {
        if (META.get() || UNINITIALISED.get()) return meta(shape);
        double bound = 1.0 / Math.sqrt(Math.max(1, fanIn));
        if (TILED.get() != null) return tiled(bound, shape);
        return Scopes.scoped(() -> torch.rand(shape).mul(Tensors.scalar(2 * bound)).sub(Tensors.scalar(bound)));
    }

    protected static Tensor ones(long... shape) {
        return META.get() ? meta(shape) : torch.ones(shape);
    }

    protected static Tensor zeros(long... shape) {
        return META.get() ? meta(shape) : torch.zeros(shape);
    }
}
