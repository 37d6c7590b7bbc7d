package io.cdiffset.engine;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.global.torch;

/** Process-wide libtorch settings: threads and seeding. */
public final class Engine {
    private static volatile boolean initialised;

    private Engine() {}

    /** Sets intra-op threads to the available cores (or CDIFFSET_THREADS) once. */
    public static synchronized void init() {
        if (initialised) return;
        int threads = Runtime.getRuntime().availableProcessors();
        String env = System.getenv("CDIFFSET_THREADS");
        if (env != null && !env.isBlank()) threads = Integer.parseInt(env.trim());
        torch.set_num_threads(threads);
        initialised = true;
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
