package io.cdiffset.cli;

import io.cdiffset.engine.Precision;
import io.cdiffset.pipeline.TranslateOptions;
import io.cdiffset.pipeline.Translation;
import io.cdiffset.spark.JobSpec;
import io.cdiffset.spark.SceneFiles;
import io.cdiffset.spark.SparkJobs;
import io.cdiffset.spark.SparkTranslate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "spark-translate", mixinStandardHelpOptions = true,
        description = {"Translate a set of SAR scenes on Apache Spark: locally (--master local[N], the default) or, with the same",
                "arguments after spark-submit's, on a cluster. The unit of work is a window group, so one large scene spreads over every executor.",
                "Writes OUT/<scene>.tif (Cloud-Optimized GeoTIFF by default), OUT/_manifest/<scene>.json and OUT/_report.csv;",
                "a second run skips the scenes whose outputs are complete. Exit 0 when no scene failed, 1 otherwise."})
final class SparkTranslateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MANIFEST", description = "a folder of scenes, a glob (quoted) or a CSV file of scene paths; any Hadoop file system path")
    String manifest;
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "output folder, writable by every executor (a shared file system on a cluster)")
    Path out;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: spark-submit's, else local[*])")
    String master;
    @Option(names = "--threads", defaultValue = "0", description = "libtorch threads per executor (default: spark.executor.cores, else all cores)")
    int threads;
    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "a Spark setting (repeatable), e.g. --conf spark.executor.memory=8g")
    Map<String, String> conf = new java.util.LinkedHashMap<>();
    @Option(names = "--confidence", description = "also write the confidence map") boolean confidence;
    @Option(names = "--format", defaultValue = "cog", description = "cog (Cloud-Optimized GeoTIFF) or auto (GeoTIFF / PNG as translate) (default: ${DEFAULT-VALUE})")
    String format;
    @Option(names = "--tile", defaultValue = "512", description = "window size in pixels (default: ${DEFAULT-VALUE})") int tile;
    @Option(names = "--overlap", defaultValue = "64", description = "window overlap in pixels (default: ${DEFAULT-VALUE})") int overlap;
    @Option(names = "--batch", defaultValue = "1", description = "windows per task, translated together (default: ${DEFAULT-VALUE})") int batch;
    @Option(names = "--max-pixels", paramLabel = "N", description = "refuse scenes larger than N pixels") Long maxPixels;
    @CommandLine.Mixin ModelOptions model;
    @CommandLine.Mixin SamplingOptions sampling;

    @Override
    public Integer call() throws Exception {
        TranslateOptions opt = new TranslateOptions(sampling.sampler, sampling.steps, sampling.sarGuidance, sampling.seed, tile, overlap, batch,
                Precision.parse(model.precision), confidence, true, maxPixels, format);
        Path modelDir = model.modelDir().toAbsolutePath();
        if (!model.device.equals("cpu") && !model.device.equals("cuda")) throw new UserError("--device must be cpu or cuda, got " + model.device);
        Translation.checkOptions(modelDir, opt);
        JobSpec spec = new JobSpec(modelDir.toString(), model.unet == null ? null : model.unet.toAbsolutePath().toString(), opt,
                out.toAbsolutePath().toString(), threads);
        try (var sc = SparkJobs.context("cdiffset spark-translate", master, conf)) {
            List<String> scenes = SceneFiles.list(manifest, sc.hadoopConfiguration());
            SparkJobs.checkOutFolder(scenes, out);
            System.err.printf("cdiffset: translating %d scene(s) on %s with %s (seed %d, %s) → %s%n", scenes.size(), sc.master(), modelDir, opt.seed(),
                    model.precision, out);
            SparkTranslate.Report r = SparkTranslate.run(sc, spec, scenes, System.err);
            return r.count(SparkTranslate.Status.FAILED) == 0 ? 0 : 1;
        }
    }
}
