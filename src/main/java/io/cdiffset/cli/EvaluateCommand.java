package io.cdiffset.cli;

import io.cdiffset.pipeline.OutputFolder;

import io.cdiffset.data.Datasets;
import io.cdiffset.data.PairDataset;
import io.cdiffset.data.SarMapping;
import io.cdiffset.engine.Engine;
import io.cdiffset.io.AtomicFile;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.metrics.EvaluationReport;
import io.cdiffset.pipeline.Evaluator;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.hub.HubModels;
import io.cdiffset.diffusion.SamplingSettings;
import io.cdiffset.train.PairImages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Score EO predictions with the paper's metrics: PSNR, SSIM, SCC (torchmetrics definitions), LPIPS-VGG and FID",
                "(when their backbone weights are given; otherwise reported as skipped). Writes report.md, per_image.csv,",
                "summary.csv and index.html (SAR | prediction | target | confidence). Columns *_authors_quirk use the C-DiffSET",
                "authors' clamp(x+0.5) de-normalisation, for comparison with the paper's tables only.",
                "Either --pred DIR --target DIR, or --model M --data D to translate the test split and score it."})
final class EvaluateCommand implements Callable<Integer> {
    @Option(names = "--pred", paramLabel = "DIR", description = "predicted EO images")
    Path pred;
    @Option(names = "--target", paramLabel = "DIR", description = "reference EO images (same file names as --pred)")
    Path target;
    @Option(names = "--sar", paramLabel = "DIR", description = "SAR inputs for the grid (optional, same names)")
    Path sar;
    @Option(names = "--model", paramLabel = "DIR", description = "model folder, or ORG/NAME pulled with cdiffset pull: translate the --data split, then score")
    Path model;
    @Option(names = "--unet", paramLabel = "FILE", description = "C-DiffSET UNet file for a diffusers --model folder")
    Path unet;
    @Option(names = "--data", paramLabel = "DIR", description = "dataset folder (pairs.csv, QXS-SAROPT, SAR2Opt, SpaceNet6)")
    Path data;
    @Option(names = "--split", defaultValue = "test", description = "test or train (default: ${DEFAULT-VALUE})")
    String split;
    @Option(names = "--crop", defaultValue = "256", description = "non-overlapping crops of this size are scored (default: ${DEFAULT-VALUE})")
    int crop;
    @picocli.CommandLine.Mixin
    SamplingOptions sampling;
    @Option(names = "--batch", defaultValue = "4")
    int batch;
    @Option(names = "--limit", defaultValue = "0", description = "score only the first N crops (0 = all)")
    int limit;
    @Option(names = "--spread", paramLabel = "K", defaultValue = "0", description = "score K crops spread evenly over the split (crop ⌊i·n/K⌋; each keeps the noise it has in a whole-split run), for quicker comparisons (0 = all)")
    int spread;
    @Option(names = "--precision", defaultValue = "fp32", description = "fp32 or bf16 (default: ${DEFAULT-VALUE})")
    String precision;
    @Option(names = "--baselines", description = "also score a flat image of the training set's mean EO colour and the SAR shown as grey RGB")
    boolean baselines;
    @Option(names = "--reconstruct", description = "score the model's VAE instead: prediction = decode(encode(target EO)) (how well the VAE fits your data)")
    boolean reconstruct;
    @Option(names = "--lpips-vgg", paramLabel = "FILE", description = "torchvision VGG16 weights for LPIPS: vgg16-397923af.pth or safetensors (default: that file in the torch hub cache, $TORCH_HOME/hub/checkpoints)")
    Path lpipsVgg;
    @Option(names = "--inception", paramLabel = "FILE", description = "pytorch-fid InceptionV3 weights for FID: pt_inception-2015-12-05-6726825d.pth or safetensors (default: that file in the torch hub cache)")
    Path inception;
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "report folder")
    Path out;
    @Option(names = "--allow-missing", description = "with --pred/--target: score only the files present in both folders (default: unmatched files are an error)")
    boolean allowMissing;
    @Option(names = "--max-pixels", paramLabel = "N", description = "with --pred/--target: refuse images larger than N pixels, before reading them (default: "
            + Rasters.MAX_WHOLE_PIXELS + "; images are read whole)")
    Long maxPixels;
    @Option(names = "--no-images", description = "do not write per-image PNGs / the HTML grid")
    boolean noImages;
    @Option(names = "--overwrite", description = "replace a report that already exists in -o (default: refuse)")
    boolean overwrite;

    /** The files a report consists of; an -o holding any of them already holds a report. */
    static final List<String> REPORT_FILES = List.of("report.md", "summary.csv", "per_image.csv", "index.html", "comparison.md");

    @Override
    public Integer call() throws IOException {
        model = HubModels.resolve(model); // ORG/NAME[/FILE] from the Hugging Face cache (never downloaded)
        unet = HubModels.resolve(unet);
        lpipsVgg = HubModels.resolve(lpipsVgg);
        inception = HubModels.resolve(inception);
        refuseExistingReport(); // before any model loading or scoring
        Engine.init();
        try (OutputFolder folder = OutputFolder.prepare(out)) { // removed again if this run fails before writing into it
            return evaluate();
        }
    }

    private int evaluate() throws IOException {
        Evaluator ev = new Evaluator(lpipsVgg, inception, io.cdiffset.metrics.nets.TorchHub.fromEnvironment()); // report.md names the files
        if (pred != null || target != null) {
            if (pred == null || target == null) throw new UserError("give both --pred DIR and --target DIR");
            List<Evaluator.Example> ex = fromFolders();
            finish(ev.evaluate("cdiffset evaluate: " + pred + " vs " + target, ex, out, !noImages, new ConsoleProgress("scoring")), out);
            return 0;
        }
        if (model == null || data == null) throw new UserError("give --pred DIR --target DIR, or --model DIR --data DIR");
        if (!split.equals("test") && !split.equals("train")) throw new UserError("--split must be test or train");
        if (spread < 0 || limit < 0) throw new UserError("--spread and --limit take a crop count of 0 or more");
        io.cdiffset.engine.Precision prec = io.cdiffset.engine.Precision.parse(precision);
        ConsoleProgress prep = new ConsoleProgress("loading data");
        PairImages[] parts = PairImages.load(data, "auto", "auto", 0.8, 2024, crop, prep);
        prep.finish();
        PairImages set = split.equals("test") ? parts[1] : parts[0];
        List<String> ids = set.gridIds(crop);
        int n = limit > 0 ? Math.min(limit, ids.size()) : ids.size();
        PairImages.Crops crops = set.gridCrops(crop, 0, n);
        int plane = 3 * crop * crop;
        int[] cropIndex = null;
        if (spread > 0 && spread < n) { // an even spread over the split, each crop at its own position
            cropIndex = new int[spread];
            float[] sarK = new float[spread * plane], eoK = new float[spread * plane];
            List<String> idsK = new ArrayList<>();
            for (int j = 0; j < spread; j++) {
                int i = (int) ((long) j * n / spread);
                cropIndex[j] = i;
                System.arraycopy(crops.sar(), i * plane, sarK, j * plane, plane);
                System.arraycopy(crops.eo(), i * plane, eoK, j * plane, plane);
                idsK.add(ids.get(i));
            }
            crops = new PairImages.Crops(sarK, eoK, spread, crop);
            ids = idsK;
            n = spread;
        }
        Map<String, List<Evaluator.Example>> runs = new LinkedHashMap<>();
        ModelBundle bundle = ModelBundle.load(model, unet, prec);
        long latent = crop / bundle.vae().config().factor();
        io.cdiffset.pipeline.KernelCheck.forInference(bundle.unet().config(), bundle.vae().config(), latent, latent,
                prec, m -> System.err.println("cdiffset: " + m));
        SamplingSettings settings = bundle.sampling().with(sampling.sampler, sampling.steps, sampling.sarGuidance);
        long seed = sampling.seed;
        System.err.printf("translating %d %dx%d crops of the %s split with %s (%s, %s)%n", n, crop, crop, split, model, settings.describe(), prec.name().toLowerCase(Locale.ROOT));
        List<float[][]> preds = reconstruct ? Evaluator.reconstructCrops(bundle, crops.eo(), n, crop, batch, new ConsoleProgress("reconstruct"))
                : Evaluator.translateCrops(bundle, crops.sar(), n, crop, settings, seed, cropIndex, prec, batch, new ConsoleProgress("translate"));
        List<Evaluator.Example> main = new ArrayList<>(), flat = new ArrayList<>(), grey = new ArrayList<>();
        float[] mean = baselines ? meanColour(parts[0]) : null;
        for (int i = 0; i < n; i++) {
            float[] s = unit(java.util.Arrays.copyOfRange(crops.sar(), i * plane, (i + 1) * plane));
            float[] t = unit(java.util.Arrays.copyOfRange(crops.eo(), i * plane, (i + 1) * plane));
            main.add(new Evaluator.Example(ids.get(i), s, preds.get(i)[0], t, preds.get(i)[1], crop, crop));
            if (baselines) {
                float[] f = new float[plane];
                for (int c = 0; c < 3; c++) java.util.Arrays.fill(f, c * crop * crop, (c + 1) * crop * crop, mean[c]);
                flat.add(new Evaluator.Example(ids.get(i), s, f, t, null, crop, crop));
                grey.add(new Evaluator.Example(ids.get(i), s, s, t, null, crop, crop));
            }
        }
        runs.put("model", main);
        if (baselines) {
            runs.put("baseline-mean-colour", flat);
            runs.put("baseline-grey-sar", grey);
        }
        StringBuilder cmp = new StringBuilder("| method | PSNR | SSIM | SCC | LPIPS | FID |\n|---|---|---|---|---|---|\n");
        for (Map.Entry<String, List<Evaluator.Example>> e : runs.entrySet()) {
            Path dir = e.getKey().equals("model") ? out : out.resolve(e.getKey());
            EvaluationReport rep = ev.evaluate(e.getKey() + ": " + model + " on " + data + " (" + split + ", " + n + " crops of " + crop + ")",
                    e.getValue(), dir, !noImages && e.getKey().equals("model"), new ConsoleProgress("scoring " + e.getKey()));
            rep.putMetadata("model", model.toString()).putMetadata("data", data.toString()).putMetadata("split", split)
                    .putMetadata("crops", n + " x " + crop + "x" + crop).putMetadata("sampler", settings.sampler()).putMetadata("steps", Integer.toString(settings.steps())).putMetadata("seed", Long.toString(seed))
                    .putMetadata("sar_guidance", Double.toString(settings.sarGuidance()))
                    .putMetadata("precision", prec.name().toLowerCase(Locale.ROOT));
            finish(rep, dir);
            cmp.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", e.getKey(), rep.meanPsnr().display(3), rep.meanSsim().display(4),
                    rep.meanScc().display(4), rep.meanLpips().display(4), rep.fid().display(2)));
        }
        if (baselines) {
            AtomicFile.writeString(out.resolve("comparison.md"), "# Model vs baselines (standard convention)\n\n" + cmp);
            System.out.print(cmp);
        }
        return 0;
    }

    /** Refuses (exit 2) an -o that already holds a report (or a baseline report) unless --overwrite. */
    void refuseExistingReport() {
        if (overwrite) return;
        List<Path> dirs = new ArrayList<>(List.of(out));
        if (baselines) {
            dirs.add(out.resolve("baseline-mean-colour"));
            dirs.add(out.resolve("baseline-grey-sar"));
        }
        for (Path d : dirs) {
            for (String f : REPORT_FILES) {
                if (Files.exists(d.resolve(f), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw new UserError("-o " + out + " already holds a report (" + d.resolve(f).getFileName() + "); pass --overwrite to replace it, or choose another -o");
                }
            }
        }
    }

    private static void finish(EvaluationReport rep, Path dir) throws IOException {
        rep.writeAll(dir);
        System.out.print(rep.toMarkdown());
        System.err.println("report: " + dir.resolve("report.md") + " (grid: " + dir.resolve("index.html") + ")");
    }

    /** The training split's mean EO colour in [0,1]. */
    static float[] meanColour(PairImages train) {
        double[] sum = new double[3];
        long cnt = 0;
        for (PairImages.Image im : train.images()) {
            int plane = im.height() * im.width();
            for (int c = 0; c < 3; c++) for (int i = 0; i < plane; i++) sum[c] += im.eo()[c * plane + i] * 0.5 + 0.5;
            cnt += plane;
        }
        return new float[]{(float) (sum[0] / cnt), (float) (sum[1] / cnt), (float) (sum[2] / cnt)};
    }

    static float[] unit(float[] m11) {
        float[] o = new float[m11.length];
        for (int i = 0; i < o.length; i++) o[i] = Math.max(0f, Math.min(1f, m11[i] * 0.5f + 0.5f));
        return o;
    }

    private List<Evaluator.Example> fromFolders() throws IOException {
        List<Matched> pairs = match();
        List<Evaluator.Example> ex = new ArrayList<>();
        for (Matched m : pairs) { // sizes checked before any image is read whole
            for (Path f : m.sar() == null ? List.of(m.pred(), m.target()) : List.of(m.pred(), m.target(), m.sar())) {
                Rasters.checkPixels(f, Rasters.readHeader(f), maxPixels, true);
            }
        }
        for (Matched m : pairs) {
            Path p = m.pred(), t = m.target(), sp = m.sar();
            Raster pr = Rasters.read(p), tr = Rasters.read(t);
            if (pr.width() != tr.width() || pr.height() != tr.height()) {
                throw new UserError(p.getFileName() + " is " + pr.width() + "x" + pr.height() + " but its target " + t.getFileName() + " is " + tr.width() + "x" + tr.height());
            }
            float[] s = null;
            if (sp != null) s = unit(SarMapping.toModel(Rasters.read(sp), sp.getFileName().toString()));
            ex.add(new Evaluator.Example(m.stem(), s, rgb01(pr, p), rgb01(tr, t), null, pr.height(), pr.width()));
        }
        return ex;
    }

    record Matched(String stem, Path pred, Path target, Path sar) {}

    /**
     * Predictions and targets matched by file name (without extension). A file in one folder with no counterpart in
     * the other is an error naming up to 5 of them and the count, unless --allow-missing (then a warning).
     */
    List<Matched> match() throws IOException {
        Map<String, Path> targets = byStem(target), preds = byStem(pred);
        Map<String, Path> sars = sar == null ? Map.of() : byStem(sar);
        List<String> unmatched = new ArrayList<>();
        List<Matched> pairs = new ArrayList<>();
        for (Map.Entry<String, Path> p : preds.entrySet()) {
            Path t = targets.get(p.getKey());
            if (t == null) unmatched.add(p.getValue().getFileName() + " (no target)");
            else pairs.add(new Matched(p.getKey(), p.getValue(), t, sars.get(p.getKey())));
        }
        for (Map.Entry<String, Path> t : targets.entrySet()) {
            if (!preds.containsKey(t.getKey())) unmatched.add(t.getValue().getFileName() + " (no prediction)");
        }
        if (!unmatched.isEmpty()) {
            String list = String.join(", ", unmatched.subList(0, Math.min(5, unmatched.size())))
                    + (unmatched.size() > 5 ? " and " + (unmatched.size() - 5) + " more" : "");
            String what = unmatched.size() + " file(s) of --pred " + pred + " and --target " + target + " have no counterpart (matched by file name): " + list;
            if (!allowMissing) throw new UserError(what + "; pass --allow-missing to score only the " + pairs.size() + " matched pair(s)");
            System.err.println("cdiffset: warning: " + what + "; scoring only the " + pairs.size() + " matched pair(s) (--allow-missing)");
        }
        if (pairs.isEmpty()) throw new UserError("no image of --pred " + pred + " has a target in " + target + " (matched by file name)");
        return pairs;
    }

    private static Map<String, Path> byStem(Path dir) throws IOException {
        Map<String, Path> m = new LinkedHashMap<>();
        for (Path p : io.cdiffset.pipeline.Translation.collect(List.of(dir))) m.putIfAbsent(io.cdiffset.pipeline.Translation.stem(p), p);
        return m;
    }

    private static float[] rgb01(Raster r, Path file) {
        if (r.bands() < 3) throw new UserError(file.getFileName() + " has " + r.bands() + " band(s); EO images must be RGB");
        double max = switch (r.sampleType()) {
            case U8 -> 255.0;
            case U16 -> 65535.0;
            default -> 1.0;
        };
        int plane = r.width() * r.height();
        float[] o = new float[3 * plane];
        for (int i = 0; i < o.length; i++) o[i] = (float) Math.max(0, Math.min(1, r.data()[i] / max));
        return o;
    }
}
