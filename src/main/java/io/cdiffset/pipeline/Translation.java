package io.cdiffset.pipeline;

import io.cdiffset.data.SarMapping;
import io.cdiffset.data.SarRows;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.diffusion.SamplingSettings;
import io.cdiffset.engine.InputException;
import io.cdiffset.engine.Progress;
import io.cdiffset.io.raster.AtomicFiles;
import io.cdiffset.io.raster.GeoInfo;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.RasterHeader;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.translate.SarSource;
import io.cdiffset.translate.SceneTranslator;
import io.cdiffset.translate.SceneWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Translating SAR image files into EO image files: the library entry point that the command line, the server and
 * the Spark job share. No printing, no exiting: bad input is an {@link InputException} with a one-line message, and
 * nothing is left on disk by a translation that fails.
 *
 * <pre>{@code
 * Translation t = Translation.load(Path.of("models/default"), null, TranslateOptions.defaults().withConfidence(true), log -> {});
 * Translation.Result r = t.translateFile(Path.of("scene.tif"), Path.of("out"), Progress.NONE);
 * }</pre>
 */
public final class Translation {
    /** The image files a folder input contributes (case-insensitive). */
    public static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".tif", ".tiff");

    /** An input file and its header, read and checked before any model is loaded. */
    public record Input(Path file, RasterHeader header) {
        public boolean georeferenced() {
            return header.geo() != null;
        }
    }

    /** One input's output files: EO, and with the confidence option its colour-mapped PNG and float GeoTIFF (else null). */
    public record Outputs(Path eo, Path confidencePng, Path confidenceTif) {
        public List<Path> all() {
            return confidencePng == null ? List.of(eo) : List.of(eo, confidencePng, confidenceTif);
        }
    }

    /** A translated input: the files written, the number of windows and the wall-clock seconds. */
    public record Result(Path input, List<Path> written, int windows, double seconds) {}

    private final ModelBundle model;
    private final TranslateOptions options;
    private final SamplingSettings sampling;
    private final SceneTranslator translator;
    private final Consumer<String> log;

    /**
     * A translation with {@code model} (already prepared for {@code options.precision()}, see
     * {@link ModelBundle#prepare}); its sampling is the options', else the model's own.
     *
     * @param log receives one-line notes (kernel checks); may ignore them
     */
    public Translation(ModelBundle model, TranslateOptions options, Consumer<String> log) {
        this.model = model;
        this.options = options;
        this.log = log;
        this.sampling = model.sampling().with(options.sampler(), options.steps(), options.sarGuidance());
        if (options.confidence() && model.unet().config().outChannels() <= 4) {
            throw new InputException("--confidence: this model has no variance head (4 output channels)");
        }
        this.translator = newSceneTranslator();
    }

    /** Loads a model folder (or single file; {@code unet} may override its UNet) and prepares it for the options' precision. */
    public static Translation load(Path modelDir, Path unet, TranslateOptions options, Consumer<String> log) {
        checkOptions(modelDir, options);
        return new Translation(ModelBundle.load(modelDir, unet, options.precision()), options, log);
    }

    /**
     * Checks the options against the model folder's own sampling settings without loading the model: a bad option
     * (or {@code sampling.json}) is a one-line error before any file is read. Returns the sampling that would run.
     */
    public static SamplingSettings checkOptions(Path modelDir, TranslateOptions options) {
        SamplingSettings s = ModelBundle.sampling(modelDir).with(options.sampler(), options.steps(), options.sarGuidance());
        new SceneTranslator.Options(s, options.seed(), options.tile(), options.overlap(), options.batch(), options.precision());
        return s;
    }

    public ModelBundle model() {
        return model;
    }

    public TranslateOptions options() {
        return options;
    }

    /**
     * Another scene translator over the same model with the same options, for a thread of its own: a translator is
     * not thread-safe (multistep samplers keep per-run state), the model weights are shared read-only.
     */
    public SceneTranslator newSceneTranslator() {
        return new SceneTranslator(model, new SceneTranslator.Options(sampling, options.seed(), options.tile(), options.overlap(),
                options.batch(), options.precision()));
    }

    /** The scene translator (windows, groups, blend) this translation runs; a distributed job follows its {@link SceneTranslator#plan}. */
    public SceneTranslator sceneTranslator() {
        return translator;
    }

    /** The sampling this translation runs (options over the model's {@code sampling.json} over C-DiffSET's). */
    public SamplingSettings sampling() {
        return sampling;
    }

    /**
     * Translates one image (PNG, JPEG, TIFF, GeoTIFF; 1 or 4 bands) into {@code outDir}: a GeoTIFF with the input's
     * georeferencing, or a PNG (see {@link #outputs}); TIFFs are streamed a band of rows at a time. The outputs are
     * written to temporary files and published when complete; after a failure none of them exists.
     */
    public Result translateFile(Path input, Path outDir, Progress progress) throws IOException {
        long t0 = System.nanoTime();
        Input in = check(List.of(input), options).get(0);
        checkOutputs(List.of(input), List.of(in), outDir, options);
        RasterHeader hdr = in.header();
        checkKernels(hdr);
        SarSource source;
        GeoInfo geo;
        int h = hdr.height(), w = hdr.width();
        if (!Rasters.readWhole(hdr)) {
            // streamed: percentiles in passes over the file, then one band of rows per row of windows
            source = SarRows.open(input, hdr)::rows;
            geo = hdr.geo();
        } else {
            // PNG / JPEG: javax.imageio cannot read windows efficiently, so the image is read whole
            Raster sar = Rasters.read(input);
            source = SarSource.inMemory(SarMapping.toModel(sar, input.getFileName().toString()), sar.height(), sar.width());
            geo = sar.geo();
            h = sar.height();
            w = sar.width();
        }
        Outputs o = outputs(in, outDir, options);
        List<Path> written;
        // a folder this call creates is removed again if the translation fails before publishing into it
        try (OutputFolder folder = OutputFolder.prepare(outDir);
             SceneWriter sink = new SceneWriter(w, h, geo, options.format().equals("cog"), o.eo(), o.confidencePng(), o.confidenceTif())) {
            translator.translate(source, h, w, sink, progress);
            written = sink.commit();
        }
        int[] padded = translator.paddedSize(h, w);
        int windows = SceneTranslator.windows(padded[0], padded[1], options.tile(), options.overlap()).size();
        return new Result(input, written, windows, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Makes sure the kernel paths the windows of an image of this size run are right on this CPU ({@link KernelCheck};
     * cached per CPU, so cheap after the first call). Every process that translates windows calls it first, so all
     * of them run the same kernels.
     */
    public void checkKernels(RasterHeader hdr) {
        int factor = model.vae().config().factor();
        long latH = (Math.min(options.tile(), hdr.height()) + factor - 1) / factor, latW = (Math.min(options.tile(), hdr.width()) + factor - 1) / factor;
        long lat = Math.max(latH, latW); // as the windows of the largest image a run has (the check is cached per CPU)
        KernelCheck.forInference(model.unet().config(), model.vae().config(), lat, lat, options.precision(), log);
    }

    /** The image files of the given files and folders (a folder's images sorted by name); one-line error if none. */
    public static List<Path> collect(List<Path> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path in : inputs) {
            if (Files.isDirectory(in)) {
                try (Stream<Path> s = Files.list(in)) {
                    s.filter(p -> Files.isRegularFile(p) && EXTENSIONS.stream().anyMatch(e -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(e)))
                            .sorted().forEach(files::add);
                }
            } else if (Files.isRegularFile(in)) {
                files.add(in);
            } else {
                throw new InputException("input not found: " + in + "; give an image file or a folder of images");
            }
        }
        if (files.isEmpty()) throw new InputException("no PNG/JPEG/TIFF images found in " + inputs);
        return files;
    }

    /** Reads each file's header and checks it (readable, 1 or 4 bands, within the pixel limit), before any work. */
    public static List<Input> check(List<Path> files, TranslateOptions options) {
        List<Input> out = new ArrayList<>();
        for (Path f : files) {
            RasterHeader h = Rasters.readHeader(f);
            SarMapping.checkBands(h.bands(), f.getFileName().toString());
            Rasters.checkPixels(f, h, options.maxPixels());
            out.add(new Input(f, h));
        }
        return out;
    }

    /**
     * OUT/&lt;name&gt;.tif (georeferenced input, or the cog format) or .png, and with the confidence option
     * OUT/&lt;name&gt;_confidence.png and _confidence.tif.
     */
    public static Outputs outputs(Input input, Path outDir, TranslateOptions options) {
        String stem = stem(input.file());
        Path eo = outDir.resolve(stem + (input.georeferenced() || options.format().equals("cog") ? ".tif" : ".png"));
        return options.confidence() ? new Outputs(eo, outDir.resolve(stem + "_confidence.png"), outDir.resolve(stem + "_confidence.tif"))
                : new Outputs(eo, null, null);
    }

    /**
     * Before anything is loaded or written: no output may land on an input (as with {@code outDir} set to an input
     * folder), no two inputs may share an output, and an existing output is replaced only with the overwrite option.
     *
     * @param args the files and folders the user gave (folders are checked against {@code outDir})
     */
    public static void checkOutputs(List<Path> args, List<Input> inputs, Path outDir, TranslateOptions options) {
        Path outKey = key(outDir);
        for (Path in : args) {
            if (Files.isDirectory(in) && key(in).equals(outKey)) {
                throw new InputException("-o " + outDir + " is the input folder " + in + "; the outputs would overwrite or mix with the inputs; choose another -o");
            }
        }
        Map<Path, Path> inputKeys = new HashMap<>();
        for (Input f : inputs) inputKeys.put(key(f.file()), f.file());
        Map<Path, Path> claimed = new HashMap<>();
        for (Input in : inputs) {
            for (Path t : outputs(in, outDir, options).all()) {
                Path k = key(t);
                if (inputKeys.containsKey(k)) {
                    throw new InputException("output " + t + " would overwrite the input " + inputKeys.get(k) + "; choose another -o");
                }
                Path other = claimed.putIfAbsent(k, in.file());
                if (other != null) {
                    throw new InputException(other.getFileName() + " and " + in.file().getFileName() + " would both be written to " + t
                            + "; translate them into different folders");
                }
                if (!options.overwrite() && Files.exists(t, LinkOption.NOFOLLOW_LINKS)) {
                    throw new InputException("output " + t + " already exists; pass --overwrite to replace it, or choose another -o");
                }
            }
        }
    }

    /** Deletes the temporary files of these inputs' outputs that a killed earlier run left in {@code outDir}. */
    public static void removeStaleTemps(List<Input> inputs, Path outDir, TranslateOptions options) {
        List<Path> mine = new ArrayList<>();
        for (Input in : inputs) mine.addAll(outputs(in, outDir, options).all());
        AtomicFiles.removeStale(outDir, n -> mine.stream().anyMatch(t -> AtomicFiles.isTempOf(n, t)));
    }

    /** A path as the file system resolves it (symbolic links followed as far as the path exists). */
    static Path key(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            // does not exist (yet): resolve its folder
        }
        Path parent = abs.getParent();
        if (parent != null && abs.getFileName() != null) return key(parent).resolve(abs.getFileName().toString());
        return abs;
    }

    /** The file name without its last extension. */
    public static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
