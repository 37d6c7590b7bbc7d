package io.cdiffset.engine;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import java.util.function.Supplier;

/**
 * Bounded native memory for long loops. Every tensor handle made inside a {@link PointerScope} stays alive (and
 * keeps its storage alive) until that scope closes, so one scope around a 50-step sampling loop holds every
 * activation of every step. {@link #scoped} runs a piece of work in its own scope and hands only its result on to
 * the enclosing scope. Numerics are untouched: the same ops run, only Java handles are released earlier (autograd
 * keeps whatever backward needs through libtorch's own reference counts).
 */
public final class Scopes {
    private Scopes() {}

    /**
     * Runs {@code work} in a fresh scope; intermediates are released when it returns. The result is a new handle to
     * the same tensor, owned by the enclosing scope (or by the garbage collector when there is none), so returning
     * an input or a parameter is safe too.
     */
    public static Tensor scoped(Supplier<Tensor> work) {
        return scopedAll(() -> new Tensor[]{work.get()})[0];
    }

    /** As {@link #scoped} for several results (null entries stay null). */
    public static Tensor[] scopedAll(Supplier<Tensor[]> work) {
        Tensor[] keep;
        try (PointerScope inner = new PointerScope()) {
            Tensor[] r = work.get();
            keep = new Tensor[r.length];
            for (int i = 0; i < r.length; i++) {
                if (r[i] == null) continue;
                keep[i] = new Tensor(r[i]); // attached to inner: count 1
                keep[i].retainReference(); // 2; inner.close() brings it back to 1
            }
        }
        PointerScope outer = PointerScope.getInnerScope();
        if (outer != null) {
            for (Tensor k : keep) {
                if (k == null) continue;
                outer.attach(k); // 2
                k.releaseReference(); // 1, released when the enclosing scope closes
            }
        }
        return keep;
    }

    /**
     * Frees this handle now instead of when its scope closes: for an intermediate of a long chain (the VAE at 512²)
     * whose every stage's output would otherwise stay alive until the whole pass returned. Only for a handle the caller
     * made and will not use again; the tensor itself lives on while libtorch holds other references to it.
     */
    public static void release(Tensor t) {
        PointerScope s = PointerScope.getInnerScope();
        if (s != null) s.detach(t); // its scope's reference: the last one, so the handle is freed here
        else t.close();
    }

    /** {@code stage.apply(h)}, then {@link #release}s {@code h}: one link of a chain of intermediates. */
    public static Tensor then(Tensor h, java.util.function.UnaryOperator<Tensor> stage) {
        Tensor next = stage.apply(h);
        release(h);
        return next;
    }
}
