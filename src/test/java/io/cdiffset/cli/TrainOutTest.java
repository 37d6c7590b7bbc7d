package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.io.AtomicFile;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.cdiffset.cli.OutputSafetyTest.tree;
import static org.junit.jupiter.api.Assertions.*;

/** train / train-vae never write into a non-empty --out unless told to continue (--resume) or start over (--overwrite). */
class TrainOutTest {
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

    /** A run folder as a previous training left it. */
    static Path fakeRun(String name) throws IOException {
        Path run = tmp.resolve(name);
        Files.createDirectories(run.resolve("checkpoints/step-0000500/unet"));
        Files.writeString(run.resolve("log.jsonl"), "{\"step\":1,\"loss\":0.5}\n{\"step\":500,\"loss\":0.1}\n");
        Files.writeString(run.resolve("log.csv"), "step,loss,lr,it_per_s\n1,0.5,1e-5,1\n500,0.1,3e-5,1\n");
        Files.writeString(run.resolve("config.yaml"), "# a week of training\ntask: unet\n");
        Files.write(run.resolve("loss.png"), new byte[]{(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Files.writeString(run.resolve("checkpoints/latest"), "step-0000500\n");
        Files.writeString(run.resolve("checkpoints/step-0000500/trainer_state.json"), "{\"step\":500}");
        Files.write(run.resolve("checkpoints/step-0000500/unet/diffusion_pytorch_model.safetensors"), new byte[]{1, 2, 3, 4});
        return run;
    }

    static TranslateCommandTest.Run train(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--config", "demo", "--data", data.toString(), "--out", out.toString(),
                "data.crop=64", "model.vae=" + vae, "model.block_out_channels=[16,16,16]", "model.attention_heads=[1,1,1]",
                "model.layers_per_block=1", "model.cross_attention_dim=32", "model.norm_num_groups=8", "train.batch=2", "train.steps=2",
                "train.warmup=1", "log.val_count=1", "log.sample_count=1", "log.val_every=1000", "log.sample_every=1000",
                "log.checkpoint_every=2", "log.keep_checkpoints=1", "inference.steps=2", "data.cache_latents=false"));
        a.addAll(List.of(more));
        return TranslateCommandTest.run(a.toArray(String[]::new));
    }

    static void assertRefused(TranslateCommandTest.Run r, String... mentions) {
        assertEquals(2, r.code(), r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), "one line:\n" + r.err());
        assertTrue(lines.get(0).startsWith("cdiffset: error: "), r.err());
        for (String m : mentions) assertTrue(lines.get(0).contains(m), "mentions " + m + ": " + r.err());
    }

    @Test
    void trainRefusesAnExistingRunAndLeavesItByteIdentical() throws Exception {
        Path run = fakeRun("run-refused");
        Map<String, String> before = tree(run);
        assertRefused(train(run), run.toString(), "--resume", "--overwrite");
        assertEquals(before, tree(run));
        assertRefused(train(run, "--resume", "--overwrite"), "not both");
        assertEquals(before, tree(run));
    }

    @Test
    void trainVaeRefusesAnyNonEmptyFolder() throws Exception {
        Path out = tmp.resolve("notes");
        Files.createDirectories(out);
        Files.writeString(out.resolve("notes.txt"), "not a run, but mine");
        Map<String, String> before = tree(out);
        assertRefused(TranslateCommandTest.run("train-vae", "--data", data.toString(), "--out", out.toString(), "train.steps=1"), "--overwrite");
        assertEquals(before, tree(out));
    }

    @Test
    void overwriteStartsOverAndMovesTheOldRunAside() throws Exception {
        Path run = fakeRun("run-over");
        Map<String, String> before = tree(run);
        TranslateCommandTest.Run r = train(run, "--overwrite");
        assertEquals(0, r.code(), r.err());
        List<Path> aside;
        try (Stream<Path> s = Files.list(tmp)) {
            aside = s.filter(p -> p.getFileName().toString().startsWith("run-over.old-")).toList();
        }
        assertEquals(1, aside.size(), "the old run moved aside once: " + aside);
        assertEquals(before, tree(aside.get(0)), "the old run, byte-identical");
        assertEquals("step-0000002", Files.readString(run.resolve("checkpoints/latest")).trim());
        assertTrue(Files.exists(run.resolve("checkpoints/step-0000002/trainer_state.json")));
        assertFalse(Files.exists(run.resolve("checkpoints/step-0000500")));
    }
}
