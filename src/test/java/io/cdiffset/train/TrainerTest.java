package io.cdiffset.train;

import io.cdiffset.TestModels;
import io.cdiffset.diffusion.CDiffLoss;
import io.cdiffset.diffusion.NoiseSchedule;
import io.cdiffset.engine.Progress;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.AtomicFile;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import io.cdiffset.model.unet.UNet2DConditionModel;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TrainerTest {
    @TempDir
    static Path tmp;
    static Path data;
    static Path vae;

    /** A tiny pairs.csv data set: EO is a colour function of the SAR so there is something to learn. */
    @BeforeAll
    static void dataSet() throws IOException {
        data = tmp.resolve("data");
        Files.createDirectories(data.resolve("sar"));
        Files.createDirectories(data.resolve("eo"));
        StringBuilder csv = new StringBuilder("id,sar,eo,split\n");
        for (int k = 0; k < 6; k++) {
            int n = 96;
            float[] s = new float[n * n], e = new float[3 * n * n];
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    float v = (float) (127 + 100 * Math.sin((x + 13 * k) / 9.0) * Math.cos((y - 7 * k) / 13.0));
                    s[y * n + x] = Math.round(v);
                    e[y * n + x] = Math.round(v * 0.8f);
                    e[n * n + y * n + x] = Math.round(255 - v * 0.7f);
                    e[2 * n * n + y * n + x] = 60;
                }
            }
            Rasters.writePng(data.resolve("sar/" + k + ".png"), new Raster(n, n, 1, s, SampleType.U8, null));
            Rasters.writePng(data.resolve("eo/" + k + ".png"), new Raster(n, n, 3, e, SampleType.U8, null));
            csv.append(k).append(",sar/").append(k).append(".png,eo/").append(k).append(".png,").append(k < 4 ? "train" : "test").append('\n');
        }
        AtomicFile.writeString(data.resolve("pairs.csv"), csv.toString());
        vae = TestModels.tinyModel(tmp.resolve("model")).resolve("vae");
    }

    static TrainConfig tiny(long steps, String... more) {
        List<String> o = new ArrayList<>(List.of("data.dir=" + data, "data.crop=64", "model.vae=" + vae,
                "model.block_out_channels=[16,16,16]", "model.attention_heads=[1,1,1]", "model.layers_per_block=1",
                "model.cross_attention_dim=32", "model.norm_num_groups=8", "train.batch=2", "train.steps=" + steps,
                "train.warmup=2", "train.lr=1e-3", "log.val_count=2", "log.sample_count=2", "log.val_every=1000",
                "log.sample_every=1000", "log.checkpoint_every=2", "log.keep_checkpoints=5", "inference.steps=2",
                "data.cache_latents=false"));
        o.addAll(List.of(more));
        return TrainConfig.load("demo", o);
    }

    @Test
    void thirtyStepsOnAFixedBatchLowerTheCDiffLoss() {
        TrainConfig cfg = tiny(30);
        torch.manual_seed(3);
        UNet2DConditionModel unet = new UNet2DConditionModel(ModelFactory.unetConfig(cfg, 8, 5));
        UNetTask.zeroVarianceHead(unet);
        NoiseSchedule sched = NoiseSchedule.sd21();
        Tensor zs = torch.randn(2, 4, 8, 8), ze = torch.randn(2, 4, 8, 8).mul(new org.bytedeco.pytorch.Scalar(0.5));
        Tensor noise = torch.randn(2, 4, 8, 8), ctx = torch.randn(2, 6, 32);
        Tensor t = Tensors.fromLongs(new long[]{200, 700}, 2);
        AdamW adam = AdamW.standard(unet.namedParameters(), 0.01);
        double first = 0, last = 0;
        for (int i = 0; i < 30; i++) {
            try (PointerScope s = new PointerScope()) {
                Tensor out = unet.forward(torch.cat(new TensorVector(zs, sched.addNoise(ze, noise, t)), 1), t, ctx);
                Tensor loss = CDiffLoss.loss(noise, out.narrow(1, 0, 4), out.narrow(1, 4, 1), sched.sqrtAlphaProd(t));
                loss.backward();
                adam.step(1e-3);
                adam.zeroGrad();
                if (i == 0) first = loss.item_double();
                last = loss.item_double();
            }
        }
        System.out.printf("C-Diff loss on a fixed batch: step 1 %.4f → step 30 %.4f%n", first, last);
        assertTrue(last < 0.7 * first, "loss did not fall: " + first + " → " + last);
    }

    /**
     * Native memory over the real training loop ({@link Trainer#run}: batch loading, forward, backward, AdamW, logs),
     * sampled after every optimizer step: it must not grow with the number of steps done.
     */
    @Test
    void nativeMemoryDoesNotGrowPerTrainingStep() {
        TrainConfig cfg = tiny(42, "log.checkpoint_every=1000", "log.every=1000");
        UNetTask task = UNetTask.create(cfg, null, Progress.NONE);
        Trainer trainer = new Trainer(cfg, task, tmp.resolve("run-memory"), Progress.NONE);
        io.cdiffset.engine.GrowthProbe probe = new io.cdiffset.engine.GrowthProbe();
        trainer.afterStep = s -> {
            if (s < 42) probe.sample(); // the last step also validates and checkpoints
        };
        trainer.run(false);
        assertEquals(41, probe.count());
        double growth = probe.growthMb(10);
        System.out.printf("training loop: native memory growth %.2f MB over steps 10→41 (%.1f KB per step)%n", growth, growth * 1000 / 31);
        assertTrue(growth < 8, "native memory grew by " + growth + " MB over 31 training steps");
    }

    @Test
    void resumedRunReachesTheSameWeightsAsAnUninterruptedOne() throws Exception {
        assertResumeIsExact("fp32");
    }

    /**
     * bf16 with accumulated micro-batches: the restored fp32 masters must reach the bf16 working copies (re-rounded
     * because the restore changed the masters), and the micro-batches add up in fp32 as in the uninterrupted run.
     */
    @Test
    void resumedBf16RunWithAccumulationReachesTheSameWeights() throws Exception {
        assertResumeIsExact("bf16", "train.precision=bf16", "train.grad_accum=2");
    }

    private void assertResumeIsExact(String label, String... more) throws Exception {
        Path a = tmp.resolve("run-a-" + label), b = tmp.resolve("run-b-" + label);
        UNetTask ta = UNetTask.create(tiny(6, more), null, Progress.NONE);
        new Trainer(tiny(6, more), ta, a, Progress.NONE).run(false);
        Map<String, Tensor> wa = ta.unet().namedParameters();

        UNetTask tb = UNetTask.create(tiny(6, more), null, Progress.NONE);
        Trainer crashing = new Trainer(tiny(6, more), tb, b, Progress.NONE);
        crashing.afterStep = s -> {
            if (s == 3) throw new IllegalStateException("simulated kill after step 3");
        };
        assertThrows(IllegalStateException.class, () -> crashing.run(false));
        assertEquals("step-0000002", Files.readString(b.resolve("checkpoints/latest")).trim());

        UNetTask tc = UNetTask.create(tiny(6, more), null, Progress.NONE); // a fresh process: new model, restored from disk
        new Trainer(tiny(6, more), tc, b, Progress.NONE).run(true);
        Map<String, Tensor> wc = tc.unet().namedParameters();
        double worst = 0;
        for (String k : wa.keySet()) worst = Math.max(worst, Tensors.maxAbsDiff(wa.get(k), wc.get(k)));
        assertEquals(0.0, worst, "resumed weights differ from the uninterrupted run by " + worst);
        // the log was cut back to the checkpoint and continued: steps 1..6 once each
        long rows = Files.readAllLines(b.resolve("log.csv")).stream().filter(l -> !l.startsWith("step")).count();
        assertEquals(6, rows);
        assertTrue(Files.exists(b.resolve("loss.png")));
        // the checkpoint folder is a loadable model
        assertNotNull(io.cdiffset.diffusion.ModelBundle.load(b.resolve("checkpoints/step-0000006"), null));
    }

    static TrainConfig tinyVae(long steps, String... more) {
        List<String> o = new ArrayList<>(List.of("data.dir=" + data, "data.crop=32", "model.vae_block_out_channels=[8,8,8,8]",
                "model.vae_layers_per_block=1", "model.norm_num_groups=4", "train.batch=4", "train.steps=" + steps, "train.warmup=1",
                "log.val_count=2", "log.sample_count=1", "log.val_every=1000", "log.sample_every=1000", "log.checkpoint_every=1000"));
        o.addAll(List.of(more));
        return TrainConfig.load("demo-vae", o);
    }

    static Path latestCheckpoint(Path run) throws IOException {
        return run.resolve("checkpoints").resolve(Files.readString(run.resolve("checkpoints/latest")).trim());
    }

    @Test
    void aVaeTrainedFromScratchIsExportedWithUnitVarianceLatents() throws Exception {
        Path run = tmp.resolve("vae-scratch");
        VaeTask t = VaeTask.create(tinyVae(3), null, Progress.NONE);
        new Trainer(tinyVae(3), t, run, Progress.NONE).run(false);
        Path dir = latestCheckpoint(run).resolve("vae");
        io.cdiffset.model.vae.AutoencoderKL vae = io.cdiffset.diffusion.ModelBundle.loadVae(dir);
        PairImages.Crops vc = PairImages.load(data, "auto", "auto", 0.8, 2024, 32, Progress.NONE)[1].gridCrops(32, 0, 2);
        Tensor z;
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            z = torch.cat(new TensorVector(vae.encodeLatent(Tensors.fromFloats(vc.eo(), 2, 3, 32, 32)),
                    vae.encodeLatent(Tensors.fromFloats(vc.sar(), 2, 3, 32, 32))), 0);
        }
        double factor = vae.config().scalingFactor(), std = z.std().item_double();
        System.out.printf("train-vae from scratch: exported scaling_factor %.4f, std of scaled validation latents %.6f%n", factor, std);
        assertNotEquals(0.18215, factor, 1e-3);
        assertEquals(1.0, std, 1e-4, "scaled latents should have unit std");
    }

    @Test
    void aVaeFineTunedFromAnotherStartsFromItsWeightsAndCanKeepItsScalingFactor() throws Exception {
        Path init = tmp.resolve("model/vae");
        VaeTask t = VaeTask.create(tinyVae(2, "model.vae_init=" + init, "model.vae_scaling_factor=keep"), null, Progress.NONE);
        Map<String, Tensor> start = io.cdiffset.diffusion.ModelBundle.loadVae(init).namedParameters();
        Map<String, Tensor> got = t.vae().namedParameters();
        assertEquals(start.keySet(), got.keySet());
        for (String k : start.keySet()) assertEquals(0.0, Tensors.maxAbsDiff(start.get(k), got.get(k)), k);
        Path run = tmp.resolve("vae-init");
        new Trainer(tinyVae(2, "model.vae_init=" + init, "model.vae_scaling_factor=keep"), t, run, Progress.NONE).run(false);
        var c = io.cdiffset.model.vae.VaeConfig.from(io.cdiffset.model.ConfigJson.read(latestCheckpoint(run).resolve("vae/config.json")));
        assertEquals(0.18215, c.scalingFactor(), 1e-9);
        assertArrayEquals(new int[]{32, 64, 32, 32}, c.blockOutChannels());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VaeTask.create(tinyVae(2, "train.eo_fraction=1.5"), null, Progress.NONE));
        assertTrue(e.getMessage().contains("train.eo_fraction"), e.getMessage());
    }

    @Test
    void aRunStartedFromAnotherRunsUNetStartsFromItsWeights() throws Exception {
        Path first = tmp.resolve("unet-first");
        new Trainer(tiny(2), UNetTask.create(tiny(2), null, Progress.NONE), first, Progress.NONE).run(false);
        Path ckpt = latestCheckpoint(first);
        UNetTask t = UNetTask.create(tiny(2, "model.unet_init=" + ckpt, "train.seed=99"), null, Progress.NONE);
        Map<String, Tensor> saved = io.cdiffset.io.SafeTensors.read(ckpt.resolve("unet/diffusion_pytorch_model.safetensors"));
        Map<String, Tensor> got = t.unet().namedParameters();
        assertEquals(saved.keySet(), got.keySet());
        for (String k : saved.keySet()) assertEquals(0.0, Tensors.maxAbsDiff(saved.get(k), got.get(k)), k);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UNetTask.create(tiny(2, "model.unet_init=" + tmp.resolve("nowhere")), null, Progress.NONE));
        assertTrue(e.getMessage().contains("model.unet_init"), e.getMessage());
    }

    @Test
    void aDecoderOnlyFineTuneKeepsTheEncoderAndItsLatentsAndChangesTheDecoder() throws Exception {
        Path init = tmp.resolve("model/vae");
        String[] opts = {"model.vae_init=" + init, "train.vae_part=decoder", "train.eo_fraction=1.0", "train.lr=1e-3"};
        VaeTask t = VaeTask.create(tinyVae(4, opts), null, Progress.NONE);
        assertTrue(t.trainable().keySet().stream().allMatch(k -> k.startsWith("decoder.") || k.startsWith("post_quant_conv.")), t.trainable().keySet().toString());
        assertTrue(t.trainable().size() > 0);
        Path run = tmp.resolve("vae-decoder");
        new Trainer(tinyVae(4, opts), t, run, Progress.NONE).run(false);
        Path out = latestCheckpoint(run).resolve("vae");
        Map<String, Tensor> start = io.cdiffset.diffusion.ModelBundle.loadVae(init).namedParameters();
        Map<String, Tensor> tuned = io.cdiffset.diffusion.ModelBundle.loadVae(out).namedParameters();
        double encoderChange = 0, decoderChange = 0;
        for (String k : start.keySet()) {
            double d = Tensors.maxAbsDiff(start.get(k), tuned.get(k));
            if (k.startsWith("decoder.") || k.startsWith("post_quant_conv.")) decoderChange = Math.max(decoderChange, d);
            else encoderChange = Math.max(encoderChange, d);
        }
        assertEquals(0.0, encoderChange, "encoder and quant_conv are frozen");
        assertTrue(decoderChange > 1e-4, "the decoder trained: max change " + decoderChange);
        var c = io.cdiffset.model.vae.VaeConfig.from(io.cdiffset.model.ConfigJson.read(out.resolve("config.json")));
        assertEquals(io.cdiffset.diffusion.ModelBundle.loadVae(init).config().scalingFactor(), c.scalingFactor(), 1e-12, "the latent space is unchanged");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VaeTask.create(tinyVae(2, "train.vae_part=decoder"), null, Progress.NONE));
        assertTrue(e.getMessage().contains("model.vae_init"), e.getMessage());
    }

    @Test
    void aCheckpointInterruptedMidWriteNeverReplacesTheLastGoodOne() throws Exception {
        Path out = tmp.resolve("cp");
        Checkpoints cps = new Checkpoints(out);
        cps.save(10, dir -> {
            SafeTensors.write(dir.resolve("w.safetensors"), Map.of("w", torch.ones(3)), Map.of());
            AtomicFile.writeString(dir.resolve(Checkpoints.STATE_FILE), "{\"step\":10}");
        }, 3);
        assertThrows(RuntimeException.class, () -> cps.save(20, dir -> {
            SafeTensors.write(dir.resolve("w.safetensors"), Map.of("w", torch.zeros(3)), Map.of());
            throw new IOException("disk full (simulated) while writing the state file");
        }, 3));
        assertEquals(out.resolve("checkpoints/step-0000010"), cps.latest());
        assertFalse(Files.exists(out.resolve("checkpoints/step-0000020")));
        try (var s = Files.list(out.resolve("checkpoints"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temporary folder left behind");
        }
        assertArrayEquals(new float[]{1, 1, 1}, Tensors.toFloats(SafeTensors.read(cps.latest().resolve("w.safetensors")).get("w")));
    }

    @Test
    void warmupThenCosine() {
        LrSchedule s = new LrSchedule(3e-5, 100, 50_000, true);
        assertEquals(0.0, s.at(0));
        assertEquals(1.5e-5, s.at(50), 1e-12);
        assertEquals(3e-5, s.at(100), 1e-12);
        assertEquals(1.5e-5, s.at(100 + 49_900 / 2), 1e-9);
        assertEquals(0.0, s.at(50_000), 1e-12);
    }
}
