package io.cdiffset.nn;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A persistent bf16 copy of an fp32 parameter for mixed-precision training: the forward pass under autocast computes
 * with it, its gradient lands on it (in bf16), and the optimizer updates the fp32 master and refreshes the copy.
 * <p>This is what autocast does for a parameter anyway (it rounds the fp32 weight to bf16 for every conv / linear /
 * matmul, and its backward turns the bf16 weight gradient into fp32), without allocating and page-faulting a new
 * bf16 weight and a new fp32 gradient of every weight on every step (full-size UNet: 1.7 + 3.5 GB per step). The
 * values a step computes with are the same: the copy is always the master rounded to bf16, re-rounded whenever the
 * master has changed since ({@link #current()}, by the master's in-place version counter), so a checkpoint restore
 * or any other in-place change of the master is seen by the next forward.
 */
public final class WorkingCopy {
    private final Tensor master;
    private final Tensor low;
    private long syncedVersion = -1;

    WorkingCopy(Tensor master, ScalarType type) {
        this.master = master;
        try (NoGradGuard g = new NoGradGuard(); PointerScope s = new PointerScope()) {
            Tensor t = master.detach().to(type).contiguous();
            t.requires_grad_(true);
            this.low = t;
            low.retainReference();
        }
    }

    /** The fp32 parameter (what the optimizer updates and checkpoints store). */
    public Tensor master() {
        return master;
    }

    /** The bf16 leaf the forward pass uses; its {@code grad()} is the master's gradient in bf16. */
    public Tensor low() {
        return low;
    }

    /** The low-precision copy, first re-rounded from the master if the master has changed since the last time. */
    public Tensor current() {
        long v = master.__dispatch__version();
        if (v != syncedVersion) {
            try (NoGradGuard g = new NoGradGuard()) {
                low.copy_(master);
            }
            syncedVersion = v; // copying into the copy leaves the master's version as it was
        }
        return low;
    }

    /**
     * Records that the caller has just written the master, rounded, into {@link #low()} itself (the optimizer does it
     * slice by slice while the slice is still in cache), so {@link #current()} need not copy again.
     */
    public void markSynced() {
        syncedVersion = master.__dispatch__version();
    }
}
