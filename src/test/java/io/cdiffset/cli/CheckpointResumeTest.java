package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.io.AtomicFile;
import io.cdiffset.io.raster.AtomicFiles;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import io.cdiffset.train.Checkpoints;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static io.cdiffset.cli.OutputSafetyTest.tree;
import static org.junit.jupiter.api.Assertions.*;

/** train --resume [STEP] checks the checkpoint's manifest first; a full disk while checkpointing loses nothing. */
class CheckpointResumeTest {
    @TempDir
    static Path tmp;
    static Path data;
    static Path vae;

    @BeforeAll
    static void setUp() throws IOException {
        data = tmp.resolve("data");
        StringBuilder csv = new StringBuilder("id,sar,eo,split\n");
        for (int k = 0; k < 4; k++) {
            int n = 64;
            float[] s = new float[n * n], e = new float[3 * n * n];
            for (int i = 0; i < n * n; i++) {
                s[i] = (i * 7 + k * 31) % 256;
                e[i] = s[i];
                e[n * n + i] = 255 - s[i];
                e[2 * n * n + i] = 60;
            }
            Rasters.writePng(data.resolve("sar/" + k + ".png"), new Raster(n, n, 1, s, SampleType.U8, null));
            Rasters.writePng(data.resolve("eo/" + k + ".png"), new Raster(n, n, 3, e, SampleType.U8, null));
            csv.append(k).append(",sar/").append(k).append(".png,eo/").append(k).append(".png,").append(k < 3 ? "train" : "test").append('\n');
        }
        AtomicFile.writeString(data.resolve("pairs.csv"), csv.toString());
        vae = TestModels.tinyModel(tmp.resolve("model")).resolve("vae");
    }

    static TranslateCommandTest.Run train(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--config", "demo", "--data", data.toString(), "--out", out.toString(),
                "data.crop=64", "model.vae=" + vae, "model.block_out_channels=[16,16,16]", "model.attention_heads=[1,1,1]",
                "model.layers_per_block=1", "model.cross_attention_dim=32", "model.norm_num_groups=8", "train.batch=2", "train.steps=2",
                "train.warmup=1", "log.val_count=1", "log.sample_count=1", "log.val_every=2", "log.sample_every=1000",
                "log.checkpoint_every=2", "log.keep_checkpoints=5", "inference.steps=2", "data.cache_latents=false"));
        a.addAll(List.of(more));
        return TranslateCommandTest.run(a.toArray(String[]::new));
    }

    /** The part of the tree under {@code root} whose relative path starts with one of {@code prefixes}. */
    static Map<String, String> part(Path root, String... prefixes) {
        Map<String, String> t = new TreeMap<>(tree(root));
        t.keySet().removeIf(k -> Stream.of(prefixes).noneMatch(k::startsWith));
        return t;
    }

    static List<String> debris(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> root.relativize(p).toString()).filter(n -> n.endsWith(".tmp") || n.contains(".tmp/") || n.contains(".best.old")).toList();
        }
    }

    @Test
    void aDamagedLatestCheckpointIsRefusedAndAnEarlierOneCanBeResumed() throws Exception {
        Path run = tmp.resolve("run-damaged");
        TranslateCommandTest.Run r = train(run, "train.steps=4");
        assertEquals(0, r.code(), r.err());
        Path cp4 = run.resolve("checkpoints/step-0000004");
        assertNull(Checkpoints.damage(cp4));
        assertNull(Checkpoints.damage(run.resolve("best")));
        // best/ is a copy: no file of it is a hard link (shared with a checkpoint)
        try (Stream<Path> s = Files.walk(run.resolve("best"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) assertEquals(1, ((Number) Files.getAttribute(p, "unix:nlink")).intValue(), p.toString());
        }

        Path w = cp4.resolve("unet/diffusion_pytorch_model.safetensors");
        long size = Files.size(w);
        try (FileChannel ch = FileChannel.open(w, StandardOpenOption.WRITE)) {
            ch.truncate(size / 2);
        }
        Map<String, String> before = tree(run);
        r = train(run, "train.steps=4", "--resume");
        TrainOutTest.assertRefused(r, String.format(java.util.Locale.ROOT,
                "checkpoints/step-0000004 is damaged (unet/diffusion_pytorch_model.safetensors: %,d bytes, expected %,d); "
                        + "resume from the newest intact one with --resume step-0000002", size / 2, size));
        assertEquals(before, tree(run), "a refused --resume changes nothing");

        // what a kill -9 while checkpointing leaves: cleaned when the run resumes
        Files.createDirectories(run.resolve("checkpoints/.step-0000004.tmp/unet"));
        Files.writeString(run.resolve("checkpoints/.step-0000004.tmp/unet/diffusion_pytorch_model.safetensors"), "half");
        Files.writeString(run.resolve(".log.csv.4711.tmp"), "half");
        r = train(run, "--resume", "2", "train.steps=4"); // a bare step, then an override
        assertEquals(0, r.code(), r.err());
        assertNull(Checkpoints.damage(cp4), "step 4 written again, intact");
        assertEquals(List.of(), debris(run));
        assertEquals(4, Files.readAllLines(run.resolve("log.csv")).stream().filter(l -> !l.startsWith("step")).count());
        // --resume followed by an override resumes the latest
        r = train(run, "--resume", "train.steps=6");
        assertEquals(0, r.code(), r.err());
        assertNull(Checkpoints.damage(run.resolve("checkpoints/step-0000006")));
    }

    @Test
    void aFullDiskWhileCheckpointingLosesNothingAndLeavesNoDebris() throws Exception {
        Path run = tmp.resolve("run-full");
        TranslateCommandTest.Run r = train(run, "train.steps=2");
        assertEquals(0, r.code(), r.err());
        Map<String, String> before = part(run, "checkpoints", "best");
        long cpBytes = Files.size(run.resolve("checkpoints/step-0000002/unet/diffusion_pytorch_model.safetensors"));
        List<String> failures = new ArrayList<>();
        for (long left : new long[]{0, 1_000, cpBytes / 2, cpBytes + 50_000, 2 * cpBytes, 3 * cpBytes, 4 * cpBytes}) {
            AtomicFiles.simulateDiskFullAfter(left);
            try {
                r = train(run, "--resume", "train.steps=4");
            } finally {
                AtomicFiles.simulateDiskFullAfter(-1);
            }
            List<String> errors = r.err().lines().filter(l -> l.startsWith("cdiffset: error: ")).toList();
            System.out.println("disk full after " + left + " bytes: exit " + r.code() + ": " + errors);
            if (r.code() != 0) {
                assertEquals(1, r.code(), r.err());
                assertEquals(1, errors.size(), r.err());
                assertTrue(errors.get(0).contains("No space left on device"), r.err());
                failures.add(errors.get(0));
            }
            // nothing that was there is lost or altered (latest may only move on to a new, complete checkpoint)
            Map<String, String> after = part(run, "checkpoints", "best");
            for (var e : before.entrySet()) {
                if (e.getKey().equals("checkpoints/latest")) continue;
                assertEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " after a full disk at " + left + " bytes");
            }
            Path latest = run.resolve("checkpoints").resolve(Files.readString(run.resolve("checkpoints/latest")).trim());
            assertNull(Checkpoints.damage(latest), latest + " intact");
            for (Path cp : new Checkpoints(run).all()) assertNull(Checkpoints.damage(cp), cp + " intact");
            assertNull(Checkpoints.damage(run.resolve("best")), "best/ intact");
            assertEquals(List.of(), debris(run));
            assertTrue(Files.readString(run.resolve("log.csv")).startsWith("step,loss,lr,it_per_s\n1,"), "the log keeps its rows");
        }
        assertTrue(failures.stream().anyMatch(f -> f.contains("checkpoint at step 4 failed") && f.contains("diffusion_pytorch_model.safetensors")), failures.toString());
        assertTrue(failures.stream().anyMatch(f -> f.contains("checkpoint at step 4 failed") && f.contains("optimizer.safetensors")), failures.toString());
        // and once there is room again the run continues from the intact checkpoint
        r = train(run, "--resume", "train.steps=4");
        assertEquals(0, r.code(), r.err());
        assertNull(Checkpoints.damage(run.resolve("checkpoints/step-0000004")));
    }
}
