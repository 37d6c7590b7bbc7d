package io.cdiffset.engine;

import org.bytedeco.javacpp.Pointer;
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
    public static synchronized void init() {
        if (initialised) return;
        int threads = Runtime.getRuntime().availableProcessors();
        String env = System.getenv("CDIFFSET_THREADS");
        if (env != null && !env.isBlank()) threads = Integer.parseInt(env.trim());
        torch.set_num_threads(threads);
        // OpenBLAS (fp32 GEMM in this build) runs single-threaded inside libtorch's own parallel regions: a second
        // spinning thread pool on 2 cores made every small matrix product wait (UNet forward 1.3 s → 57 ms measured).
        int blas = 1;
        String benv = System.getenv("CDIFFSET_BLAS_THREADS");
        if (benv != null && !benv.isBlank()) blas = Integer.parseInt(benv.trim());
        try {
            org.bytedeco.openblas.global.openblas.blas_set_num_threads(blas);
            blasThreads = blas;
        } catch (Throwable e) {
            blasThreads = -1; // no OpenBLAS in this build: nothing to set
        }
        initialised = true;
    }

    /** OpenBLAS threads set by {@link #init()}, or -1 if it was not set. */
    public static int blasThreads() {
        return blasThreads;
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
