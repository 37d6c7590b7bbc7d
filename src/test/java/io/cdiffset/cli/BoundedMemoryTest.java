package io.cdiffset.cli;

import io.cdiffset.io.raster.HostileFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue #13, "memory taken by a few bytes": the crafted 46,000² PNG (a valid header and a tiny IDAT) and the
 * 100,000² TIFF whose strips all point at one row are refused by translate in one line, exit 2, nothing written,
 * in under 2 s at a peak RSS under 400 MB, measured in a child JVM (-Xmx1g) that prints its own VmHWM.
 */
class BoundedMemoryTest {
    @TempDir
    Path tmp;

    @Test
    void crafted46kPngIsRefusedQuicklyInLittleMemory() throws Exception {
        Path in = HostileFiles.png(tmp.resolve("bomb.png"), 46_000, 46_000);
        Result r = translate(in);
        assertTrue(r.stderr.contains("46000x46000") && r.stderr.contains("--max-pixels"), r.stderr);
        assertTrue(r.stderr.contains("over the limit of " + io.cdiffset.io.raster.Rasters.MAX_WHOLE_PIXELS), r.stderr);
    }

    @Test
    void crafted100kPngSaysTooLargeNotDamaged() throws Exception {
        Path in = HostileFiles.png(tmp.resolve("huge.png"), 100_000, 100_000);
        Result r = translate(in);
        assertTrue(r.stderr.contains("too large") && r.stderr.contains("--max-pixels"), r.stderr);
        assertFalse(r.stderr.contains("damaged or truncated"), r.stderr);
    }

    @Test
    void crafted100kTiffIsRefusedQuicklyInLittleMemory() throws Exception {
        Path in = HostileFiles.tiffStripsOnOneRow(tmp.resolve("bomb.tif"), 100_000);
        assertTrue(Files.size(in) < 1_000_000, "about 900 KB: " + Files.size(in));
        Result r = translate(in);
        assertTrue(r.stderr.contains("corrupt TIFF") && r.stderr.contains("100000x100000"), r.stderr);
    }

    @Test
    void raisingTheLimitReachesTheDataCheckNotTheDecoder() throws Exception {
        Path in = HostileFiles.png(tmp.resolve("bomb.png"), 46_000, 46_000);
        Result r = translate(in, "--max-pixels", "3000000000");
        assertTrue(r.stderr.contains("too little data"), r.stderr);
    }

    record Result(String stderr, long hwmKb, long ms) {}

    Result translate(Path in, String... extra) throws Exception {
        Path out = tmp.resolve("out");
        Path model = Files.createDirectories(tmp.resolve("model"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"), RssProbe.class.getName(),
                "translate", in.toString(), "-o", out.toString(), "--model", model.toString()));
        cmd.addAll(List.of(extra));
        Path log = tmp.resolve("child.out"), err = tmp.resolve("child.err");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(log.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        long wallMs = (System.nanoTime() - t0) / 1_000_000;
        String stdout = Files.readString(log, StandardCharsets.UTF_8), stderr = Files.readString(err, StandardCharsets.UTF_8).strip();
        Matcher m = Pattern.compile("VmHWM (\\d+) kB, (\\d+) ms").matcher(stdout);
        assertTrue(m.find(), stdout + stderr);
        long hwm = Long.parseLong(m.group(1)), ms = Long.parseLong(m.group(2));
        System.out.printf("%s %s: exit %d, peak RSS %.0f MB, %d ms in the JVM (%d ms wall with JVM start): %s%n",
                in.getFileName(), String.join(" ", extra), p.exitValue(), hwm / 1024.0, ms, wallMs, stderr);
        assertEquals(2, p.exitValue(), stderr);
        assertEquals(1, stderr.lines().count(), "one line: " + stderr);
        assertTrue(stderr.startsWith("cdiffset: error: "), stderr);
        assertTrue(hwm < 400 * 1024, "peak RSS " + hwm + " kB");
        // the time is printed, not asserted (no timing assertions in tests); 0.7-1.1 s on the build machine
        assertFalse(Files.exists(out), "nothing written");
        return new Result(stderr, hwm, ms);
    }
}
