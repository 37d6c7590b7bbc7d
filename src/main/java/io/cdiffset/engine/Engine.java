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
     * True when backward passes may use oneDNN's convolution kernels (CDIFFSET_MKLDNN_BACKWARD=1 or
     * -Dcdiffset.mkldnnBackward=true). Off by default: on an AMD EPYC (Zen 5) VM this libtorch build's oneDNN
     * convolution backward-data returned wrong input gradients, NaN at times, for 10-40 % of layer shapes, in fp32 and
     * bf16 and at every ISA level, while its forward and weight gradients were right (ConvBackwardTest).
     */
    public static boolean mkldnnBackward() {
        String p = System.getProperty("cdiffset.mkldnnBackward");
        if (p != null) return Boolean.parseBoolean(p.trim());
        String e = System.getenv("CDIFFSET_MKLDNN_BACKWARD");
        return e != null && (e.trim().equals("1") || e.trim().equalsIgnoreCase("true"));
    }

    /**
     * {@code loss.backward()}, with convolution gradients computed by libtorch's native kernels unless
     * {@link #mkldnnBackward()}: the forward keeps oneDNN; the backward costs about 1.5× more (demo UNet, batch 16,
     * 16² latents: 280 → 430 ms measured) and is right. The flag is process-wide; backward runs on the calling thread.
     */
    public static void backward(Tensor loss) {
        init();
        if (mkldnnBackward()) {
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
