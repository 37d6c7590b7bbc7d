package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.io.raster.Rasters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** translate / evaluate never overwrite an input or an existing output unasked, and leave no empty folder behind. */
class OutputSafetyTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void setUp() {
        model = TestModels.tinyModel(tmp.resolve("model"));
    }

    /** Every file and folder under {@code root}: relative path → SHA-256 of the bytes ("dir" for a folder). */
    static Map<String, String> tree(Path root) {
        Map<String, String> t = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String rel = root.relativize(p).toString();
                t.put(rel, Files.isDirectory(p) ? "dir" : HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return t;
    }

    static Path images(String name, String... files) {
        Path dir = tmp.resolve(name);
        for (String f : files) Rasters.writePng(dir.resolve(f), TranslateCommandTest.sarRamp(64, 64, null));
        return dir;
    }

    static void assertRefused(TranslateCommandTest.Run r, String... mentions) {
        assertEquals(2, r.code(), r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), "one line:\n" + r.err());
        assertTrue(lines.get(0).startsWith("cdiffset: error: "), r.err());
        for (String m : mentions) assertTrue(lines.get(0).contains(m), "mentions " + m + ": " + r.err());
    }

    static TranslateCommandTest.Run translate(String... args) {
        String[] all = Stream.concat(Stream.of("translate"), Stream.concat(Stream.of(args),
                Stream.of("--steps", "2"))).toArray(String[]::new);
        return TranslateCommandTest.run(all);
    }

    @Test
    void translateIntoTheInputFolderLeavesTheInputsByteIdentical() {
        Path dir = images("same-folder", "a.png", "b.png");
        Map<String, String> before = tree(dir);
        assertRefused(translate(dir.toString(), "-o", dir.toString(), "--model", model.toString()), "input folder");
        assertEquals(before, tree(dir));
        // --overwrite never extends to inputs
        assertRefused(translate(dir.toString(), "-o", dir.toString(), "--model", model.toString(), "--overwrite"), "input folder");
        assertEquals(before, tree(dir));
        // the same folder spelled differently
        assertRefused(translate(dir.toString(), "-o", dir.resolve("../same-folder/.").toString(), "--model", model.toString()), "input folder");
        assertEquals(before, tree(dir));
    }

    @Test
    void anOutputThatWouldLandOnAnInputFileIsRefused() {
        Path dir = images("file-input", "a.png", "b.png");
        Map<String, String> before = tree(dir);
        assertRefused(translate(dir.resolve("a.png").toString(), "-o", dir.toString(), "--model", model.toString()),
                "a.png", "would overwrite the input");
        assertEquals(before, tree(dir));
        assertRefused(translate(dir.resolve("a.png").toString(), "-o", dir.toString(), "--model", model.toString(), "--overwrite"),
                "a.png", "would overwrite the input");
        assertEquals(before, tree(dir));
    }

    @Test
    void anExistingOutputIsKeptUnlessOverwriteIsGiven() throws Exception {
        Path in = images("existing-in", "a.png", "b.png");
        Path out = tmp.resolve("existing-out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("b.png"), "an earlier result the user cares about");
        Map<String, String> before = tree(out);
        assertRefused(translate(in.toString(), "-o", out.toString(), "--model", model.toString()), "b.png", "already exists", "--overwrite");
        assertEquals(before, tree(out), "nothing written, not even a.png");
        TranslateCommandTest.Run r = translate(in.toString(), "-o", out.toString(), "--model", model.toString(), "--overwrite");
        assertEquals(0, r.code(), r.err());
        assertEquals(64, Rasters.read(out.resolve("b.png")).width(), "replaced by the new output");
        assertEquals(64, Rasters.read(out.resolve("a.png")).width());
    }

    @Test
    void twoInputsWithOneOutputNameAreRefused() {
        Path x = images("clash-x", "a.png"), y = images("clash-y", "a.png");
        Path out = tmp.resolve("clash-out");
        assertRefused(translate(x.toString(), y.toString(), "-o", out.toString(), "--model", model.toString()), "a.png", "both");
        assertFalse(Files.exists(out));
    }

    @Test
    void aTranslateThatFailsAfterTheInputChecksLeavesNoNewFolder() throws Exception {
        Path in = images("fail-in", "a.png");
        Path root = tmp.resolve("fail-root");
        Files.createDirectories(root);
        Map<String, String> before = tree(root);

        // a model folder that does not exist
        TranslateCommandTest.Run r = translate(in.toString(), "-o", root.resolve("out").toString(), "--model", tmp.resolve("no-such-model").toString());
        assertNotEquals(0, r.code(), r.err());
        assertEquals(before, tree(root), "no folder left: " + r.err());

        // a model whose UNet weights are cut short; the output folder and a missing parent are both new
        Path bad = TestModels.tinyModel(tmp.resolve("truncated-model"));
        Path w = bad.resolve("unet/diffusion_pytorch_model.safetensors");
        byte[] b = Files.readAllBytes(w);
        Files.write(w, java.util.Arrays.copyOf(b, b.length / 2));
        r = translate(in.toString(), "-o", root.resolve("new/out").toString(), "--model", bad.toString());
        assertNotEquals(0, r.code(), r.err());
        assertEquals(before, tree(root), "no folder left: " + r.err());

        // an output folder that existed before is kept, empty as it was
        Files.createDirectories(root.resolve("kept"));
        before = tree(root);
        r = translate(in.toString(), "-o", root.resolve("kept").toString(), "--model", bad.toString());
        assertNotEquals(0, r.code(), r.err());
        assertEquals(before, tree(root));
    }

    @Test
    void anEvaluateThatFailsLeavesNoNewFolder() throws Exception {
        Path pred = images("eval-pred", "a.png"), target = images("eval-target", "b.png");
        Path root = tmp.resolve("eval-root");
        Files.createDirectories(root);
        Map<String, String> before = tree(root);
        TranslateCommandTest.Run r = TranslateCommandTest.run("evaluate", "--pred", pred.toString(), "--target", target.toString(),
                "-o", root.resolve("report").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("a.png (no target)"), r.err());
        assertEquals(before, tree(root));
    }
}
