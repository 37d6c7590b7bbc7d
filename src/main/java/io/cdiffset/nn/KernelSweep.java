package io.cdiffset.nn;

import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * Checks kernels by value against a float64 reference computed with libtorch's native kernels (oneDNN has none for
 * float64), at the shapes a model really runs. A kernel library picks its kernel by shape, and on some CPUs a few of
 * those kernels are wrong (issue #19), so names and shapes prove nothing: only values at the real sizes do.
 *
 * <p>Each check runs the real layer code ({@link Conv2d#forward}, {@link Attention#sdpa}) in one mode (fp32 or bf16,
 * inference or under grad, with the path the layer chooses under the installed {@link KernelPolicy}), or one
 * {@link ConvPath} directly. The reference covers a spread of ~32 output channels (every block of a blocked kernel,
 * the last one included) or, for attention, the first and last head, so a full-size shape costs a few percent of
 * the tested kernel. Under grad the upstream gradient is non-zero only on those channels / heads, so the input,
 * weight and bias gradients can be compared in full. Errors are relative to the largest reference value.
 */
public final class KernelSweep {
    /** fp32: correct kernels measured 2e-7 to 2e-6 here; the wrong ones 0.1-0.8. */
    public static final double FP32_TOLERANCE = 1e-4;
    /** bf16 (against float64 on the same bf16-rounded inputs): output rounding alone is up to 2^-9 of a value. */
    public static final double BF16_TOLERANCE = 1.5e-2;

    private KernelSweep() {}

    /** One op in one mode on one path: the largest relative error over output (and gradients). */
    public record Check(KernelOp op, KernelPolicy.Mode mode, String path, double error, double tolerance, String detail) {
        public boolean ok() {
            return error <= tolerance; // NaN fails
        }

        /** The {@link KernelPolicy} key of the path and mode this check ran (what is ruled out when it is wrong). */
        public String policyKey() {
            return KernelPolicy.key(op instanceof KernelOp.Conv ? "conv" : "attention", path, mode);
        }

        @Override
        public String toString() {
            return String.format("%s, %s, %s: %s %.2e (tolerance %.0e)%s", op, mode.label(), path, ok() ? "ok" : "WRONG",
                    error, tolerance, detail.isEmpty() ? "" : " " + detail);
        }
    }

    public static double tolerance(KernelPolicy.Mode m) {
        return m.precision.equals("bf16") ? BF16_TOLERANCE : FP32_TOLERANCE;
    }

    /** Runs every op in every mode through the real layers. {@code progress} (may be null) gets one line per 50 checks. */
    public static List<Check> layers(Collection<? extends KernelOp> ops, Collection<KernelPolicy.Mode> modes, long seed, Consumer<String> progress) {
        return sweep(ops, modes, null, seed, progress);
    }

    /**
     * Runs every convolution of {@code ops} directly on each of {@code paths} in each inference mode (attention ops are
     * skipped). oneDNN is never handed a 1×1 convolution here: the layers never do (see {@link Conv2d#path}), and one
     * such shape crashed the process with SIGFPE in oneDNN's blocking heuristics on the build machine.
     */
    public static List<Check> paths(Collection<? extends KernelOp> ops, Collection<ConvPath> paths, Collection<KernelPolicy.Mode> modes,
                                    long seed, Consumer<String> progress) {
        List<Check> out = new ArrayList<>();
        for (ConvPath p : paths) out.addAll(sweep(ops, modes, p, seed, progress));
        return out;
    }

    private static List<Check> sweep(Collection<? extends KernelOp> ops, Collection<KernelPolicy.Mode> modes, ConvPath path, long seed,
                                     Consumer<String> progress) {
        Engine.init();
        List<Check> out = new ArrayList<>();
        int i = 0, total = ops.size() * modes.size();
        for (KernelPolicy.Mode m : modes) {
            // one layer per weight shape and mode, reused at every map size (random init of a 2560→1280 3×3 weight
            // costs more than checking it); made outside the per-check scopes, freed with this mode's scope
            try (PointerScope modeScope = new PointerScope()) {
                java.util.Map<String, Conv2d> layers = new java.util.HashMap<>();
                for (KernelOp op : ops) {
                    if (op instanceof KernelOp.Conv c) {
                        if (path != null && c.k() == 1 && (path == ConvPath.ONEDNN || path == ConvPath.ONEDNN_CHANNELS_LAST)) continue;
                        Conv2d layer = layers.computeIfAbsent(c.in() + "/" + c.out() + "/" + c.k() + "/" + c.stride() + "/" + c.pad(), k -> {
                            torch.manual_seed(seed ^ k.hashCode());
                            Conv2d l = new Conv2d(c.in(), c.out(), c.k(), c.stride(), c.pad());
                            if (m == KernelPolicy.Mode.BF16_INFERENCE) l.storeMatmulWeightsAs(ScalarType.BFloat16);
                            return l;
                        });
                        out.add(check(c, m, path, layer, seed));
                    } else if (path == null) {
                        out.add(attention((KernelOp.Attn) op, m, null, seed));
                    }
                    if (progress != null && ++i % 200 == 0) progress.accept(i + " / " + total + " checks");
                }
            }
        }
        return out;
    }

    private static Check check(KernelOp.Conv op, KernelPolicy.Mode mode, ConvPath path, Conv2d conv, long seed) {
        boolean bf16 = mode.precision.equals("bf16");
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(seed ^ op.hashCode());
            Tensor x = torch.randn(op.batch(), op.in(), op.h(), op.w());
            Tensor idx = channels(op);
            Tensor xr = bf16 ? roundBf16(x) : x;
            // the layer's weights rounded as bf16 kernels see them (exact when the layer already stores bf16)
            Tensor wS = roundIf(bf16, conv.weight().detach().index_select(0, idx).to(ScalarType.Float));
            Tensor bS = roundIf(bf16, conv.bias().detach().index_select(0, idx).to(ScalarType.Float));
            // the path the layer would take (bf16 convolutions with < 16 outputs compute in fp32)
            boolean fp32Math = conv.computesInFp32(bf16, mode.grad);
            ConvPath used = path != null ? path : conv.path(x, bf16 && !fp32Math, mode.grad);
            if (!mode.grad) {
                Tensor y;
                try (InferenceMode im = new InferenceMode()) {
                    if (path != null) {
                        ScalarType wt = bf16 ? ScalarType.BFloat16 : ScalarType.Float;
                        y = path.run(x.to(wt), conv.weight().detach().to(wt), conv.bias().detach().to(wt), op.k(), op.stride(), op.pad());
                    } else {
                        // fed channels-last, as maps often arrive (a transformer block's output did before #19): the
                        // layer must choose its kernel by its own rule, never by the layout it is handed
                        try (Precision.Scope ac = (bf16 ? Precision.BF16 : Precision.FP32).scope()) {
                            y = conv.forward(x.contiguous(org.bytedeco.pytorch.global.torch.MemoryFormat.ChannelsLast));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
                Tensor ref = nativeConv(xr.to(ScalarType.Double), wS.to(ScalarType.Double), bS.to(ScalarType.Double), op);
                return new Check(op, mode, used.id, rel(y.index_select(1, idx), ref), tolerance(mode), "");
            }
            for (Tensor p : conv.parameters()) p.mutable_grad().reset(); // the layer is reused: no accumulated gradients
            Tensor xg = x.detach().clone().requires_grad_(true);
            Tensor y;
            try (Precision.Scope ac = (bf16 ? Precision.BF16 : Precision.FP32).scope()) {
                y = path != null ? path.run(xg, conv.weight(), conv.bias(), op.k(), op.stride(), op.pad()) : conv.forward(xg);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            Tensor gS = torch.randn(op.batch(), idx.size(0), y.size(2), y.size(3));
            Tensor g = torch.zeros(y.sizes(), Tensors.options(ScalarType.Float)).index_copy(1, idx, gS);
            Engine.backward(y.to(ScalarType.Float).mul(g).sum());
            Tensor xd = xr.detach().to(ScalarType.Double).requires_grad_(true);
            Tensor wd = wS.to(ScalarType.Double).requires_grad_(true);
            Tensor bd = bS.to(ScalarType.Double).requires_grad_(true);
            Tensor yd = nativeConv(xd, wd, bd, op);
            yd.mul(gS.to(ScalarType.Double)).sum().backward();
            double ey = rel(y.detach().index_select(1, idx), yd.detach());
            double ex = rel(xg.grad(), xd.grad());
            double ew = rel(conv.weight().grad().index_select(0, idx), wd.grad());
            double eb = rel(conv.bias().grad().index_select(0, idx), bd.grad());
            double e = Math.max(Math.max(ey, ex), Math.max(ew, eb));
            return new Check(op, mode, used.id, Double.isNaN(ey + ex + ew + eb) ? Double.NaN : e, tolerance(mode),
                    String.format("(output %.1e, input grad %.1e, weight grad %.1e, bias grad %.1e)", ey, ex, ew, eb));
        }
    }

    /** One attention in one mode; {@code path} forces a path (null: the one {@link Attention} chooses). */
    public static Check attention(KernelOp.Attn op, KernelPolicy.Mode mode, KernelPolicy.AttnPath path, long seed) {
        boolean bf16 = mode.precision.equals("bf16");
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(seed ^ op.hashCode());
            long[] qs = {op.batch(), op.heads(), op.n(), op.d()}, ks = {op.batch(), op.heads(), op.l(), op.d()};
            Tensor q = torch.randn(qs), k = torch.randn(ks), v = torch.randn(ks);
            if (bf16) { // what the bf16 projections hand to attention under autocast
                q = q.to(ScalarType.BFloat16);
                k = k.to(ScalarType.BFloat16);
                v = v.to(ScalarType.BFloat16);
            }
            KernelPolicy.AttnPath used = path != null ? path : Attention.path(bf16, mode.grad);
            Tensor heads = op.heads() == 1 ? Tensors.fromLongs(new long[]{0}, 1) : Tensors.fromLongs(new long[]{0, op.heads() - 1}, 2);
            if (!mode.grad) {
                Tensor y;
                try (InferenceMode im = new InferenceMode()) {
                    y = Attention.run(used, q, k, v, false);
                }
                Tensor rows = rows(op.n()); // a spread of query rows: every query block of a blocked kernel
                Tensor ref = mathAttention(q.index_select(1, heads).index_select(2, rows).to(ScalarType.Double),
                        k.index_select(1, heads).to(ScalarType.Double), v.index_select(1, heads).to(ScalarType.Double));
                return new Check(op, mode, used.id, rel(y.index_select(1, heads).index_select(2, rows), ref), tolerance(mode), "");
            }
            Tensor qg = q.detach().clone().requires_grad_(true), kg = k.detach().clone().requires_grad_(true), vg = v.detach().clone().requires_grad_(true);
            Tensor y = Attention.run(used, qg, kg, vg, false);
            Tensor gS = torch.randn(op.batch(), heads.size(0), op.n(), op.d());
            Tensor g = torch.zeros(y.sizes(), Tensors.options(ScalarType.Float)).index_copy(1, heads, gS);
            Engine.backward(y.to(ScalarType.Float).mul(g).sum());
            Tensor qd = q.index_select(1, heads).to(ScalarType.Double).requires_grad_(true);
            Tensor kd = k.index_select(1, heads).to(ScalarType.Double).requires_grad_(true);
            Tensor vd = v.index_select(1, heads).to(ScalarType.Double).requires_grad_(true);
            Tensor yd = mathAttention(qd, kd, vd);
            yd.mul(gS.to(ScalarType.Double)).sum().backward();
            double ey = rel(y.detach().index_select(1, heads), yd.detach());
            double eq = rel(qg.grad().index_select(1, heads), qd.grad());
            double ek = rel(kg.grad().index_select(1, heads), kd.grad());
            double ev = rel(vg.grad().index_select(1, heads), vd.grad());
            double e = Math.max(Math.max(ey, eq), Math.max(ek, ev));
            return new Check(op, mode, used.id, Double.isNaN(ey + eq + ek + ev) ? Double.NaN : e, tolerance(mode),
                    String.format("(output %.1e, q grad %.1e, k grad %.1e, v grad %.1e)", ey, eq, ek, ev));
        }
    }

    /**
     * Up to ~32 output channels spread over every block of a blocked kernel (a different offset in each), plus the last
     * 8; fewer on large maps, so that the float64 reference stays near 0.3 GFLOP.
     */
    static Tensor channels(KernelOp.Conv op) {
        double perChannel = 2.0 * op.in() * op.k() * op.k() * op.outH() * op.outW() * op.batch();
        long parts = Math.max(4, Math.min(24, (long) (3e8 / perChannel)));
        return spread(op.out(), parts, Math.min(8, parts / 2));
    }

    /** ~100 query rows spread over every query block, plus the last 16. */
    static Tensor rows(long n) {
        return spread(n, 96, 16);
    }

    private static Tensor spread(long n, long parts, long tail) {
        java.util.TreeSet<Long> s = new java.util.TreeSet<>();
        long step = Math.max(1, n / parts);
        for (long b = 0; b * step < n; b++) s.add(Math.min(n - 1, b * step + (b * 7) % step));
        for (long c = Math.max(0, n - tail); c < n; c++) s.add(c);
        long[] a = s.stream().mapToLong(Long::longValue).toArray();
        return Tensors.fromLongs(a, a.length);
    }

    private static Tensor roundBf16(Tensor t) {
        return t.to(ScalarType.BFloat16).to(ScalarType.Float);
    }

    private static Tensor roundIf(boolean bf16, Tensor t) {
        return bf16 ? roundBf16(t) : t;
    }

    /** libtorch's own convolution kernel (never oneDNN), differentiable. */
    private static Tensor nativeConv(Tensor x, Tensor w, Tensor b, KernelOp.Conv op) {
        return torch.thnn_conv2d(x, w, new long[]{op.k(), op.k()}, Tensors.opt(b), new long[]{op.stride(), op.stride()}, new long[]{op.pad(), op.pad()});
    }

    private static Tensor mathAttention(Tensor q, Tensor k, Tensor v) {
        Tensor s = q.matmul(k.transpose(-2, -1)).mul(Tensors.scalar(1.0 / Math.sqrt(q.size(-1))));
        return torch.softmax(s, -1).matmul(v);
    }

    /** max |a − ref| / max(max |ref|, 1e-3) in double; NaN anywhere gives NaN. */
    static double rel(Tensor a, Tensor ref) {
        Tensor ad = a.detach().to(ScalarType.Double), rd = ref.detach().to(ScalarType.Double);
        if (ad.isnan().any().item_bool()) return Double.NaN;
        // an all-zero reference (the query and key gradients of attention over one key) is compared absolutely
        double m = Tensors.maxAbs(rd);
        return Tensors.maxAbsDiff(ad, rd) / Math.max(m, 1e-3);
    }
}
