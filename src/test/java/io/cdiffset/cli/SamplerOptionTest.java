package io.cdiffset.cli;

import io.cdiffset.io.raster.Rasters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** translate --sampler (issue #17): few-step samplers on the shipped samples, defaults from sampling.json, bad names. */
class SamplerOptionTest {
    static final Path SAMPLE = Path.of("samples/sar/s1s2_003_y384_x256.png");

    @Test
    void translateWithDpmSolverGivesAnImageDifferentFromDdimAndReproducible(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("dpm"), b = tmp.resolve("ddim");
        assertEquals(0, Main.run("translate", SAMPLE.toString(), "-o", a.toString(), "--sampler", "dpmpp_2m", "--steps", "4", "--seed", "1", "--sar-guidance", "1"));
        assertEquals(0, Main.run("translate", SAMPLE.toString(), "-o", b.toString(), "--sampler", "ddim", "--steps", "4", "--seed", "1", "--sar-guidance", "1"));
        var dpm = Rasters.read(a.resolve("s1s2_003_y384_x256.png"));
        var ddim = Rasters.read(b.resolve("s1s2_003_y384_x256.png"));
        assertEquals(ddim.width(), dpm.width());
        assertEquals(ddim.height(), dpm.height());
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a.resolve("s1s2_003_y384_x256.png")), Files.readAllBytes(b.resolve("s1s2_003_y384_x256.png"))),
                "a different sampler gives a different image");
        // the same seed and sampler again: the same bytes
        Path c = tmp.resolve("again");
        assertEquals(0, Main.run("translate", SAMPLE.toString(), "-o", c.toString(), "--sampler", "dpmpp_2m", "--steps", "4", "--seed", "1", "--sar-guidance", "1"));
        assertArrayEquals(Files.readAllBytes(a.resolve("s1s2_003_y384_x256.png")), Files.readAllBytes(c.resolve("s1s2_003_y384_x256.png")));
    }

    @Test
    void anUnknownSamplerIsOneLineAndWritesNothing(@TempDir Path tmp) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true));
        int code;
        try {
            code = Main.run("translate", SAMPLE.toString(), "-o", tmp.resolve("out").toString(), "--sampler", "plms");
        } finally {
            System.setErr(old);
        }
        assertEquals(2, code);
        String msg = err.toString().strip();
        assertEquals(1, msg.lines().count(), msg);
        assertTrue(msg.contains("plms") && msg.contains("dpmpp_2m"), msg);
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void exportRecordsTheSamplerAndTranslateUsesIt(@TempDir Path tmp) throws Exception {
        Path m = tmp.resolve("m");
        assertEquals(0, Main.run("export", "models/default", "-o", m.toString(), "--sampler", "euler", "--steps", "3"));
        String json = Files.readString(m.resolve("sampling.json"));
        assertTrue(json.contains("\"sampler\" : \"euler\"") && json.contains("\"steps\" : 3"), json);
        assertTrue(json.contains("sar_guidance"), "the source's guidance is kept: " + json);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true));
        try {
            assertEquals(0, Main.run("translate", SAMPLE.toString(), "-o", tmp.resolve("o").toString(), "--model", m.toString()));
        } finally {
            System.setErr(old);
        }
        assertTrue(err.toString().contains("euler, 3 steps"), err.toString());
    }
}
