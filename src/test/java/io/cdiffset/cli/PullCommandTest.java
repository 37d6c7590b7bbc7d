package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.hub.FakeHub;
import io.cdiffset.io.raster.Rasters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real command line in child JVMs (the environment decides where the cache and the Hub are): {@code cdiffset pull}
 * from a fake Hub, then {@code translate --model ORG/NAME} from the cache with the Hub stopped.
 */
class PullCommandTest {
    static final String REPO = "acme/tiny-cdiffset";
    static final String COMMIT = "89abcdef0123456789abcdef0123456789abcdef";

    record Run(int code, String out, String err) {}

    static Run cdiffset(Path work, Map<String, String> env, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(work, "out", ".txt"), err = Files.createTempFile(work, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("HUGGINGFACE_") || k.equals("XDG_CACHE_HOME"));
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("cdiffset " + String.join(" ", args) + " did not finish");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void pullThenTranslateFromTheCacheWithTheHubStopped(@TempDir Path tmp) throws Exception {
        Path model = TestModels.tinyModel(tmp.resolve("model"));
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(model)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) files.put(model.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
        }
        Path hfHome = tmp.resolve("hf");
        Map<String, String> env;
        Path snapshot;
        try (FakeHub hub = new FakeHub(REPO, COMMIT, files)) {
            env = Map.of("HF_HOME", hfHome.toString(), "HF_ENDPOINT", hub.endpoint());
            Run pull = cdiffset(tmp, env, "pull", REPO);
            System.out.println("pull stderr:\n" + pull.err() + "pull stdout: " + pull.out());
            assertEquals(0, pull.code(), pull.err());
            snapshot = hfHome.resolve("hub/models--acme--tiny-cdiffset/snapshots/" + COMMIT);
            assertEquals(snapshot.toString(), pull.out().strip(), "stdout: the snapshot folder");
            assertTrue(pull.err().contains(files.size() + " file(s), " + files.size() + " downloaded"), pull.err());

            Run bad = cdiffset(tmp, env, "pull", "acme/nope");
            System.out.println("pull acme/nope: " + bad.err());
            assertEquals(2, bad.code(), bad.err());
            assertEquals(1, bad.err().strip().lines().count(), "one line: " + bad.err());
        }
        // the Hub is gone: translate must not need it
        Path in = tmp.resolve("sar.png");
        Rasters.writePng(in, TranslateCommandTest.sarRamp(64, 64, null));
        Run t = cdiffset(tmp, env, "translate", in.toString(), "-o", tmp.resolve("out").toString(), "--model", REPO, "--steps", "2");
        assertEquals(0, t.code(), t.err());
        assertTrue(Files.isRegularFile(tmp.resolve("out/sar.png")), t.out() + t.err());
        assertTrue(t.err().contains(snapshot.toString()), "translated with the cached snapshot: " + t.err());

        Run missing = cdiffset(tmp, env, "translate", in.toString(), "-o", tmp.resolve("out2").toString(), "--model", "acme/other");
        System.out.println("translate --model acme/other: " + missing.err());
        assertEquals(2, missing.code(), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), "one line: " + missing.err());
        assertTrue(missing.err().contains("run: cdiffset pull acme/other"), missing.err());
        assertFalse(Files.exists(tmp.resolve("out2")), "a failed command leaves nothing behind");
    }
}
