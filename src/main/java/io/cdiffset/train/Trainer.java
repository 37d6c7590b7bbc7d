package io.cdiffset.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Progress;
import io.cdiffset.io.AtomicFile;
import io.cdiffset.io.Pictures;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.model.ConfigJson;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The training loop shared by the UNet (C-DiffSET) and VAE trainers: warm-up + cosine learning rate, AdamW,
 * gradient accumulation, every step inside a memory scope, atomic resumable checkpoints, keep-best, JSONL/CSV logs,
 * a loss-curve PNG and periodic sample grids. All randomness of step s comes from (seed, s), so a resumed run
 * continues exactly as an uninterrupted one.
 */
public final class Trainer {
    /** What is being trained. */
    public interface Task {
        String kind();

        Map<String, Tensor> trainable();

        /**
         * Loads and augments one micro-batch (CPU-side arrays only, no tensors). Runs on a background thread ahead
         * of the model; must depend only on its arguments.
         */
        Object load(long step, int micro, SplittableRandom rng);

        /** One micro-batch: forward, loss × scale, backward. Returns the unscaled loss value. */
        double microStep(Object batch, Generator gen, double scale);

        /** Writes the model (diffusers layout) into {@code dir}. */
        void exportModel(Path dir) throws IOException;

        /** Restores trainable weights from a checkpoint folder written by {@link #exportModel}. */
        void restoreModel(Path dir);

        /** Validation metrics (higher "score" is better, used for keep-best) and optional sample grid. */
        Map<String, Double> validate(long step, Path samplesDir, boolean grid);

        String scoreKey();

        /** The convolution and attention shapes a training step runs (checked by value once per CPU before training). */
        default java.util.Set<io.cdiffset.nn.KernelOp> kernelOps() {
            return java.util.Set.of();
        }
    }

    private final TrainConfig cfg;
    private final Task task;
    private final Path out;
    private final Progress progress;
    /** Test hook: called with the step after each optimizer step (e.g. to simulate a crash). */
    public java.util.function.LongConsumer afterStep = s -> {};

    public Trainer(TrainConfig cfg, Task task, Path out, Progress progress) {
        this.cfg = cfg;
        this.task = task;
        this.out = out;
        this.progress = progress;
    }

    public static long mix(long seed, long a, long b) {
        long z = seed * 0x9E3779B97F4A7C15L + a * 0xBF58476D1CE4E5B9L + b * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Trains from step 0, or with {@code resume} from the latest checkpoint in {@code out} (checked against its manifest). */
    public Path run(boolean resume) {
        return run(resume ? new Checkpoints(out).forResume(null) : null);
    }

    /** Trains from step 0 ({@code from} null) or from the checkpoint folder {@code from} (see {@link Checkpoints#forResume}). */
    public Path run(Path from) {
        Engine.init();
        long steps = cfg.l("train.steps");
        int accum = Math.max(1, cfg.i("train.grad_accum"));
        long seed = cfg.l("train.seed");
        Precision precision = Precision.parse(cfg.str("train.precision"));
        LrSchedule lr = new LrSchedule(cfg.d("train.lr"), cfg.l("train.warmup"), steps, cfg.str("train.schedule").equals("cosine"));
        Checkpoints cps = new Checkpoints(out);
        AdamW adam = AdamW.standard(task.trainable(), cfg.d("train.weight_decay"));
        long start = 0;
        double best = Double.NEGATIVE_INFINITY;
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create output folder " + out + ": " + e.getMessage(), e);
        }
        cps.removeDebris(); // what a killed run left: .step-N.tmp folders, .NAME.<n>.tmp files
        if (from != null) {
            Path last = from;
            task.restoreModel(last);
            ConfigJson st = ConfigJson.read(last.resolve(Checkpoints.STATE_FILE));
            start = st.root().path("step").asLong();
            best = st.root().path("best_score").asDouble(Double.NEGATIVE_INFINITY);
            try (SafeTensors opt = SafeTensors.open(last.resolve("optimizer.safetensors"))) {
                adam.loadState(opt.loadAll(), st.root().path("optimizer_step").asLong(start));
            }
            progress.message("resumed from " + last + " at step " + start);
        }
        AtomicFile.writeString(out.resolve("config.yaml"), "# " + cfg.source() + "\n" + cfg.toYaml());
        Log log = new Log(out, start);
        Generator gen = torch.createCPUGenerator(seed);
        long t0 = System.nanoTime();
        long done = 0;
        int every = Math.max(1, cfg.i("log.every"));
        double ema = Double.NaN;
        ExecutorService loader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cdiffset-batch-loader");
            t.setDaemon(true);
            return t;
        });
        ArrayDeque<Future<Object>> ahead = new ArrayDeque<>();
        long nextLoad = start * accum;
        try {
        for (long step = start; step < steps; step++) {
            double loss = 0;
            double rate = lr.at(step);
            while (ahead.size() < 2 * accum && nextLoad < steps * accum) {
                final long idx = nextLoad++;
                ahead.add(loader.submit(() -> task.load(idx / accum, (int) (idx % accum), new SplittableRandom(mix(seed, idx / accum, idx % accum)))));
            }
            try (PointerScope scope = new PointerScope(); Precision.Scope ac = precision.scope()) {
                for (int m = 0; m < accum; m++) {
                    Object batch;
                    try {
                        batch = ahead.poll().get();
                    } catch (ExecutionException e) {
                        throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("training interrupted", e);
                    }
                    gen.set_current_seed(mix(seed, step, 1000 + m));
                    loss += task.microStep(batch, gen, 1.0 / accum) / accum;
                }
            }
            if (!Double.isFinite(loss)) {
                throw new IllegalStateException("loss became " + loss + " at step " + step + "; lower train.lr or use precision fp32 (last checkpoint is intact)");
            }
            try (PointerScope scope = new PointerScope()) {
                adam.step(rate);
                adam.zeroGrad();
            }
            done++;
            long cur = step + 1;
            ema = Double.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
            double secs = (System.nanoTime() - t0) / 1e9;
            double itps = done / secs;
            log.train(cur, loss, rate, itps);
            progress.update(cur, steps, String.format("loss %.4f (avg %.4f) lr %.2e %.2f it/s", loss, ema, rate, itps));
            boolean last = cur == steps;
            if (cur % every == 0 || last) log.plot();
            boolean val = cur % Math.max(1, cfg.l("log.val_every")) == 0 || last;
            boolean grid = cur % Math.max(1, cfg.l("log.sample_every")) == 0 || last;
            Map<String, Double> metrics = null;
            if (val || grid) {
                try (PointerScope scope = new PointerScope()) {
                    metrics = task.validate(cur, out.resolve("samples"), grid);
                }
                log.val(cur, metrics);
                progress.message("step " + cur + " validation " + metrics);
                log.plot();
            }
            if (cur % Math.max(1, cfg.l("log.checkpoint_every")) == 0 || last) {
                final long stepDone = cur;
                final double bestSoFar = metrics != null && metrics.containsKey(task.scoreKey()) ? Math.max(best, metrics.get(task.scoreKey())) : best;
                Path cp = cps.save(cur, dir -> {
                    task.exportModel(dir);
                    Map<String, Tensor> st = new LinkedHashMap<>(adam.state());
                    SafeTensors.write(dir.resolve("optimizer.safetensors"), st, Map.of("format", "pt"));
                    ObjectNode s = ConfigJson.JSON.createObjectNode();
                    s.put("step", stepDone);
                    s.put("optimizer_step", adam.step());
                    s.put("lr", lr.at(stepDone));
                    s.put("seed", seed);
                    s.put("best_score", bestSoFar);
                    s.put("task", task.kind());
                    AtomicFile.writeString(dir.resolve(Checkpoints.STATE_FILE), s.toPrettyString());
                }, cfg.i("log.keep_checkpoints"));
                if (metrics != null && metrics.containsKey(task.scoreKey()) && metrics.get(task.scoreKey()) > best) {
                    best = metrics.get(task.scoreKey());
                    cps.markBest(cp, String.format("step %d %s %.4f", cur, task.scoreKey(), best));
                    progress.message(String.format("new best %s %.4f at step %d", task.scoreKey(), best, cur));
                }
            }
            afterStep.accept(cur);
        }
        } finally {
            loader.shutdownNow();
        }
        progress.finish();
        return cps.latest();
    }

    /** JSONL + CSV training log and the loss-curve PNG. */
    static final class Log {
        private final Path jsonl;
        private final Path csv;
        private final Path png;
        private final List<double[]> train = new ArrayList<>();
        private final List<double[]> val = new ArrayList<>();
        private String valKey;

        Log(Path out, long start) {
            jsonl = out.resolve("log.jsonl");
            csv = out.resolve("log.csv");
            png = out.resolve("loss.png");
            try {
                List<String> keep = new ArrayList<>();
                if (Files.exists(jsonl)) {
                    for (String line : Files.readAllLines(jsonl)) {
                        var n = ConfigJson.JSON.readTree(line);
                        if (n.path("step").asLong() > start) continue; // drop rows after the resumed checkpoint
                        keep.add(line);
                        if (n.has("loss")) train.add(new double[]{n.get("step").asDouble(), n.get("loss").asDouble()});
                        if (n.has("val_loss")) val.add(new double[]{n.get("step").asDouble(), n.get("val_loss").asDouble()});
                    }
                }
                AtomicFile.writeString(jsonl, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
                StringBuilder rows = new StringBuilder("step,loss,lr,it_per_s\n");
                if (Files.exists(csv) && start > 0) {
                    for (String line : Files.readAllLines(csv)) {
                        if (line.isBlank() || line.startsWith("step")) continue;
                        if (Long.parseLong(line.substring(0, line.indexOf(','))) <= start) rows.append(line).append('\n');
                    }
                }
                AtomicFile.writeString(csv, rows.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void train(long step, double loss, double lr, double itps) {
            train.add(new double[]{step, loss});
            append(jsonl, String.format(java.util.Locale.ROOT, "{\"step\":%d,\"loss\":%.6g,\"lr\":%.6g,\"it_per_s\":%.4g}%n", step, loss, lr, itps));
            append(csv, String.format(java.util.Locale.ROOT, "%d,%.6g,%.6g,%.4g%n", step, loss, lr, itps));
        }

        void val(long step, Map<String, Double> m) {
            StringBuilder sb = new StringBuilder("{\"step\":").append(step);
            m.forEach((k, v) -> sb.append(",\"").append(k).append("\":").append(String.format(java.util.Locale.ROOT, "%.6g", v)));
            append(jsonl, sb.append("}\n").toString());
            if (m.containsKey("val_loss")) val.add(new double[]{step, m.get("val_loss")});
        }

        void plot() {
            List<String> names = new ArrayList<>(List.of("train loss"));
            List<double[][]> series = new ArrayList<>();
            series.add(train.toArray(new double[0][]));
            if (!val.isEmpty()) {
                names.add("validation loss");
                series.add(val.toArray(new double[0][]));
            }
            Pictures.lineChart(png, "training loss", "step", names, series);
        }

        private static void append(Path p, String s) {
            try {
                Files.writeString(p, s, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
