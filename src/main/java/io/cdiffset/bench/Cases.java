package io.cdiffset.bench;

import io.cdiffset.engine.Memory;
import io.cdiffset.engine.RuntimeOptions;
import io.cdiffset.engine.Engine;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.diffusion.CDiffSetSampler;
import io.cdiffset.diffusion.SamplingSettings;
import io.cdiffset.diffusion.NoiseSchedule;
import io.cdiffset.engine.Precision;
import io.cdiffset.engine.Progress;
import io.cdiffset.engine.Tensors;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.Sd21Configs;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.model.vae.VaeConfig;
import io.cdiffset.nn.Gemm;
import io.cdiffset.nn.Module;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.train.AdamW;
import io.cdiffset.train.Trainer;
import io.cdiffset.train.UNetTask;
import io.cdiffset.translate.SceneTranslator;
import io.cdiffset.translate.Translator;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/** The benchmark cases. Each builds its models, calls {@link Ctx#measuring()}, then times its work. */
final class Cases {
    private Cases() {}

    /** A case: a name for --only, a title, whether --quick runs it by default, and its body. */
    record Def(String name, String title, boolean quick, Body body) {}

    interface Body {
        List<Row> run(Ctx ctx) throws Exception;
    }

    /** Thrown to skip a case with a reason (e.g. the default model is absent). */
    static final class Skip extends RuntimeException {
        Skip(String reason) {
            super(reason);
        }
    }

    /** Sizes and repeat counts: the real SD 2.1-base shapes, or tiny ones (every side ÷ 4, test fixture configs). */
    static final class Scale {
        final boolean tiny;
        final boolean quick;
        final UNetConfig unet;
        final VaeConfig vae;
        final int contextLen = 6;
        final int div;
        final long[] matmul;
        final int warmup = 1;
        final int reps;
        /**
         * Training steps after one warm-up step (the first also allocates gradients and AdamW moments: 14-17 s against
         * 5-10 s later on the full-size UNet); --quick times 2.
         */
        final int trainReps;
        final int trainWarmup;
        /** Timed VAE encode + decode runs: one and no warm-up in --quick (512² fp32 takes ~45 s a run). */
        final int vaeReps;
        final int vaeWarmup;
        final int translateReps;
        /** Seconds a translation case's timed runs may take in --quick; beyond, its 3-step warm-up run is the estimate. */
        final double translateBudget;
        final Path defaultModel;

        Scale(boolean tiny, boolean quick, Path defaultModel) {
            this.tiny = tiny;
            this.quick = quick;
            this.defaultModel = defaultModel;
            this.unet = tiny ? tinyUNet() : Sd21Configs.unet(8, 5);
            this.vae = tiny ? tinyVae() : Sd21Configs.vae();
            this.div = tiny ? 4 : 1;
            this.matmul = tiny ? new long[]{256, 512} : new long[]{2048, 4096};
            this.reps = quick ? 2 : 5;
            this.trainReps = quick && !tiny ? 2 : reps;
            this.trainWarmup = warmup;
            this.vaeReps = quick && !tiny ? 1 : reps;
            this.vaeWarmup = quick && !tiny ? 0 : warmup;
            // -Dcdiffset.bench.translateReps=N: fewer timed whole translations (a 50-step full-size fp32 run takes minutes)
            this.translateReps = RuntimeOptions.current().benchTranslateReps() != null ? RuntimeOptions.current().benchTranslateReps() : quick ? (tiny ? 2 : 1) : 3;
            // --quick: a translation case may spend this long on its timed runs before it times fewer steps and reports
            // a 50-step estimate (the tiny budget is small on purpose, so that tests exercise the estimate too)
            this.translateBudget = !quick ? Double.POSITIVE_INFINITY : tiny ? 1.0 : 25;
        }

        int latent(int nominal) {
            return nominal / div;
        }

        int image(int nominal) {
            return nominal / div;
        }

        String label() {
            return tiny ? "tiny test-fixture configs, every side ÷ 4" : "SD 2.1-base shapes";
        }
    }

    /** The 8-in/5-out UNet of the test fixtures (src/test/resources/fixtures/unet/config.json). */
    static UNetConfig tinyUNet() {
        ObjectNode o = Sd21Configs.json(Sd21Configs.UNET).copy();
        o.putArray("block_out_channels").add(32).add(32).add(32).add(64);
        o.putArray("attention_head_dim").add(1).add(2).add(4).add(2);
        o.put("cross_attention_dim", 64);
        o.put("sample_size", 16);
        o.put("in_channels", 8);
        o.put("out_channels", 5);
        return UNetConfig.from(new ConfigJson(o, "tiny bench UNet (test fixture shape)"));
    }

    /** The VAE of the test fixtures (src/test/resources/fixtures/vae/config.json). */
    static VaeConfig tinyVae() {
        ObjectNode o = Sd21Configs.json(Sd21Configs.VAE).copy();
        o.putArray("block_out_channels").add(32).add(64).add(32).add(32);
        o.put("layers_per_block", 1);
        o.put("sample_size", 64);
        return VaeConfig.from(new ConfigJson(o, "tiny bench VAE (test fixture shape)"));
    }

    /** What a running case can use. */
    static final class Ctx {
        final Scale scale;
        final String caseName;
        final java.io.PrintStream log;
        boolean measuring;
        boolean peakReset;
        long rssBefore = -1;

        Ctx(Scale scale, String caseName, java.io.PrintStream log) {
            this.scale = scale;
            this.caseName = caseName;
            this.log = log;
        }

        /** Setup is done: release its garbage and start the peak-memory window. */
        void measuring() {
            Memory.settle();
            peakReset = Memory.resetPeak();
            rssBefore = Memory.rss();
            measuring = true;
        }

        void say(String fmt, Object... args) {
            log.printf(Locale.ROOT, "  [%s] %s%n", caseName, String.format(Locale.ROOT, fmt, args));
            log.flush();
        }
    }

    // ------------------------------------------------------------------------------------------------ registry

    static List<Def> all() {
        List<Def> d = new ArrayList<>();
        for (Precision p : Precision.values()) {
            d.add(new Def("matmul-" + key(p), "square matmul reference, " + key(p), true, c -> matmul(c, p)));
        }
        for (int lat : new int[]{16, 32, 48, 64}) {
            for (Precision p : Precision.values()) {
                // 16² and 48² (sizes where a shape-chosen kernel was once wrong, issue #19) run only when asked for
                d.add(new Def("unet-" + lat + "-" + key(p), "UNet forward " + lat + "×" + lat + " " + key(p), lat % 32 == 0,
                        c -> unetForward(c, lat, p, true)));
            }
        }
        for (int lat : new int[]{32, 64}) {
            d.add(new Def("unet-" + lat + "-bf16-cast", "UNet forward " + lat + "×" + lat + " bf16 autocast on fp32 weights", false,
                    c -> unetForward(c, lat, Precision.BF16, false)));
        }
        for (Precision p : Precision.values()) {
            d.add(new Def("train-32-" + key(p), "training step 32×32 " + key(p), true, c -> trainStep(c, 32, p)));
        }
        for (Precision p : Precision.values()) {
            for (int size : new int[]{256, 512}) {
                d.add(new Def("vae-" + size + "-" + key(p), "VAE encode / decode " + size + "² " + key(p), p == Precision.FP32,
                        c -> vae(c, size, p)));
            }
        }
        for (int size : new int[]{256, 512}) {
            for (Precision p : Precision.values()) {
                d.add(new Def("translate-" + size + "-" + key(p), "50-step translation " + size + "² " + key(p) + " (random full-size model)", true,
                        c -> translate(c, size, p, false)));
            }
        }
        for (int size : new int[]{256, 512}) {
            for (Precision p : Precision.values()) {
                d.add(new Def("default-" + size + "-" + key(p), "50-step translation " + size + "² " + key(p) + " (shipped default model)", true,
                        c -> translate(c, size, p, true)));
            }
        }
        for (Precision p : Precision.values()) {
            d.add(new Def("shipped-256-" + key(p), "256² translation " + key(p) + " with the shipped model's own sampling.json, against DDIM 50 in the same run", true,
                    c -> shippedSampling(c, p)));
        }
        for (Precision p : Precision.values()) {
            d.add(new Def("load-" + key(p), "load a model folder (random full-size UNet + VAE, bf16 files) for " + key(p) + " inference", true,
                    c -> load(c, p)));
        }
        d.add(new Def("spark-windows", "windows/s: single-process translate vs spark-translate local[1] and local[2] (shipped model, same scenes)", true,
                Cases::sparkWindows));
        d.add(new Def("native-100", "native memory over 100 DDIM steps", true, Cases::nativeMemory));
        return d;
    }

    static String key(Precision p) {
        return p.name().toLowerCase(Locale.ROOT);
    }

    // ------------------------------------------------------------------------------------------------ timing

    interface Run {
        /** One timed run; returns the seconds of each part. */
        double[] run(int index) throws Exception;
    }

    /** Warm-up runs (discarded), then {@code reps} timed runs; [rep][part] seconds. */
    static double[][] repeat(Ctx c, int warmup, int reps, Run r) throws Exception {
        for (int i = 0; i < warmup; i++) {
            double[] w = r.run(-1 - i);
            c.say("warm-up %.3f s", sum(w));
        }
        double[][] out = new double[reps][];
        for (int i = 0; i < reps; i++) {
            out[i] = r.run(i);
            c.say("run %d/%d %.3f s", i + 1, reps, sum(out[i]));
        }
        return out;
    }

    static double sum(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s;
    }

    static double[] column(double[][] t, int part) {
        double[] v = new double[t.length];
        for (int i = 0; i < t.length; i++) v[i] = part < 0 ? sum(t[i]) : t[i][part];
        return v;
    }

    static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    // ------------------------------------------------------------------------------------------------ models

    static UNet2DConditionModel randomUNet(UNetConfig cfg, long seed) {
        UNet2DConditionModel u = Module.tiledInit(seed, () -> new UNet2DConditionModel(cfg));
        u.requiresGrad(false);
        return u;
    }

    static AutoencoderKL randomVae(VaeConfig cfg, long seed) {
        AutoencoderKL v = Module.tiledInit(seed, () -> new AutoencoderKL(cfg));
        v.requiresGrad(false);
        return v;
    }

    /** bf16 inference keeps conv / linear weights in bf16 (identical results under autocast, no per-forward cast). */
    static void forInference(Module m, Precision p) {
        if (p == Precision.BF16) m.storeMatmulWeightsAs(ScalarType.BFloat16);
    }

    static Tensor randn(long... shape) {
        return torch.randn(shape);
    }

    // ------------------------------------------------------------------------------------------------ cases

    /**
     * Square matrix products, the references of every ratio. fp32 is measured twice: libtorch's {@code matmul}
     * (OpenBLAS, one thread) and {@link Gemm#oneDnn} (oneDNN on libtorch's threads, what the models use for large
     * fp32 inference products); a ratio divides by the best of them.
     */
    static List<Row> matmul(Ctx c, Precision p) throws Exception {
        ScalarType type = p == Precision.BF16 ? ScalarType.BFloat16 : ScalarType.Float;
        List<Row> rows = new ArrayList<>();
        List<Tensor[]> inputs = new ArrayList<>();
        torch.manual_seed(7);
        for (long n : c.scale.matmul) inputs.add(new Tensor[]{randn(n, n).to(type), randn(n, n).to(type)});
        c.measuring();
        for (boolean oneDnn : p == Precision.FP32 ? new boolean[]{false, true} : new boolean[]{false}) {
            for (int k = 0; k < c.scale.matmul.length; k++) {
                long n = c.scale.matmul[k];
                Tensor a = inputs.get(k)[0], b = inputs.get(k)[1];
                int reps = Math.max(c.scale.reps, 5);
                double[][] t = repeat(c, 1, reps, i -> {
                    try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode()) {
                        long t0 = System.nanoTime();
                        if (oneDnn) Gemm.oneDnn(null, a, b);
                        else torch.matmul(a, b);
                        return new double[]{secs(t0)};
                    }
                });
                String lib = oneDnn ? "-onednn" : "";
                Row r = new Row("matmul-" + key(p) + lib + "/" + n, "matmul " + n + "³ " + key(p) + (p == Precision.FP32 ? (oneDnn ? " (oneDNN)" : " (OpenBLAS)") : ""),
                        c.caseName, key(p));
                r.stats = Stats.of(column(t, 0));
                r.gflop = Flops.matmul(n) / 1e9;
                r.gflopWithAttention = r.gflop;
                r.extra.put("size", n);
                r.extra.put("reference", true);
                r.extra.put("library", p == Precision.BF16 ? "oneDNN (libtorch matmul)" : oneDnn ? "oneDNN" : "OpenBLAS");
                rows.add(r);
            }
        }
        return rows;
    }

    static List<Row> unetForward(Ctx c, int nominal, Precision p, boolean bf16Weights) throws Exception {
        int lat = c.scale.latent(nominal);
        UNetConfig cfg = c.scale.unet;
        c.say("building a random %s UNet (%d-in/%d-out)", c.scale.tiny ? "tiny" : "full-size", cfg.inChannels(), cfg.outChannels());
        UNet2DConditionModel unet = randomUNet(cfg, 1);
        if (bf16Weights) forInference(unet, p);
        torch.manual_seed(2);
        Tensor sample = randn(1, cfg.inChannels(), lat, lat);
        Tensor ctx = randn(1, c.scale.contextLen, cfg.crossAttentionDim());
        Tensor t = Tensors.fromLongs(new long[]{500}, 1);
        c.measuring();
        double[][] times = repeat(c, c.scale.warmup, c.scale.reps, i -> {
            try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode(); Precision.Scope ac = p.scope()) {
                long t0 = System.nanoTime();
                unet.forward(sample, t, ctx);
                return new double[]{secs(t0)};
            }
        });
        Flops.Count f = Flops.unet(cfg, 1, lat, lat, c.scale.contextLen);
        String id = "unet-" + nominal + "-" + key(p) + (p == Precision.BF16 && !bf16Weights ? "-cast" : "");
        Row r = new Row(id, "UNet forward " + lat + "×" + lat + " " + key(p) + (id.endsWith("-cast") ? " (fp32 weights)" : ""), c.caseName, key(p));
        r.stats = Stats.of(column(times, 0));
        r.gflop = f.gflop();
        r.gflopWithAttention = f.totalGflop();
        r.extra.put("latent", lat);
        r.extra.put("parameters", unet.parameterCount());
        r.extra.put("weight_bytes", unet.parameterBytes());
        if (p == Precision.BF16) r.notes.add(bf16Weights ? "bf16 weights, autocast" : "autocast, fp32 weights cast every forward");
        return List.of(r);
    }

    static List<Row> trainStep(Ctx c, int nominal, Precision p) throws Exception {
        int lat = c.scale.latent(nominal);
        UNetConfig cfg = c.scale.unet;
        c.say("building a random %s UNet for training", c.scale.tiny ? "tiny" : "full-size");
        UNet2DConditionModel unet = Module.tiledInit(3, () -> new UNet2DConditionModel(cfg));
        AdamW opt = AdamW.forTraining(unet, unet.namedParameters(), 1e-2, p); // as the trainer: bf16 working copies
        NoiseSchedule sched = NoiseSchedule.sd21();
        Tensor ctx = randn(1, c.scale.contextLen, cfg.crossAttentionDim());
        Generator gen = torch.createCPUGenerator(11);
        c.measuring();
        double[] loss = new double[1];
        double[][] times = repeat(c, c.scale.trainWarmup, c.scale.trainReps, i -> {
            long t0 = System.nanoTime();
            try (PointerScope s = new PointerScope()) {
                try (Precision.Scope ac = p.scope()) {
                    GeneratorOptional g = new GeneratorOptional(gen);
                    Tensor zs = torch.randn(new long[]{1, 4, lat, lat}, g, Tensors.options(ScalarType.Float));
                    Tensor ze = torch.randn(new long[]{1, 4, lat, lat}, g, Tensors.options(ScalarType.Float));
                    Tensor noise = torch.randn(new long[]{1, 4, lat, lat}, g, Tensors.options(ScalarType.Float));
                    Tensor t = torch.randint(sched.trainSteps(), new long[]{1}, g, Tensors.options(ScalarType.Long));
                    Tensor l = UNetTask.loss(unet, sched, ctx, true, zs, ze, t, noise); // the real training step's loss
                    Engine.backward(l);
                    loss[0] = l.item_double();
                }
                Trainer.update(opt, 1e-5, p);
            }
            return new double[]{secs(t0)};
        });
        Flops.Count f = Flops.unet(cfg, 1, lat, lat, c.scale.contextLen);
        Row r = new Row("train-" + nominal + "-" + key(p), "training step " + lat + "×" + lat + " " + key(p), c.caseName, key(p));
        r.stats = Stats.of(column(times, 0));
        r.gflop = 3 * f.gflop();
        r.gflopWithAttention = 3 * f.totalGflop();
        r.notes.add("forward + C-Diff loss + backward + AdamW, batch 1; work ≈ 3× forward");
        if (c.scale.trainWarmup == 0) r.notes.add("--quick: the first step, no warm-up");
        if (p == Precision.BF16) r.notes.add("autocast, fp32 master weights, persistent bf16 working copies");
        r.extra.put("latent", lat);
        r.extra.put("last_loss", loss[0]);
        return List.of(r);
    }

    static List<Row> vae(Ctx c, int nominal, Precision p) throws Exception {
        int size = c.scale.image(nominal);
        VaeConfig cfg = c.scale.vae;
        c.say("building a random %s VAE", c.scale.tiny ? "tiny" : "full-size");
        AutoencoderKL vae = randomVae(cfg, 4);
        forInference(vae, p);
        torch.manual_seed(5);
        Tensor img = torch.rand(1, 3, size, size).mul(new Scalar(2)).sub(new Scalar(1));
        c.measuring();
        double[][] times = repeat(c, c.scale.vaeWarmup, c.scale.vaeReps, i -> {
            try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode(); Precision.Scope ac = p.scope()) {
                long t0 = System.nanoTime();
                Tensor z = vae.encodeLatent(img);
                double enc = secs(t0);
                long t1 = System.nanoTime();
                vae.decodeLatent(z);
                return new double[]{enc, secs(t1)};
            }
        });
        int f = cfg.factor();
        Flops.Count fe = Flops.vaeEncode(cfg, 1, size, size), fd = Flops.vaeDecode(cfg, 1, size / f, size / f);
        List<Row> rows = new ArrayList<>();
        String base = "vae-" + nominal + "-" + key(p);
        String[] parts = {"encode", "decode", "encode+decode"};
        Flops.Count[] counts = {fe, fd, null};
        for (int k = 0; k < 3; k++) {
            Row r = new Row(base + "/" + parts[k].replace("+", "-"), "VAE " + parts[k] + " " + size + "² " + key(p), c.caseName, key(p));
            r.stats = Stats.of(column(times, k < 2 ? k : -1));
            r.gflop = k < 2 ? counts[k].gflop() : fe.gflop() + fd.gflop();
            r.gflopWithAttention = k < 2 ? counts[k].totalGflop() : fe.totalGflop() + fd.totalGflop();
            if (p == Precision.BF16) r.notes.add("bf16 weights, autocast");
            if (c.scale.vaeWarmup == 0) r.notes.add("--quick: the first run, no warm-up");
            r.extra.put("image", size);
            rows.add(r);
        }
        return rows;
    }

    /** Times the steps of a translation from its progress callbacks. */
    static final class StepClock implements Progress {
        final List<Long> ends = new ArrayList<>();

        @Override
        public void update(long done, long total, String status) {
            ends.add(System.nanoTime());
        }
    }

    /** DDIM steps of a translation case's warm-up run (and of its measurement when whole runs are too slow). */
    static final int PROBE_STEPS = 3;

    record TranslationRun(double total, double[] stepEnds, int steps) {
        /** Mean seconds of the steps after the first (the first includes one-off kernel setup). */
        double perStep() {
            if (stepEnds.length < 2) return Double.NaN;
            return (stepEnds[stepEnds.length - 1] - stepEnds[0]) / (stepEnds.length - 1);
        }
    }

    static List<Row> translate(Ctx c, int nominal, Precision p, boolean shipped) throws Exception {
        int size = c.scale.image(nominal);
        ModelBundle bundle;
        String modelLabel;
        double guidance = 1.0;
        if (shipped) {
            if (c.scale.tiny) throw new Skip("--tiny: the shipped default model is not a tiny model");
            Path dir = c.scale.defaultModel;
            if (dir == null || !Files.isDirectory(dir)) {
                throw new Skip("no shipped default model at " + (dir == null ? "models/default" : dir.toAbsolutePath()) + " (pass --model DIR)");
            }
            c.say("loading %s", dir);
            bundle = ModelBundle.load(dir, null);
            guidance = bundle.sampling().sarGuidance(); // as translate samples it: 2 UNet calls per step when guided
            modelLabel = "default model";
        } else {
            c.say("building a random %s C-DiffSET model (UNet + VAE)", c.scale.tiny ? "tiny" : "full-size");
            UNet2DConditionModel unet = randomUNet(c.scale.unet, 1);
            AutoencoderKL vae = randomVae(c.scale.vae, 4);
            torch.manual_seed(6);
            Tensor ctx = randn(1, c.scale.contextLen, c.scale.unet.crossAttentionDim());
            bundle = new ModelBundle(unet, vae, ctx, NoiseSchedule.sd21(), null);
            modelLabel = "random weights";
        }
        forInference(bundle.unet(), p);
        forInference(bundle.vae(), p);
        int levels = bundle.unet().config().levels();
        int padded = Math.max((size + 7) / 8 * 8, 8 * Math.max(8, 1 << levels));
        int tile = Math.max(padded, 128);
        float[] sar = new float[3 * size * size];
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < sar.length; i++) sar[i] = (float) (rng.nextDouble() * 2 - 1);
        c.measuring();

        // warm-up: a 3-step run, which also measures the cost of a step (the mean of steps 2-3) and of the fixed part
        // (encode, decode, blend, first-step set-up)
        TranslationRun w = translateOnce(bundle, sar, size, tile, PROBE_STEPS, p, guidance);
        double step = w.perStep();
        double fixed = Math.max(0, w.total() - PROBE_STEPS * step);
        double full = fixed + 50 * step;
        int reps = c.scale.translateReps;
        boolean fromProbe = reps * full > c.scale.translateBudget;
        int steps = fromProbe ? PROBE_STEPS : 50;
        double[] est;
        double[] perStep;
        if (fromProbe) {
            // --quick and too slow for whole runs: the warm-up run is the measurement (its first-step set-up counted in
            // the fixed part, so the estimate errs high)
            c.say("3-step run %.2f s: %.3f s/step, %.2f s encode/decode/blend/set-up → 50-step estimate %.1f s",
                    w.total(), step, fixed, full);
            est = new double[]{full};
            perStep = new double[]{step};
        } else {
            c.say("warm-up (3 steps) %.2f s: %.3f s/step → 50 steps ≈ %.1f s; timing %d runs", w.total(), step, full, reps);
            est = new double[reps];
            perStep = new double[reps];
            for (int i = 0; i < reps; i++) {
                TranslationRun r = translateOnce(bundle, sar, size, tile, 50, p, guidance);
                perStep[i] = r.perStep();
                est[i] = r.total();
                c.say("run %d/%d %.2f s (%.3f s/step)", i + 1, reps, r.total(), perStep[i]);
            }
        }
        int lat = padded / 8;
        int ctxLen = (int) bundle.context().size(1);
        Flops.Count fu = Flops.unet(bundle.unet().config(), 1, lat, lat, ctxLen);
        Flops.Count fv = Flops.vae(bundle.vae().config(), 1, padded, padded);
        String id = (shipped ? "default-" : "translate-") + nominal + "-" + key(p);
        Row r = new Row(id, (steps == 50 ? "" : "≈ ") + "translate " + size + "² 50 steps " + key(p) + (shipped ? " (default model)" : ""),
                c.caseName, key(p));
        r.stats = Stats.of(est);
        int calls = guidance == 1.0 ? 50 : 100;
        r.gflop = calls * fu.gflop() + fv.gflop();
        r.gflopWithAttention = calls * fu.totalGflop() + fv.totalGflop();
        if (fromProbe) {
            r.notes.add(String.format(Locale.ROOT, "50-STEP ESTIMATE from one %d-step run: fixed part + 50 × per-step time", PROBE_STEPS));
        }
        r.notes.add(modelLabel);
        if (guidance != 1.0) r.notes.add("SAR guidance " + guidance + ": 2 UNet calls per step");
        if (p == Precision.BF16) r.notes.add("bf16 weights, autocast");
        if (padded != size) r.notes.add("padded to " + padded + "²");
        r.extra.put("image", size);
        r.extra.put("timed_steps", steps);
        r.extra.put("estimated", steps < 50);
        r.extra.put("per_step_s", Stats.of(perStep).median());
        r.extra.put("unet_parameters", bundle.unet().parameterCount());
        r.extra.put("weight_bytes", bundle.unet().parameterBytes() + bundle.vae().parameterBytes());
        return List.of(r);
    }

    /**
     * The shipped default model at 256² with the sampling its {@code sampling.json} names (what a user's
     * {@code translate} runs), and with C-DiffSET's DDIM 50 at the same SAR guidance, timed alternately in one run:
     * the ratio is the speed-up the shipped settings give.
     */
    static List<Row> shippedSampling(Ctx c, Precision p) throws Exception {
        if (c.scale.tiny) throw new Skip("--tiny: the shipped default model is not a tiny model");
        Path dir = c.scale.defaultModel;
        if (dir == null || !Files.isDirectory(dir)) throw new Skip("no shipped default model (pass --model DIR)");
        ModelBundle bundle = ModelBundle.load(dir, null, p);
        io.cdiffset.diffusion.SamplingSettings shipped = bundle.sampling();
        io.cdiffset.diffusion.SamplingSettings ddim50 = shipped.with("ddim", 50, null);
        int size = 256;
        float[] sar = new float[3 * size * size];
        SplittableRandom rng = new SplittableRandom(9);
        for (int i = 0; i < sar.length; i++) sar[i] = (float) (rng.nextDouble() * 2 - 1);
        c.measuring();
        io.cdiffset.diffusion.SamplingSettings[] both = {shipped, ddim50};
        for (io.cdiffset.diffusion.SamplingSettings s : both) new SceneTranslator(bundle, new SceneTranslator.Options(s, 0, size, 64, 1, p)).translate(sar, size, size, Progress.NONE);
        int reps = Math.max(2, c.scale.translateReps);
        double[][] t = new double[2][reps];
        for (int i = 0; i < reps; i++) {
            for (int k = 0; k < 2; k++) {
                long t0 = System.nanoTime();
                new SceneTranslator(bundle, new SceneTranslator.Options(both[k], 0, size, 64, 1, p)).translate(sar, size, size, Progress.NONE);
                t[k][i] = secs(t0);
            }
            c.say("run %d/%d: shipped (%s) %.2f s, DDIM 50 %.2f s", i + 1, reps, shipped.describe(), t[0][i], t[1][i]);
        }
        Row r = new Row("shipped-256-" + key(p), "translate 256² " + key(p) + ", shipped sampling (" + shipped.describe() + ")", c.caseName, key(p));
        r.stats = Stats.of(t[0]);
        double ddim = Stats.of(t[1]).median();
        r.notes.add(String.format(Locale.ROOT, "DDIM 50 in the same run: median %.2f s; shipped / DDIM 50 = %.2f", ddim, r.stats.median() / ddim));
        if (p == Precision.BF16) r.notes.add("bf16 weights, autocast");
        r.extra.put("ddim50_median_s", ddim);
        r.extra.put("ratio_vs_ddim50", r.stats.median() / ddim);
        return List.of(r);
    }

    /**
     * Windows per second for the same synthetic georeferenced scenes (shipped model, its sampling, 128-pixel windows):
     * single-process {@code translate} (all cores to one window at a time), {@code spark-translate} on
     * {@code local[1]} (one task with all cores) and on {@code local[2]} (two tasks with one core each). Spark's
     * times include its job set-up, the executor's model load and first calls, and the per-scene assembly; the single
     * process is timed after a warm-up scene.
     */
    static List<Row> sparkWindows(Ctx c) throws Exception {
        if (c.scale.tiny) throw new Skip("--tiny: uses the shipped default model");
        Path dir = c.scale.defaultModel;
        if (dir == null || !Files.isDirectory(dir)) throw new Skip("no shipped default model (pass --model DIR)");
        Path work = Files.createTempDirectory("cdiffset-bench-spark");
        try {
            int size = c.scale.quick ? 256 : 384;
            io.cdiffset.io.raster.GeoInfo geo = io.cdiffset.io.raster.GeoInfo.fromGeoTransform(new double[]{500000, 10, 0, 4100000, 0, -10}, 32611);
            List<String> scenes = new java.util.ArrayList<>();
            SplittableRandom rng = new SplittableRandom(11);
            for (int k = 0; k < 2; k++) {
                float[] px = new float[size * size];
                for (int i = 0; i < px.length; i++) px[i] = rng.nextInt(256);
                Path f = work.resolve("in").resolve("scene" + k + ".tif");
                Files.createDirectories(f.getParent());
                io.cdiffset.io.raster.Rasters.writeGeoTiff(f, new io.cdiffset.io.raster.Raster(size, size, 1, px, io.cdiffset.io.raster.SampleType.U8, geo), geo);
                scenes.add(f.toString());
            }
            io.cdiffset.pipeline.TranslateOptions opt = io.cdiffset.pipeline.TranslateOptions.defaults().withWindows(128, 32, 1).withFormat("cog");
            io.cdiffset.pipeline.Translation single = io.cdiffset.pipeline.Translation.load(dir, null, opt, m -> {});
            single.translateFile(Path.of(scenes.get(0)), work.resolve("warm-up"), Progress.NONE); // kernel check, first-call set-up
            c.measuring();
            int windows = 0;
            long t0 = System.nanoTime();
            for (String sc : scenes) windows += single.translateFile(Path.of(sc), work.resolve("single"), Progress.NONE).windows();
            double singleS = secs(t0);
            c.say("single process: %d windows in %.1f s", windows, singleS);
            List<Row> rows = new java.util.ArrayList<>();
            Row base = new Row("spark-windows-single", "translate, one process (" + windows + " windows of 128²)", c.caseName, "fp32");
            base.stats = Stats.of(new double[]{singleS});
            base.notes.add(String.format(Locale.ROOT, "%.2f windows/s", windows / singleS));
            rows.add(base);
            for (int n : new int[]{1, 2}) {
                String master = "local[" + n + "]";
                io.cdiffset.spark.JobSpec spec = new io.cdiffset.spark.JobSpec(dir.toAbsolutePath().toString(), null, opt,
                        work.resolve("spark" + n).toString(), Math.max(1, Runtime.getRuntime().availableProcessors() / n));
                double s;
                try (org.apache.spark.api.java.JavaSparkContext sc = io.cdiffset.spark.SparkJobs.context("cdiffset bench", master, java.util.Map.of())) {
                    io.cdiffset.spark.SparkTranslate.Report r = io.cdiffset.spark.SparkTranslate.run(sc, spec, scenes, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
                    if (r.count(io.cdiffset.spark.SparkTranslate.Status.FAILED) > 0) throw new IllegalStateException("a scene failed: " + r.summary());
                    s = r.seconds();
                }
                c.say("%s: %d windows in %.1f s", master, windows, s);
                Row row = new Row("spark-windows-" + n, "spark-translate " + master + " (" + windows + " windows of 128²)", c.caseName, "fp32");
                row.stats = Stats.of(new double[]{s});
                row.notes.add(String.format(Locale.ROOT, "%.2f windows/s; %.2f× the single process", windows / s, singleS / s));
                row.notes.add(n + " task(s) × " + spec.threads() + " libtorch thread(s); includes Spark set-up, the executor's model load and assembly");
                rows.add(row);
            }
            return rows;
        } finally {
            try (java.util.stream.Stream<Path> w = Files.walk(work)) {
                w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static TranslationRun translateOnce(ModelBundle bundle, float[] sar, int size, int tile, int steps, Precision p, double guidance) {
        SceneTranslator tr = new SceneTranslator(bundle, new SceneTranslator.Options(steps, 0, tile, 64, 1, p, guidance));
        StepClock clock = new StepClock();
        long t0 = System.nanoTime();
        tr.translate(sar, size, size, clock);
        double total = secs(t0);
        double[] ends = new double[clock.ends.size()];
        for (int i = 0; i < ends.length; i++) ends[i] = (clock.ends.get(i) - t0) / 1e9;
        return new TranslationRun(total, ends, steps);
    }

    /**
     * Extra JVM options of a case's child JVM. native-100 pre-touches the committed Java heap: without it, G1 touched
     * young-generation pages of its already committed heap for the first time during the measured steps, and those
     * pages, which {@code totalMemory()} had counted all along, showed up as "native" growth (+25 MB of the Java heap's
     * mapping between steps 10 and 110 in /proc/self/smaps; +1.9 MB in all with the heap pre-touched).
     */
    static List<String> jvmOptions(String caseName) {
        return caseName.equals("native-100") ? List.of("-XX:+AlwaysPreTouch") : List.of();
    }

    /**
     * What translate, evaluate and serve do first: {@code ModelBundle.load(folder, null, precision)} of a diffusers-layout
     * folder. The folder (random weights, stored in bf16 as a fine-tuned model usually is) is written first, outside the
     * timed and peak-measured part; the peak RSS is the load's own. Session 10: a full-size bf16 load peaked at 8.1 GB
     * before loading streamed one tensor at a time into bf16 parameters (2.3 GB after).
     */
    static List<Row> load(Ctx c, Precision p) throws Exception {
        Path dir = Files.createTempDirectory("cdiffset-bench-model-");
        try {
            c.say("writing a random %s model folder (bf16 weights) to %s", c.scale.tiny ? "tiny" : "full-size", dir);
            try (PointerScope s = new PointerScope()) {
                UNet2DConditionModel unet = randomUNet(c.scale.unet, 1);
                AutoencoderKL vae = randomVae(c.scale.vae, 4);
                torch.manual_seed(6);
                ModelBundle.save(dir, unet, vae, randn(1, c.scale.contextLen, c.scale.unet.crossAttentionDim()), ScalarType.BFloat16,
                        NoiseSchedule.Prediction.EPSILON, java.util.Map.of("source", "cdiffset bench: random weights"));
            }
            c.measuring();
            long t0 = System.nanoTime();
            ModelBundle b = ModelBundle.load(dir, null, p);
            double secs = secs(t0);
            Row r = new Row("load-" + key(p), "load model folder for " + key(p) + " (" + (c.scale.tiny ? "tiny" : "full-size") + ", bf16 files)", c.caseName, key(p));
            r.stats = Stats.of(new double[]{secs});
            r.notes.add(String.format(Locale.ROOT, "%.0f MB of weights resident after the load; peak RSS = the load's own", Memory.mb(b.unet().parameterBytes() + b.vae().parameterBytes())));
            return List.of(r);
        } finally {
            io.cdiffset.io.raster.AtomicFiles.deleteTree(dir);
        }
    }

    static List<Row> nativeMemory(Ctx c) throws Exception {
        UNet2DConditionModel unet;
        Tensor ctx;
        NoiseSchedule sched;
        String label;
        Path dir = c.scale.defaultModel;
        if (!c.scale.tiny && dir != null && Files.isDirectory(dir)) {
            ModelBundle b = ModelBundle.load(dir, null);
            unet = b.unet();
            ctx = b.context();
            sched = b.schedule();
            label = "default model";
        } else {
            unet = randomUNet(tinyUNet(), 1);
            ctx = randn(1, 6, unet.config().crossAttentionDim());
            sched = NoiseSchedule.sd21();
            label = c.scale.tiny ? "tiny UNet" : "tiny UNet (no default model)";
        }
        // leaks are per step, not per pixel: a full-size model runs at 16×16 latents to keep 110 steps short
        int lat = c.scale.tiny || unet.parameterCount() > 100_000_000 ? 16 : 32;
        torch.manual_seed(8);
        Tensor sarLatent = randn(1, 4, lat, lat);
        Tensor noise = randn(1, 4, lat, lat);
        int warm = 10, measured = 100, steps = warm + measured;
        c.measuring();
        long before = Memory.physical();
        long[] at = new long[2];
        long[] heap = new long[2];
        long[] ends = new long[steps];
        long t0 = System.nanoTime();
        // The real sampling loop inside ONE scope, as SceneTranslator runs it: per-step growth shows here. At steps
        // 10 and 110 the JVM heap is collected and malloc trimmed first, so that neither Java garbage nor free malloc
        // pages count as growth: what is left is memory still referenced.
        try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode()) {
            CDiffSetSampler.create(unet, sched, SamplingSettings.DEFAULT.with(null, steps, null)).sample(sarLatent, ctx, noise, i -> {
                ends[i] = System.nanoTime();
                int k = i == warm - 1 ? 0 : i == steps - 1 ? 1 : -1;
                if (k >= 0) {
                    Memory.settle();
                    at[k] = Memory.physical();
                    heap[k] = Runtime.getRuntime().totalMemory();
                }
            });
        }
        Memory.settle();
        long after = Memory.physical();
        double[] per = new double[measured];
        for (int i = 0; i < measured; i++) per[i] = (ends[warm + i] - ends[warm + i - 1]) / 1e9;
        double growth = Memory.mb(at[1] - at[0]);
        double heapGrowth = Memory.mb(heap[1] - heap[0]);
        double nativeGrowth = growth - heapGrowth;
        Row r = new Row("native-100", "native memory over 100 DDIM steps (" + label + ", " + lat + "×" + lat + ")", c.caseName, null);
        r.stats = Stats.of(per);
        boolean preTouched = ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+AlwaysPreTouch");
        if (!preTouched) r.notes.add("heap not pre-touched (--in-process): first touches of committed Java heap pages count as growth");
        boolean ok = nativeGrowth < 16;
        r.notes.add(String.format(Locale.ROOT, "time per step; physicalBytes %.0f → %.0f MB over steps 10→110 (%+.1f MB, of which JVM heap %+.1f MB:"
                        + " native %+.1f MB, %s); %.0f MB before, %.0f MB after",
                Memory.mb(at[0]), Memory.mb(at[1]), growth, heapGrowth, nativeGrowth, ok ? "no growth" : "GROWTH", Memory.mb(before), Memory.mb(after)));
        r.extra.put("model", label);
        r.extra.put("physical_before_mb", Memory.mb(before));
        r.extra.put("physical_step10_mb", Memory.mb(at[0]));
        r.extra.put("physical_step110_mb", Memory.mb(at[1]));
        r.extra.put("physical_after_mb", Memory.mb(after));
        r.extra.put("rss_growth_mb", growth);
        r.extra.put("heap_committed_growth_mb", heapGrowth);
        r.extra.put("growth_mb", nativeGrowth);
        r.extra.put("growth_per_step_kb", nativeGrowth * 1024 / measured);
        r.extra.put("total_s", secs(t0));
        return List.of(r);
    }
}
