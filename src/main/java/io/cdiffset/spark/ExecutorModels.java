package io.cdiffset.spark;

import io.cdiffset.engine.Engine;
import io.cdiffset.pipeline.Translation;
import io.cdiffset.translate.SceneTranslator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.Objects;

/**
 * What an executor JVM keeps between tasks: the loaded model (loaded by the first task that needs it, then shared
 * by every task of the JVM, whatever the job) and the last scene's seeded noise canvas. Keyed by what they depend on,
 * so a JVM that runs a second job with another model or seed reloads.
 */
final class ExecutorModels {
    private record ModelKey(String modelDir, String unet, Object sampling, long seed, int tile, int overlap, int batch, Object precision, int threads) {}

    private record CanvasKey(long seed, int hp, int wp) {}

    private static ModelKey loadedKey;
    private static Translation loaded;
    private static CanvasKey canvasKey;
    private static Tensor canvas;
    private static final ThreadLocal<Translation> THREAD_OWNER = new ThreadLocal<>();
    private static final ThreadLocal<SceneTranslator> THREAD_TRANSLATOR = new ThreadLocal<>();

    private ExecutorModels() {}

    /** The job's model in this JVM, loaded on first use; libtorch threads set to the job's (or the executor's cores). */
    static synchronized Translation translation(JobSpec spec) {
        var o = spec.options();
        int threads = threads(spec);
        ModelKey key = new ModelKey(spec.modelDir(), spec.unet(), java.util.List.of(String.valueOf(o.sampler()), String.valueOf(o.steps()),
                String.valueOf(o.sarGuidance())), o.seed(), o.tile(), o.overlap(), o.batch(), o.precision(), threads);
        if (!key.equals(loadedKey)) {
            loaded = null; // let the previous model go first
            Engine.init();
            torch.set_num_threads(threads);
            loaded = Translation.load(spec.model(), spec.unetPath(), o, m -> System.err.println("cdiffset: " + m));
            loadedKey = key;
        }
        return loaded;
    }

    /**
     * A scene translator of the job's model for the calling task thread: the model is shared by the JVM, the
     * translator (whose multistep samplers keep per-run state) is the thread's own, as tasks may run side by side.
     */
    static SceneTranslator sceneTranslator(JobSpec spec) {
        Translation t = translation(spec);
        if (THREAD_OWNER.get() != t) {
            THREAD_TRANSLATOR.set(t.newSceneTranslator());
            THREAD_OWNER.set(t);
        }
        return THREAD_TRANSLATOR.get();
    }

    /** The scene's seeded noise canvas ({@link SceneTranslator#noiseCanvas}), made once per scene and JVM. */
    static synchronized Tensor canvas(long seed, int hp, int wp) {
        CanvasKey key = new CanvasKey(seed, hp, wp);
        if (!Objects.equals(key, canvasKey)) {
            canvas = SceneTranslator.noiseCanvas(seed, hp, wp);
            canvasKey = key;
        }
        return canvas;
    }

    /** The job's threads, else {@code spark.executor.cores} of this executor, else every core of the machine. */
    private static int threads(JobSpec spec) {
        if (spec.threads() > 0) return spec.threads();
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        if (env != null && env.conf().contains("spark.executor.cores")) return env.conf().getInt("spark.executor.cores", 1);
        return Runtime.getRuntime().availableProcessors();
    }
}
