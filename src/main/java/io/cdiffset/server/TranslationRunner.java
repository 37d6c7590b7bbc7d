package io.cdiffset.server;

import io.cdiffset.data.SarMapping;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.engine.Progress;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import io.cdiffset.pipeline.TranslateOptions;
import io.cdiffset.pipeline.Translation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs a job with the server's one loaded model through {@link Translation#translateFile} into the job's {@code out}
 * folder, then writes the PNG previews the page shows: the SAR as the model sees it, and the EO as PNG when the
 * translation wrote a GeoTIFF (browsers show neither TIFF nor 16-bit SAR).
 */
final class TranslationRunner implements Jobs.Runner {
    /** Inputs up to this size get previews (about 16 bytes per pixel while one is made); larger ones have downloads only. */
    static final long PREVIEW_MAX_PIXELS = 25_000_000L;
    static final String OUT = "out", SAR_PNG = "sar.png", EO_PNG = "eo.png";

    private final ModelBundle model;
    private final TranslateOptions base;
    private final Consumer<String> log;

    /** @param base the server's options (precision, windows, pixel limit) that each job's parameters refine */
    TranslationRunner(ModelBundle model, TranslateOptions base, Consumer<String> log) {
        this.model = model;
        this.base = base;
        this.log = log;
    }

    /** The options of a job; constructing its {@link Translation} is the check that they suit the model. */
    TranslateOptions options(JobParams params) {
        TranslateOptions o = params.apply(base).withOverwrite(true); // the out folder is the job's own: a rerun replaces it
        new Translation(model, o, log);
        return o;
    }

    @Override
    public Jobs.Outcome run(JobRecord job, Path dir, Progress progress) throws IOException {
        TranslateOptions opt = options(job.params());
        Path input = dir.resolve(job.input()), out = dir.resolve(OUT);
        Translation.Input in = Translation.check(List.of(input), opt).get(0);
        if (Files.isDirectory(out)) Translation.removeStaleTemps(List.of(in), out, opt); // left by a run the server's stop cut short
        Translation.Result r = new Translation(model, opt, log).translateFile(input, out, progress);
        Translation.Outputs o = Translation.outputs(in, out, opt);
        boolean preview = (long) job.width() * job.height() <= PREVIEW_MAX_PIXELS;
        String eoPng = null, sarPng = null;
        if (!in.georeferenced()) {
            eoPng = rel(dir, o.eo());
        } else if (preview) {
            Rasters.writePng(dir.resolve(EO_PNG), Rasters.read(o.eo()));
            eoPng = EO_PNG;
        }
        if (preview) {
            writeSarPreview(input, dir.resolve(SAR_PNG));
            sarPng = SAR_PNG;
        }
        return new Jobs.Outcome(rel(dir, o.eo()), eoPng, sarPng, o.confidencePng() == null ? null : rel(dir, o.confidencePng()),
                o.confidenceTif() == null ? null : rel(dir, o.confidenceTif()), r.seconds());
    }

    /** The SAR as the model sees it ({@link SarMapping}): grey for one band, HH / cross-pol / VV as RGB for four. */
    static void writeSarPreview(Path input, Path png) {
        Raster sar = Rasters.read(input);
        float[] m = SarMapping.toModel(sar, input.getFileName().toString());
        int bands = sar.bands() == 1 ? 1 : 3, n = sar.planeSize();
        float[] v = new float[bands * n];
        for (int i = 0; i < v.length; i++) v[i] = (m[i] + 1) * 127.5f;
        Rasters.writePng(png, new Raster(sar.width(), sar.height(), bands, v, SampleType.U8));
    }

    private static String rel(Path dir, Path file) {
        return dir.relativize(file).toString().replace('\\', '/');
    }
}
