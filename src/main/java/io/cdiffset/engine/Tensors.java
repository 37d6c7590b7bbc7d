package io.cdiffset.engine;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.LongArrayRef;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Small, explicit glue between Java arrays and libtorch tensors. Every created tensor owns its memory (cloned). */
public final class Tensors {
    static {
        // Thread settings before any tensor work, whoever the caller is (CLI, tests, an embedding application):
        // left alone, OpenBLAS runs its own pool inside libtorch's parallel regions, which is slow and was seen to
        // return NaN from a VAE backward.
        Engine.init();
    }

    private Tensors() {}

    public static TensorOptions options(ScalarType type) {
        return new TensorOptions(type);
    }

    public static Tensor fromFloats(float[] data, long... shape) {
        check(data.length, shape);
        try (FloatPointer p = new FloatPointer(data)) {
            return torch.from_blob(p, shape, options(ScalarType.Float)).clone();
        }
    }

    public static Tensor fromDoubles(double[] data, long... shape) {
        check(data.length, shape);
        try (DoublePointer p = new DoublePointer(data)) {
            return torch.from_blob(p, shape, options(ScalarType.Double)).clone();
        }
    }

    public static Tensor fromLongs(long[] data, long... shape) {
        check(data.length, shape);
        try (LongPointer p = new LongPointer(data)) {
            return torch.from_blob(p, shape, options(ScalarType.Long)).clone();
        }
    }

    /** Wraps raw little-endian bytes of the given dtype (copied, so the buffer may be released afterwards). */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.detach().to(ScalarType.Float).contiguous();
        float[] out = new float[Math.toIntExact(c.numel())];
        if (out.length > 0) c.data_ptr_float().get(out);
        return out;
    }

    public static double[] toDoubles(Tensor t) {
        Tensor c = t.detach().to(ScalarType.Double).contiguous();
        double[] out = new double[Math.toIntExact(c.numel())];
        if (out.length > 0) c.data_ptr_double().get(out);
        return out;
    }

    public static long[] toLongs(Tensor t) {
        Tensor c = t.detach().to(ScalarType.Long).contiguous();
        long[] out = new long[Math.toIntExact(c.numel())];
        if (out.length > 0) c.data_ptr_long().get(out);
        return out;
    }

    /** A view of the tensor's bytes (the tensor must be contiguous and stay alive while the buffer is used). */
    public static ByteBuffer bytes(Tensor contiguous) {
        Pointer p = contiguous.data_ptr();
        long n = contiguous.nbytes();
        return new BytePointer(p).capacity(n).limit(n).asByteBuffer();
    }

    /**
     * The tensor's dtype as the canonical enum constant. JavaCPP returns a fresh enum object from
     * {@code scalar_type()} whose ordinal is not the constant's, so == and switch on it silently fail.
     */
    public static ScalarType dtype(Tensor t) {
        int v = t.scalar_type().value;
        for (ScalarType s : ScalarType.values()) {
            if (s.value == v) return s;
        }
        throw new IllegalStateException("unknown scalar type " + v);
    }

    public static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) s[i] = t.size(i);
        return s;
    }

    public static String shapeString(long[] shape) {
        return Arrays.toString(shape);
    }

    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    public static TensorOptional opt(Tensor t) {
        return t == null ? new TensorOptional() : new TensorOptional(t);
    }

    public static Tensor clamp(Tensor t, double lo, double hi) {
        return torch.clamp(t, new ScalarOptional(new Scalar(lo)), new ScalarOptional(new Scalar(hi)));
    }

    /** Largest absolute element-wise difference, computed in double. */
    public static double maxAbsDiff(Tensor a, Tensor b) {
        Tensor d = a.detach().to(ScalarType.Double).sub(b.detach().to(ScalarType.Double)).abs();
        return d.numel() == 0 ? 0 : d.max().item_double();
    }

    public static double maxAbs(Tensor a) {
        return a.numel() == 0 ? 0 : a.detach().to(ScalarType.Double).abs().max().item_double();
    }

    public static Tensor slice(Tensor t, long dim, long start, long end) {
        return t.narrow(dim, start, end - start);
    }

    /** Legacy "nearest" interpolation to an explicit output size (as torch.nn.functional.interpolate). */
    public static Tensor upsampleNearest(Tensor x, long h, long w) {
        try (LongPointer p = new LongPointer(h, w)) {
            return torch.upsample_nearest2d(x, new LongArrayRef(p, 2), new DoubleOptional(), new DoubleOptional());
        }
    }

    private static void check(int length, long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        if (n != length) {
            throw new IllegalArgumentException("array of " + length + " elements does not fit shape " + Arrays.toString(shape));
        }
    }
}
