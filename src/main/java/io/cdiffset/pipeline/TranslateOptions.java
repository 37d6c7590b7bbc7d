package io.cdiffset.pipeline;

import io.cdiffset.engine.InputException;
import io.cdiffset.engine.Precision;

/**
 * The options of a translation, as every front end (command line, server, Spark job) takes them. Sampling options
 * left null come from the model folder's {@code sampling.json}, else C-DiffSET's own (see
 * {@link io.cdiffset.diffusion.SamplingSettings}).
 *
 * @param sampler     sampler name (null: the model's)
 * @param steps       sampling steps (null: the model's, else 50)
 * @param sarGuidance SAR guidance scale (null: the model's, else 1)
 * @param seed        noise seed: same seed, same output
 * @param tile        window size in pixels for large images (multiple of 8, at least 32)
 * @param overlap     window overlap in pixels (multiple of 8, below the tile)
 * @param batch       windows translated together
 * @param precision   fp32, or bf16 (weights stored in bf16, autocast)
 * @param confidence  also write the confidence map
 * @param overwrite   replace outputs that exist (an input is never overwritten)
 * @param maxPixels   refuse images larger than this (null: the readers' own limits)
 * @param format      output format: {@code auto} (GeoTIFF with the georeferencing of a georeferenced input, else PNG)
 *                    or {@code cog} (Cloud-Optimized GeoTIFF: tiles, overviews, DEFLATE; georeferenced when the
 *                    input is)
 */
public record TranslateOptions(String sampler, Integer steps, Double sarGuidance, long seed, int tile, int overlap, int batch,
                               Precision precision, boolean confidence, boolean overwrite, Long maxPixels, String format)
        implements java.io.Serializable {
    /** The output formats {@link #format} accepts. */
    public static final java.util.List<String> FORMATS = java.util.List.of("auto", "cog");

    public TranslateOptions {
        if (precision == null) precision = Precision.FP32;
        if (format == null) format = "auto";
        if (!FORMATS.contains(format)) throw new InputException("--format must be one of " + String.join(", ", FORMATS) + ", got " + format);
        if (maxPixels != null && maxPixels < 1) throw new InputException("--max-pixels must be at least 1, got " + maxPixels);
    }

    /** The command line's defaults: the model's sampling, seed 0, 512-pixel windows overlapping by 64, one at a time, fp32. */
    public static TranslateOptions defaults() {
        return new TranslateOptions(null, null, null, 0, 512, 64, 1, Precision.FP32, false, false, null, "auto");
    }

    public TranslateOptions withSampling(String sampler, Integer steps, Double sarGuidance) {
        return new TranslateOptions(sampler, steps, sarGuidance, seed, tile, overlap, batch, precision, confidence, overwrite, maxPixels, format);
    }

    public TranslateOptions withSeed(long seed) {
        return new TranslateOptions(sampler, steps, sarGuidance, seed, tile, overlap, batch, precision, confidence, overwrite, maxPixels, format);
    }

    public TranslateOptions withWindows(int tile, int overlap, int batch) {
        return new TranslateOptions(sampler, steps, sarGuidance, seed, tile, overlap, batch, precision, confidence, overwrite, maxPixels, format);
    }

    public TranslateOptions withPrecision(Precision precision) {
        return new TranslateOptions(sampler, steps, sarGuidance, seed, tile, overlap, batch, precision, confidence, overwrite, maxPixels, format);
    }

    public TranslateOptions withConfidence(boolean confidence) {
        return new TranslateOptions(sampler, steps, sarGuidance, seed, tile, overlap, batch, precision, confidence, overwrite, maxPixels, format);
    }

    public TranslateOptions withOverwrite(boolean overwrite) {
        return new TranslateOptions(sampler, steps, sarGuidance, seed, tile, overlap, batch, precision, confidence, overwrite, maxPixels, format);
    }

    public TranslateOptions withMaxPixels(Long maxPixels) {
        return new TranslateOptions(sampler, steps, sarGuidance, seed, tile, overlap, batch, precision, confidence, overwrite, maxPixels, format);
    }

    public TranslateOptions withFormat(String format) {
        return new TranslateOptions(sampler, steps, sarGuidance, seed, tile, overlap, batch, precision, confidence, overwrite, maxPixels, format);
    }
}
