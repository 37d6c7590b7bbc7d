package io.cdiffset.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Issue #13: evaluate -o OUT silently replaced an existing report. */
class EvaluateOverwriteTest {
    @TempDir
    Path tmp;

    @Test
    void anExistingReportIsKeptUnlessOverwrite() throws Exception {
        Path pred = Files.createDirectories(tmp.resolve("pred")), target = Files.createDirectories(tmp.resolve("target"));
        EvaluateMissingTest.rgb(pred.resolve("a.png"), 1);
        EvaluateMissingTest.rgb(target.resolve("a.png"), 2);
        Path out = Files.createDirectories(tmp.resolve("report"));
        Map<String, byte[]> old = new LinkedHashMap<>();
        for (String f : new String[]{"report.md", "summary.csv", "per_image.csv", "index.html"}) {
            byte[] b = ("the user's old " + f + "\n").getBytes();
            Files.write(out.resolve(f), b);
            old.put(f, b);
        }
        TranslateCommandTest.Run r = TranslateCommandTest.run("evaluate", "--pred", pred.toString(), "--target", target.toString(), "-o", out.toString(), "--no-images");
        System.out.println("existing report: exit " + r.code() + ": " + r.err().strip());
        assertEquals(2, r.code(), r.err());
        String line = r.err().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains(out.toString()) && line.contains("--overwrite") && line.contains("-o"), line);
        for (Map.Entry<String, byte[]> e : old.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(out.resolve(e.getKey())), e.getKey() + " must be byte-identical");
        }

        // one report file is enough to refuse
        Path out2 = Files.createDirectories(tmp.resolve("report2"));
        Files.writeString(out2.resolve("summary.csv"), "x\n");
        r = TranslateCommandTest.run("evaluate", "--pred", pred.toString(), "--target", target.toString(), "-o", out2.toString(), "--no-images");
        assertEquals(2, r.code(), r.err());
        assertEquals("x\n", Files.readString(out2.resolve("summary.csv")));

        // refused before anything else: even a missing model folder is not looked at
        r = TranslateCommandTest.run("evaluate", "--model", tmp.resolve("no-model").toString(), "--data", tmp.resolve("no-data").toString(), "-o", out.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--overwrite"), r.err());

        r = TranslateCommandTest.run("evaluate", "--pred", pred.toString(), "--target", target.toString(), "-o", out.toString(), "--no-images", "--overwrite");
        System.out.println("--overwrite: exit " + r.code());
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.readString(out.resolve("per_image.csv")).contains("the user's old"), "replaced with --overwrite");
    }
}
