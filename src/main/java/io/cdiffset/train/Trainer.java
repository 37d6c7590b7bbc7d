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
 * continues exactly as an uninterrupted one. {@link #run} reads as its parts: {@link #step}, validation, checkpoint.
 *
 * @param <B> the task's micro-batch type
 */
public final class Trainer<B> {
    /**
     * What is being trained.
     *
     * @param <B> one micro-batch as loaded ahead of the model (CPU-side arrays)
     */
    public interface Task<B> {
        String kind();

        Map<String, Tensor> trainable();

        /** The model whose parameters {@link #trainable()} names (bf16 training gives it working copies). */
        io.cdiffset.nn.Module module();

        /**
         * Loads and augments one micro-batch (CPU-side arrays only, no tensors). Runs on a background thread ahead
         * of the model; must depend only on its arguments.
         */
        B load(long step, int micro, SplittableRandom rng);

        /** One micro-batch: forward, loss × scale, backward. Returns the unscaled loss value. */
        double microStep(B batch, Generator gen, double scale);

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

    /**
     * What a checkpoint's {@link Checkpoints#STATE_FILE} holds besides the weights and AdamW moments: where the run
     * stands, so that {@code --resume} continues exactly.
     *
     * @param step          optimizer steps done
     * @param optimizerStep AdamW's own step count (its bias correction)
     * @param lr            the learning rate of the next step (for people reading the file)
     * @param bestScore     the best validation score so far (keep-best), -Infinity before any
     */
    public record CheckpointState(long step, long optimizerStep, double lr, long seed, double bestScore, String task) {
        void write(Path dir) {
            ObjectNode s = ConfigJson.JSON.createObjectNode();
            s.put("step", step);
            s.put("optimizer_step", optimizerStep);
            s.put("lr", lr);
            s.put("seed", seed);
            s.put("best_score", bestScore);
            s.put("task", task);
            AtomicFile.writeString(dir.resolve(Checkpoints.STATE_FILE), s.toPrettyString());
        }

        static CheckpointState read(Path dir) {
            var n = ConfigJson.read(dir.resolve(Checkpoints.STATE_FILE)).root();
            long step = n.path("step").asLong();
            return new CheckpointState(step, n.path("optimizer_step").asLong(step), n.path("lr").asDouble(), n.path("seed").asLong(),
                    n.path("best_score").asDouble(Double.NEGATIVE_INFINITY), n.path("task").asText());
        }
    }

    private final TrainConfig cfg;
    private final TrainSettings settings;
    private final Task<B> task;
    private final Path out;
    private final Progress progress;
    private final Checkpoints cps;
    private final LrSchedule lr;
    private final AdamW adam;
    private final Precision precision;
    /** Test hook: called with the step after each optimizer step (e.g. to simulate a crash). */
    public java.util.function.LongConsumer afterStep = s -> {};
    private double best = Double.NEGATIVE_INFINITY;

    public Trainer(TrainConfig cfg, Task<B> task, Path out, Progress progress) {
        this.cfg = cfg;
        this.settings = cfg.settings();
        this.task = task;
        this.out = out;
        this.progress = progress;
        this.cps = new Checkpoints(out);
        Engine.initForTraining();
        TrainSettings.Train t = settings.train();
        this.precision = Precision.parse(t.precision());
        this.lr = new LrSchedule(t.lr(), t.warmup(), t.steps(), t.schedule().equals("cosine"));
        this.adam = AdamW.forTraining(task.module(), task.trainable(), t.weightDecay(), precision);
    }

    public static long mix(long seed, long a, long b) {
        long z = seed * 0x9E3779B97F4A7C15L + a * 0xBF58476D1CE4E5B9L + b * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Trains from step 0, or with {@code resume} from the latest checkpoint in {@code out} (checked against its manifest). */
    public Path run(boolean resume) {
        return run(resume ? cps.forResume(null) : null);
    }

    /** Trains from step 0 ({@code from} null) or from the checkpoint folder {@code from} (see {@link Checkpoints#forResume}). */
    public Path run(Path from) {
        Engine.initForTraining();
        TrainSettings.Train t = settings.train();
        TrainSettings.Log l = settings.log();
        long start = prepare(from);
        Log log = new Log(out, start);
        Generator gen = torch.createCPUGenerator(t.seed());
        long t0 = System.nanoTime();
        double ema = Double.NaN;
        try (Loader loader = new Loader(start)) {
            for (long step = start; step < t.steps(); step++) {
                double rate = lr.at(step);
                double loss = step(step, rate, loader, gen);
                long cur = step + 1;
                ema = Double.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
                double itps = (cur - start) / ((System.nanoTime() - t0) / 1e9);
                log.train(cur, loss, rate, itps);
                progress.update(cur, t.steps(), String.format("loss %.4f (avg %.4f) lr %.2e %.2f it/s", loss, ema, rate, itps));
                boolean last = cur == t.steps();
                if (cur % Math.max(1, l.every()) == 0 || last) log.plot();
                Map<String, Double> metrics = validate(cur, due(cur, l.valEvery()) || last, due(cur, l.sampleEvery()) || last, log);
                if (due(cur, l.checkpointEvery()) || last) checkpoint(cur, metrics);
                afterStep.accept(cur);
            }
        }
        progress.finish();
        return cps.latest();
    }

    private static boolean due(long step, long every) {
        return step % Math.max(1, every) == 0;
    }

    /** Creates the output folder, clears a killed run's debris, restores a checkpoint, writes config.yaml; returns the first step. */
    private long prepare(Path from) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create output folder " + out + ": " + e.getMessage(), e);
        }
        cps.removeDebris(); // what a killed run left: .step-N.tmp folders, .NAME.<n>.tmp files
        long start = 0;
        if (from != null) {
            task.restoreModel(from);
            CheckpointState st = CheckpointState.read(from);
            start = st.step();
            best = st.bestScore();
            try (SafeTensors opt = SafeTensors.open(from.resolve("optimizer.safetensors"))) {
                adam.loadState(opt.loadAll(), st.optimizerStep());
            }
            progress.message("resumed from " + from + " at step " + start);
        }
        AtomicFile.writeString(out.resolve("config.yaml"), "# " + cfg.source() + "\n" + cfg.toYaml());
        return start;
    }

    /**
     * One optimizer step: {@code train.grad_accum} micro-batches (forward, loss, backward, in one memory scope and
     * the run's precision), then AdamW at {@code rate}. All randomness derives from (seed, step). Returns the loss.
     */
    double step(long step, double rate, Loader loader, Generator gen) {
        TrainSettings.Train t = settings.train();
        int accum = t.accumulation();
        double loss = 0;
        loader.fill();
        try (PointerScope scope = new PointerScope(); Precision.Scope ac = precision.scope()) {
            for (int m = 0; m < accum; m++) {
                B batch = loader.next();
                gen.set_current_seed(mix(t.seed(), step, 1000 + m));
                loss += task.microStep(batch, gen, 1.0 / accum) / accum;
                if (accum > 1) adam.foldWorkingGradients(); // micro-batches add up in fp32
            }
        }
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException("loss became " + loss + " at step " + step + "; lower train.lr or use precision fp32 (last checkpoint is intact)");
        }
        update(adam, rate, precision);
        return loss;
    }

    /** The optimizer half of a step: AdamW at {@code rate} on the accumulated gradients, then cleared (the bench times it too). */
    public static void update(AdamW adam, double rate, Precision precision) {
        try (PointerScope scope = new PointerScope()) {
            adam.step(rate);
            adam.clearGrad(precision);
        }
    }

    /** Validation (and the sample grid) when due after step {@code cur}; null when neither is. */
    private Map<String, Double> validate(long cur, boolean val, boolean grid, Log log) {
        if (!val && !grid) return null;
        Map<String, Double> metrics;
        try (PointerScope scope = new PointerScope()) {
            metrics = task.validate(cur, out.resolve("samples"), grid);
        }
        log.val(cur, metrics);
        progress.message("step " + cur + " validation " + metrics);
        log.plot();
        return metrics;
    }

    /** Writes the checkpoint of step {@code cur} (weights, AdamW moments, state) and keeps the best by validation score. */
    private void checkpoint(long cur, Map<String, Double> metrics) {
        String key = task.scoreKey();
        Double score = metrics != null ? metrics.get(key) : null;
        double bestSoFar = score != null ? Math.max(best, score) : best;
        Path cp = cps.save(cur, dir -> {
            task.exportModel(dir);
            SafeTensors.write(dir.resolve("optimizer.safetensors"), new LinkedHashMap<>(adam.state()), Map.of("format", "pt"));
            new CheckpointState(cur, adam.step(), lr.at(cur), settings.train().seed(), bestSoFar, task.kind()).write(dir); // last: marks it complete
        }, settings.log().keepCheckpoints());
        if (score != null && score > best) {
            best = score;
            cps.markBest(cp, String.format("step %d %s %.4f", cur, key, best));
            progress.message(String.format("new best %s %.4f at step %d", key, best, cur));
        }
    }

    /** Loads micro-batches on a background thread, up to two optimizer steps ahead of the model. */
    final class Loader implements AutoCloseable {
        private final ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "cdiffset-batch-loader");
            th.setDaemon(true);
            return th;
        });
        private final ArrayDeque<Future<B>> ahead = new ArrayDeque<>();
        private final int accum = settings.train().accumulation();
        private final long end = settings.train().steps() * accum;
        private final long seed = settings.train().seed();
        private long nextLoad;

        Loader(long startStep) {
            nextLoad = startStep * accum;
        }

        void fill() {
            while (ahead.size() < 2 * accum && nextLoad < end) {
                final long idx = nextLoad++;
                ahead.add(pool.submit(() -> task.load(idx / accum, (int) (idx % accum), new SplittableRandom(mix(seed, idx / accum, idx % accum)))));
            }
        }

        B next() {
            try {
                return ahead.poll().get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("training interrupted", e);
            }
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
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
