package io.cdiffset.cli;

import io.cdiffset.data.SarMapping;
import io.cdiffset.data.SarRows;
import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Precision;
import io.cdiffset.io.raster.GeoInfo;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.RasterHeader;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.pipeline.KernelCheck;
import io.cdiffset.pipeline.ModelBundle;
import io.cdiffset.translate.SarSource;
import io.cdiffset.translate.SceneTranslator;
import io.cdiffset.translate.SceneWriter;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "translate", mixinStandardHelpOptions = true,
        description = {"Translate SAR images (PNG, JPEG, TIFF, GeoTIFF; 1 or 4 bands; 8/16-bit or float) into EO (RGB).",
                "Writes OUT/<name>.png, or OUT/<name>.tif with the input's georeferencing when the input is a GeoTIFF;",
                "with --confidence also OUT/<name>_confidence.png (colour-mapped) and OUT/<name>_confidence.tif (float)."})
final class TranslateCommand implements Callable<Integer> {
    static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".tif", ".tiff");

    @Parameters(arity = "1..*", paramLabel = "INPUT", description = "SAR image file(s) or folder(s)")
    List<Path> inputs;
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "output folder")
    Path out;
    @Option(names = "--model", paramLabel = "PATH", description = "model folder (default: the shipped models/default); a diffusers SD 2.1-base folder needs --unet")
    Path model;
    @Option(names = "--unet", paramLabel = "FILE", description = "C-DiffSET 8-in/5-out UNet safetensors to use with a diffusers --model folder")
    Path unet;
    @Option(names = "--steps", paramLabel = "N", description = "sampling steps (default: the model's sampling.json, else 50)")
    Integer stepsOption;
    int steps;
    @Option(names = "--sampler", paramLabel = "NAME", description = {
            "ddim (C-DiffSET's), dpmpp_2m, dpmpp_2m_karras, euler or unipc, as diffusers computes them",
            "(default: the model's sampling.json, else ddim); few-step samplers give usable images at 10-20 steps"})
    String sampler;
    @Option(names = "--seed", defaultValue = "0", description = "noise seed; same seed, same output (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--confidence", description = "also write the confidence map (1/variance at the middle DDIM step, min-max normalised)")
    boolean confidence;
    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda (default: ${DEFAULT-VALUE})")
    String device;
    @Option(names = "--precision", defaultValue = "fp32", description = "fp32 or bf16 (default: ${DEFAULT-VALUE})")
    String precision;
    @Option(names = "--tile", defaultValue = "512", description = "window size in pixels for large images (default: ${DEFAULT-VALUE})")
    int tile;
    @Option(names = "--overlap", defaultValue = "64", description = "window overlap in pixels (default: ${DEFAULT-VALUE})")
    int overlap;
    @Option(names = "--batch", defaultValue = "1", description = "windows translated together (default: ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--sar-guidance", paramLabel = "S", description = {
            "how strongly the output follows the SAR: each step also runs the UNet without the SAR and extrapolates (2x the UNet work);",
            "1 = plain C-DiffSET sampling; > 1 needs a UNet trained with train.sar_dropout (default: the model's own, else 1)"})
    Double sarGuidance;

    @Option(names = "--max-pixels", paramLabel = "N", description = {"refuse images larger than N pixels, before any pixel memory is used (default: "
            + Rasters.MAX_WHOLE_PIXELS + " for PNG / JPEG, read whole; " + Rasters.MAX_STREAMED_PIXELS + " for TIFF, streamed)"})
    Long maxPixels;

    @Option(names = "--overwrite", description = "replace output files that already exist (an input file is never overwritten)")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        Path modelDir = model != null ? model : defaultModel();
        // each setting: the option given, else the model folder's own (sampling.json), else C-DiffSET's (1, ddim, 50)
        steps = stepsOption != null ? stepsOption : ModelBundle.steps(modelDir, 50);
        String samplerName = sampler != null ? sampler : ModelBundle.sampler(modelDir);
        SceneTranslator.Options opt = new SceneTranslator.Options(steps, seed, tile, overlap, batch, Precision.parse(precision),
                sarGuidance != null ? sarGuidance : ModelBundle.sarGuidance(modelDir), samplerName);
        if (device.equals("cuda")) {
            Engine.init();
            if (!torch.cuda_is_available()) throw new UserError("--device cuda: no CUDA device is available to this libtorch build; use --device cpu");
            throw new UserError("--device cuda: run with the CUDA libtorch build (org.bytedeco:pytorch linux-x86_64-gpu); this build is CPU-only");
        } else if (!device.equals("cpu")) {
            throw new UserError("--device must be cpu or cuda, got " + device);
        }
        List<Path> files = collect(inputs);
        // validate every input before any work: readable header, 1 or 4 bands, non-empty
        List<RasterHeader> headers = new ArrayList<>();
        for (Path f : files) {
            RasterHeader h = Rasters.readHeader(f);
            SarMapping.checkBands(h.bands(), f.getFileName().toString());
            Rasters.checkPixels(f, h, maxPixels);
            headers.add(h);
        }
        checkOutputs(files, headers);
        Engine.init(); // libtorch is loaded only once the inputs and outputs are known good: a refusal stays quick and small
        try (OutputFolder folder = OutputFolder.prepare(out)) { // removed again if this run fails before writing into it
            removeStaleTemps(files, headers);
            translate(files, headers, modelDir, opt);
        }
        return 0;
    }

    private void translate(List<Path> files, List<RasterHeader> headers, Path modelDir, SceneTranslator.Options opt) throws IOException {
        ModelBundle bundle = ModelBundle.load(modelDir, unet);
        if (opt.precision() == Precision.BF16) {
            // conv / linear weights kept in bf16: half the memory, no per-step cast (numerics as autocast)
            bundle.unet().storeMatmulWeightsAs(torch.ScalarType.BFloat16);
            bundle.vae().storeMatmulWeightsAs(torch.ScalarType.BFloat16);
        }
        if (confidence && bundle.unet().config().outChannels() <= 4) {
            throw new UserError("--confidence: this model has no variance head (4 output channels)");
        }
        int factor = bundle.vae().config().factor(), largest = 0;
        for (RasterHeader hd : headers) largest = Math.max(largest, Math.max(hd.height(), hd.width()));
        long latent = (Math.min(tile, largest) + factor - 1) / factor; // windows are at most a tile
        KernelCheck.forInference(bundle.unet().config(), bundle.vae().config(), latent, latent, opt.precision(), m -> System.err.println("cdiffset: " + m));
        SceneTranslator tr = new SceneTranslator(bundle, opt);
        System.err.printf("translating %d image(s) with %s (%s, %d steps, seed %d, %s%s) → %s%n", files.size(), modelDir, opt.sampler(), steps, seed, precision,
                opt.sarGuidance() == 1.0 ? "" : ", SAR guidance " + opt.sarGuidance(), out);
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            RasterHeader hdr = headers.get(i);
            SarSource source;
            GeoInfo geo;
            int h = hdr.height(), w = hdr.width();
            if (hdr.format().contains("TIFF")) {
                // streamed: percentiles in passes over the file, then one band of rows per row of windows
                source = SarRows.open(f, hdr)::rows;
                geo = hdr.geo();
            } else {
                // PNG / JPEG: javax.imageio cannot read windows efficiently, so the image is read whole
                Raster sar = Rasters.read(f);
                source = SarSource.inMemory(SarMapping.toModel(sar, f.getFileName().toString()), sar.height(), sar.width());
                geo = sar.geo();
                h = sar.height();
                w = sar.width();
            }
            ConsoleProgress p = new ConsoleProgress(String.format("[%d/%d] %s", i + 1, files.size(), f.getFileName()));
            List<Path> written;
            try (SceneWriter sink = writer(f, w, h, geo)) {
                tr.translate(source, h, w, sink, p);
                p.finish();
                written = sink.commit();
            }
            for (Path wr : written) System.out.println(wr);
        }
    }

    /**
     * Before anything is loaded or written: no output may land on an input (as with -o set to an input folder),
     * no two inputs may share an output, and an existing output is replaced only with --overwrite.
     */
    void checkOutputs(List<Path> files, List<RasterHeader> headers) {
        Path outKey = key(out);
        for (Path in : inputs) {
            if (Files.isDirectory(in) && key(in).equals(outKey)) {
                throw new UserError("-o " + out + " is the input folder " + in + "; the outputs would overwrite or mix with the inputs; choose another -o");
            }
        }
        Map<Path, Path> inputKeys = new HashMap<>();
        for (Path f : files) inputKeys.put(key(f), f);
        Map<Path, Path> claimed = new HashMap<>();
        for (int i = 0; i < files.size(); i++) {
            for (Path t : targets(files.get(i), headers.get(i).geo() != null)) {
                Path k = key(t);
                if (inputKeys.containsKey(k)) {
                    throw new UserError("output " + t + " would overwrite the input " + inputKeys.get(k) + "; choose another -o");
                }
                Path other = claimed.putIfAbsent(k, files.get(i));
                if (other != null) {
                    throw new UserError(other.getFileName() + " and " + files.get(i).getFileName() + " would both be written to " + t + "; translate them into different folders");
                }
                if (!overwrite && Files.exists(t, LinkOption.NOFOLLOW_LINKS)) {
                    throw new UserError("output " + t + " already exists; pass --overwrite to replace it, or choose another -o");
                }
            }
        }
    }

    /** Deletes the temporary files of this run's outputs that a killed earlier run left in OUT (.NAME.<digits>.tmp). */
    void removeStaleTemps(List<Path> files, List<RasterHeader> headers) {
        List<Path> mine = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) mine.addAll(targets(files.get(i), headers.get(i).geo() != null));
        io.cdiffset.io.raster.AtomicFiles.removeStale(out, n -> mine.stream().anyMatch(t -> io.cdiffset.io.raster.AtomicFiles.isTempOf(n, t)));
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
        if (parent != null && abs.getFileName() != null) {
            Path k = key(parent);
            return k.resolve(abs.getFileName().toString());
        }
        return abs;
    }

    /** OUT/&lt;name&gt;.tif (georeferenced input) or .png, and with --confidence _confidence.png and _confidence.tif. */
    List<Path> targets(Path input, boolean georeferenced) {
        String stem = stem(input);
        Path eo = out.resolve(stem + (georeferenced ? ".tif" : ".png"));
        return confidence ? List.of(eo, out.resolve(stem + "_confidence.png"), out.resolve(stem + "_confidence.tif")) : List.of(eo);
    }

    /**
     * The outputs of one input: OUT/&lt;name&gt;.tif (GeoTIFF, if the input is georeferenced) or .png, and with
     * --confidence OUT/&lt;name&gt;_confidence.png and _confidence.tif; written as the rows arrive, published at the end.
     */
    SceneWriter writer(Path input, int w, int h, GeoInfo geo) throws IOException {
        List<Path> t = targets(input, geo != null);
        return new SceneWriter(w, h, geo, t.get(0), confidence ? t.get(1) : null, confidence ? t.get(2) : null);
    }

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    static List<Path> collect(List<Path> inputs) throws IOException {
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
                throw new UserError("input not found: " + in + "; give an image file or a folder of images");
            }
        }
        if (files.isEmpty()) throw new UserError("no PNG/JPEG/TIFF images found in " + inputs);
        return files;
    }

    /** models/default next to the launcher (the repo), or CDIFFSET_HOME/models/default. */
    static Path defaultModel() {
        String home = System.getenv("CDIFFSET_HOME");
        Path p = home != null ? Path.of(home, "models", "default") : Path.of("models", "default");
        if (!Files.isDirectory(p)) throw new UserError("no --model given and the default model is not at " + p.toAbsolutePath() + "; pass --model PATH");
        return p;
    }
}
