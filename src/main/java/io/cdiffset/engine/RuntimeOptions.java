package io.cdiffset.engine;

/**
 * The process-wide knobs of cdiffset, in one object: which kernels to prefer, how many threads, whether backward
 * passes avoid oneDNN. They come from {@code -D} system properties and environment variables (read in
 * {@link #fromEnvironment()}, the only place that reads them), are set once by the command line's {@code Main}, and
 * a library user may {@link #set} their own before the first model runs. Without either, the environment's values
 * are used on first access.
 *
 * @param attention          {@code -Dcdiffset.attention}: auto (fused SDPA, in fp32 for bf16 inputs), fused or math
 * @param bf16ChannelsLast   {@code -Dcdiffset.bf16ChannelsLast} (default true): bf16 inference convolutions take channels-last input
 * @param convMatmul         {@code -Dcdiffset.convMatmul}: auto, on (every convolution as a matrix product), off (only 1×1 ones)
 * @param nativeBackward     {@code CDIFFSET_NATIVE_BACKWARD=1} or {@code -Dcdiffset.nativeBackward=true}: backward passes
 *                           use libtorch's native kernels instead of oneDNN (a fallback; 3-14× slower convolution backward)
 * @param threads            {@code CDIFFSET_THREADS}: intra-op threads (null: the available cores)
 * @param blasThreads        {@code CDIFFSET_BLAS_THREADS}: OpenBLAS threads (null: 1)
 * @param benchTranslateReps {@code -Dcdiffset.bench.translateReps}: timed whole translations per bench case (null: the bench's own)
 * @param debug              {@code CDIFFSET_DEBUG} set: errors print their stack trace
 * @param gemm               {@code -Dcdiffset.gemm}: auto (large fp32 inference products on oneDNN, the rest on OpenBLAS), blas, onednn
 * @param hugePages          {@code -Dcdiffset.hugePages}: auto (default: in training processes), true (every process) or false;
 *                           libtorch then asks for transparent huge pages on its allocations of 2 MB and more (see
 *                           {@link Engine#initForTraining}); left alone when {@code THP_MEM_ALLOC_ENABLE} is set
 */
public record RuntimeOptions(String attention, boolean bf16ChannelsLast, String convMatmul, boolean nativeBackward, Integer threads,
                             Integer blasThreads, Integer benchTranslateReps, boolean debug, String gemm, String hugePages) {
    private static volatile RuntimeOptions current;

    /** The options of this process: as {@link #set}, else read from the environment on first use. */
    public static RuntimeOptions current() {
        RuntimeOptions o = current;
        if (o == null) {
            synchronized (RuntimeOptions.class) {
                if (current == null) current = fromEnvironment();
                o = current;
            }
        }
        return o;
    }

    /** Sets the options of this process (the command line does so once, at start). */
    public static void set(RuntimeOptions options) {
        current = options;
    }

    /** The options given by system properties and environment variables (the one place that reads them). */
    public static RuntimeOptions fromEnvironment() {
        String nb = System.getProperty("cdiffset.nativeBackward");
        String nbEnv = System.getenv("CDIFFSET_NATIVE_BACKWARD");
        boolean nativeBackward = nb != null ? Boolean.parseBoolean(nb.trim())
                : nbEnv != null && (nbEnv.trim().equals("1") || nbEnv.trim().equalsIgnoreCase("true"));
        return new RuntimeOptions(System.getProperty("cdiffset.attention", "auto"),
                !"false".equals(System.getProperty("cdiffset.bf16ChannelsLast")),
                System.getProperty("cdiffset.convMatmul", "auto"),
                nativeBackward,
                envInt("CDIFFSET_THREADS"),
                envInt("CDIFFSET_BLAS_THREADS"),
                Integer.getInteger("cdiffset.bench.translateReps"),
                System.getenv("CDIFFSET_DEBUG") != null,
                System.getProperty("cdiffset.gemm", "auto"),
                System.getenv("THP_MEM_ALLOC_ENABLE") != null ? "false" : System.getProperty("cdiffset.hugePages", "auto"));
    }

    private static Integer envInt(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? null : Integer.parseInt(v.trim());
    }
}
