package io.cdiffset.diffusion;

import org.bytedeco.pytorch.Tensor;

/**
 * Handles for a multistep sampler's history (previous model outputs, the last sample). The sampling loop runs each
 * step in its own {@link org.bytedeco.javacpp.PointerScope} ({@code Scopes.scopedAll}), which would free every handle
 * made during the step, so a kept tensor gets its own handle with one reference of its own that survives the step's
 * scope; {@link #drop} frees it as soon as the sampler no longer needs it (else the garbage collector does). The same
 * pattern as {@code Scopes.scopedAll}; it only affects Java handles, never values.
 */
final class History {
    private History() {}

    static Tensor keep(Tensor t) {
        if (t == null) return null;
        Tensor h = new Tensor(t); // attached to the current scope, if any (count 1)
        h.retainReference();      // our own reference: the scope's close leaves it at 1
        return h;
    }

    static void drop(Tensor t) {
        if (t != null && !t.isNull() && t.referenceCount() > 0) t.releaseReference();
    }
}
