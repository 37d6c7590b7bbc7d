package io.cdiffset.spark;

import io.cdiffset.pipeline.TranslateOptions;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * What a Spark translation job does, as shipped to every task: the model (a folder every executor can read: a shared
 * path, or one shipped with the job), the translation options, the output folder (a path every executor can write:
 * a shared file system) and the libtorch threads each task uses (0: the executor's cores).
 *
 * @param modelDir model folder
 * @param unet     UNet override (null: the folder's)
 * @param outDir   output folder
 * @param threads  libtorch intra-op threads per executor JVM (0: {@code spark.executor.cores}, else all the cores)
 */
public record JobSpec(String modelDir, String unet, TranslateOptions options, String outDir, int threads) implements Serializable {
    public JobSpec {
        if (threads < 0) throw new IllegalArgumentException("--threads must be 0 (the executor's cores) or more, got " + threads);
    }

    public Path model() {
        return Path.of(modelDir);
    }

    public Path unetPath() {
        return unet == null ? null : Path.of(unet);
    }

    public Path out() {
        return Path.of(outDir);
    }

    /**
     * A short key of everything that changes the translated numbers (model, sampling, seed, windows, precision): the
     * scratch of window groups from an earlier run is reused only under the same key.
     */
    public String resultKey() {
        TranslateOptions o = options;
        String s = String.join("|", modelDir, String.valueOf(unet), String.valueOf(o.sampler()), String.valueOf(o.steps()),
                String.valueOf(o.sarGuidance()), Long.toString(o.seed()), Integer.toString(o.tile()), Integer.toString(o.overlap()),
                Integer.toString(o.batch()), o.precision().name());
        return Integer.toHexString(s.hashCode());
    }

    /** {@link #resultKey} plus what changes the set of output files (format, confidence): a scene's manifest key. */
    public String outputKey() {
        return resultKey() + "-" + options.format() + (options.confidence() ? "-confidence" : "");
    }
}
