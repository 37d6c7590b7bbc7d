package io.cdiffset.cli;

import io.cdiffset.engine.Precision;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.pipeline.OutputFolder;
import io.cdiffset.pipeline.TranslateOptions;
import io.cdiffset.pipeline.Translation;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "translate", mixinStandardHelpOptions = true,
        description = {"Translate SAR images (PNG, JPEG, TIFF, GeoTIFF; 1 or 4 bands; 8/16-bit or float) into EO (RGB).",
                "Writes OUT/<name>.png, or OUT/<name>.tif with the input's georeferencing when the input is a GeoTIFF;",
                "with --confidence also OUT/<name>_confidence.png (colour-mapped) and OUT/<name>_confidence.tif (float)."})
final class TranslateCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "INPUT", description = "SAR image file(s) or folder(s)") List<Path> inputs;
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "output folder") Path out;
    @Option(names = "--overwrite", description = "replace output files that already exist (an input file is never overwritten)") boolean overwrite;
    @Option(names = "--confidence", description = "also write the confidence map (1/variance at the middle sampling step, min-max normalised)") boolean confidence;
    @Option(names = "--tile", defaultValue = "512", description = "window size in pixels for large images (default: ${DEFAULT-VALUE})") int tile;
    @Option(names = "--overlap", defaultValue = "64", description = "window overlap in pixels (default: ${DEFAULT-VALUE})") int overlap;
    @Option(names = "--batch", defaultValue = "1", description = "windows translated together (default: ${DEFAULT-VALUE})") int batch;
    @Option(names = "--max-pixels", paramLabel = "N", description = {"refuse images larger than N pixels, before any pixel memory is used (default: "
            + Rasters.MAX_WHOLE_PIXELS + " for PNG / JPEG, read whole; " + Rasters.MAX_STREAMED_PIXELS + " for TIFF, streamed)"}) Long maxPixels;
    @Option(names = "--format", defaultValue = "auto", description = {"auto: GeoTIFF for a georeferenced input, else PNG;",
            "cog: Cloud-Optimized GeoTIFF (256² tiles, overviews, DEFLATE), with the input's georeferencing when it has one (default: ${DEFAULT-VALUE})"}) String format;
    @CommandLine.Mixin ModelOptions model;
    @CommandLine.Mixin SamplingOptions sampling;

    @Override
    public Integer call() throws Exception {
        TranslateOptions opt = new TranslateOptions(sampling.sampler, sampling.steps, sampling.sarGuidance, sampling.seed, tile, overlap, batch,
                Precision.parse(model.precision), confidence, overwrite, maxPixels, format);
        Path modelDir = model.modelDir();
        model.checkDevice();
        Translation.checkOptions(modelDir, opt);
        List<Path> files = Translation.collect(inputs);
        List<Translation.Input> checked = Translation.check(files, opt); // every input and output before any work
        Translation.checkOutputs(inputs, checked, out, opt);
        try (OutputFolder folder = OutputFolder.prepare(out)) { // removed again if this run fails before writing into it
            Translation.removeStaleTemps(checked, out, opt);
            Translation t = Translation.load(modelDir, model.unetFile(), opt, m -> System.err.println("cdiffset: " + m));
            System.err.printf("translating %d image(s) with %s (%s, seed %d, %s) → %s%n", files.size(), modelDir, t.sampling().describe(),
                    opt.seed(), model.precision, out);
            for (int i = 0; i < files.size(); i++) {
                ConsoleProgress p = new ConsoleProgress(String.format("[%d/%d] %s", i + 1, files.size(), files.get(i).getFileName()));
                Translation.Result r = t.translateFile(files.get(i), out, p);
                p.finish();
                r.written().forEach(System.out::println);
            }
        }
        return 0;
    }
}
