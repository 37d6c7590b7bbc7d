package io.cdiffset.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** SIGTERM (or SIGINT) during an atomic write or a checkpoint write leaves no temporary file or folder behind. */
class ShutdownCleanupTest {
    static List<String> all(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> root.relativize(p).toString()).filter(n -> !n.isEmpty()).sorted().toList();
        }
    }

    @Test
    void sigtermDuringWritesLeavesNoTemporaryFiles(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("out.bin"), "the previous complete file");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), SlowWriteMain.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
            String line = r.readLine();
            assertEquals("WRITING", line, "child output");
            List<String> during = all(dir);
            assertTrue(during.stream().anyMatch(n -> n.matches("\\.out\\.bin\\.[0-9-]+\\.tmp")), "a temporary file while writing: " + during);
            assertTrue(during.contains("run/checkpoints/.step-0000002.tmp"), "a temporary checkpoint folder while writing: " + during);
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child did not stop");
            assertEquals(143, p.exitValue(), "killed by SIGTERM");
        } finally {
            p.destroyForcibly();
        }
        List<String> after = all(dir);
        assertEquals(List.of("out.bin", "run", "run/checkpoints"), after, "nothing but what was there and the (empty) checkpoints folder");
        assertEquals("the previous complete file", Files.readString(dir.resolve("out.bin")));
    }
}
