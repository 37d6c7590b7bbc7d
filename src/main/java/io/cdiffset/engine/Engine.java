package io.cdiffset.engine;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Process-wide libtorch settings: threads and seeding. */
public final class Engine {
    private static volatile boolean initialised;

    private Engine() {}

    private static int blasThreads = -1;

    /**
     * Sets intra-op threads to the available cores (or CDIFFSET_THREADS) once, and OpenBLAS's own thread pool (which
     * this libtorch build uses for fp32 matrix products, independently of torch's OpenMP threads) to 1, or to
     * CDIFFSET_BLAS_THREADS.
     */
    public static void init() {
        init(false);
    }

    /**
     * {@link #init()} for a process that trains: libtorch's large allocations also get transparent huge pages
     * ({@link RuntimeOptions#hugePages} auto or true). libtorch reads {@code THP_MEM_ALLOC_ENABLE} at its first CPU
     * allocation; from then on, allocations of 2 MB and more are 2 MB-aligned and madvise(MADV_HUGEPAGE)d. A training
     * step allocates and frees gigabytes of weight-sized tensors (gradients, bf16 weight copies); on 4 KB pages the
     * kernel faulted and zeroed each page, which took more than half of the full-size step (fp32 19.1 → 7.5 s, bf16
     * 24.0 → 7.5 s measured, most of it system time). Inference gains nothing from it and its resident memory grows
     * (512² bf16 translation peak 2,588 → 2,772 MiB; +20 MB instead of +10 over 100 sampling steps), so only
     * training asks for it. Has no effect once libtorch has allocated.
     */
    public static void initForTraining() {
        init(true);
    }

    private static synchronized void init(boolean training) {
        if (initialised) return;
        RuntimeOptions o = RuntimeOptions.current();
        if (o.hugePages().equals("true") || (training && o.hugePages().equals("auto"))) torch.set_env("THP_MEM_ALLOC_ENABLE", "1", false);
        torch.set_num_threads(o.threads() != null ? o.threads() : Runtime.getRuntime().availableProcessors());
        // OpenBLAS (fp32 GEMM in this build) runs single-threaded inside libtorch's own parallel regions: a second
        // spinning thread pool on 2 cores made every small matrix product wait (UNet forward 1.3 s → 57 ms measured).
        int blas = o.blasThreads() != null ? o.blasThreads() : 1;
        try {
            org.bytedeco.openblas.global.openblas.blas_set_num_threads(blas);
            blasThreads = blas;
        } catch (Throwable e) {
            blasThreads = -1; // no OpenBLAS in this build: nothing to set
        }
        // NNPACK cannot run on CPUs it does not know (it warns on every native convolution there) and only ever serves
        // batch-1 fp32 forward convolutions, which oneDNN does anyway.
        torch.globalContext().setUserEnabledNNPACK(false);
        initialised = true;
    }

    /** OpenBLAS threads set by {@link #init()}, or -1 if it was not set. */
    public static int blasThreads() {
        return blasThreads;
    }

    /**
     * True when backward passes should avoid oneDNN altogether ({@link RuntimeOptions#nativeBackward}): a fallback for
     * a CPU where even the channels-last convolution gradients that {@code Conv2d} uses for training turn out wrong.
     * Off by default; costs 3-14× in convolution backward time.
     */
    public static boolean nativeBackward() {
        return RuntimeOptions.current().nativeBackward();
    }

    /**
     * {@code loss.backward()}; with {@link #nativeBackward()}, oneDNN is disabled while it runs so libtorch's native
     * kernels compute every gradient. The flag is process-wide; backward runs on the calling thread.
     */
    public static void backward(Tensor loss) {
        init();
        if (!nativeBackward()) {
            loss.backward();
            return;
        }
        synchronized (Engine.class) {
            boolean was = torch.globalContext().userEnabledMkldnn();
            torch.globalContext().setUserEnabledMkldnn(false);
            try {
                loss.backward();
            } finally {
                torch.globalContext().setUserEnabledMkldnn(was);
            }
        }
    }

    public static void seed(long seed) {
        init();
        torch.manual_seed(seed);
    }

    /** Native memory held by the process (JavaCPP's physical-bytes figure). */
    public static long physicalBytes() {
        return Pointer.physicalBytes();
    }
}
