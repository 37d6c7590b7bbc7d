package io.cdiffset.metrics;

import io.cdiffset.io.raster.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvaluationReportTest {

    private static EvaluationReport sample() {
        EvaluationReport r = new EvaluationReport("QXS-SAROPT test");
        r.putMetadata("checkpoint", "runs/best.safetensors");
        r.addRow("img_001", new EvaluationReport.Scores(21.5, 0.61, 0.42, null),
                new EvaluationReport.Scores(26.0, 0.70, 0.45, null),
                new EvaluationReport.ImagePaths("sar/img_001.png", "pred/img_001.png", "eo/img_001.png", "conf/img_001.png"));
        r.addRow("img,002 \"odd\"", new EvaluationReport.Scores(19.5, 0.59, 0.40, null),
                new EvaluationReport.Scores(24.0, 0.66, 0.41, null),
                new EvaluationReport.ImagePaths("sar/img 002.png", "pred/img 002.png", "eo/img 002.png", null));
        r.skipLpips("VGG backbone weights not found at models/lpips_vgg.safetensors");
        r.skipFid("InceptionV3 weights not found");
        return r;
    }

    @Test
    void meansAndSkippedValues() {
        EvaluationReport r = sample();
        assertEquals(20.5, r.meanPsnr().value(), 1e-12);
        assertEquals(25.0, r.mean("psnr", true).value(), 1e-12);
        assertEquals(0.60, r.meanSsim().value(), 1e-12);
        assertTrue(r.meanLpips().isSkipped());
        assertEquals("skipped: VGG backbone weights not found at models/lpips_vgg.safetensors", r.meanLpips().display(4));
        assertTrue(r.fid().isSkipped());
        r.setFid(12.5);
        assertEquals(12.5, r.fid().value());
        assertTrue(r.fidAuthorsQuirk().isSkipped());
    }

    @Test
    void writesParsableCsvMarkdownAndHtml(@TempDir Path tmp) throws IOException {
        EvaluationReport r = sample();
        r.writeAll(tmp.resolve("eval"));
        Path csv = tmp.resolve("eval/per_image.csv");
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        assertEquals(3, lines.size());
        assertEquals("id,psnr,ssim,scc,lpips,psnr_authors_quirk,ssim_authors_quirk,scc_authors_quirk,lpips_authors_quirk",
                lines.get(0));
        List<String> row1 = parseCsvLine(lines.get(1));
        assertEquals(9, row1.size());
        assertEquals("img_001", row1.get(0));
        assertEquals(21.5, Double.parseDouble(row1.get(1)), 1e-9);
        assertEquals("", row1.get(4), "LPIPS not computed must be empty, never 0");
        assertEquals(26.0, Double.parseDouble(row1.get(5)), 1e-9);
        List<String> row2 = parseCsvLine(lines.get(2));
        assertEquals(9, row2.size());
        assertEquals("img,002 \"odd\"", row2.get(0));

        String summary = Files.readString(tmp.resolve("eval/summary.csv"));
        assertTrue(summary.startsWith("metric,standard,authors_quirk\n"), summary);
        assertTrue(summary.contains("lpips_mean,skipped: VGG backbone weights not found"), summary);
        assertTrue(summary.contains("fid,skipped: InceptionV3 weights not found"), summary);

        String md = Files.readString(tmp.resolve("eval/report.md"));
        assertTrue(md.contains("| PSNR (dB, mean over images) | 20.5000 | 25.0000 |"), md);
        assertTrue(md.contains("psnr_authors_quirk"));
        assertTrue(md.contains("skipped: VGG backbone weights not found"));
        assertFalse(md.contains("| 0.00000 |"), "skipped LPIPS must not appear as 0");

        String html = Files.readString(tmp.resolve("eval/index.html"));
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("src=\"sar/img_001.png\""));
        assertTrue(html.contains("src=\"pred/img%20002.png\""));
        assertTrue(html.contains("no confidence"));
        assertTrue(html.contains("img,002 &quot;odd&quot;"));
        assertFalse(html.contains("<script"));
        assertFalse(html.contains("http://") || html.contains("https://"), "self-contained page");

        try (Stream<Path> files = Files.list(tmp.resolve("eval"))) {
            assertEquals(List.of("index.html", "per_image.csv", "report.md", "summary.csv"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temp files left behind");
        }
    }

    @Test
    void atomicWriteReplacesAndCleansUpOnFailure(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("a.csv");
        AtomicFiles.writeString(f, "one");
        AtomicFiles.writeString(f, "two");
        assertEquals("two", Files.readString(f));
        Path dir = tmp.resolve("occupied");
        Files.createDirectories(dir.resolve("child"));
        assertThrows(IOException.class, () -> AtomicFiles.writeString(dir, "x"));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of("a.csv", "occupied"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void scoresComputeMatchesIndividualMetrics() {
        int c = 3;
        int h = 12;
        int w = 10;
        float[] p = new float[c * h * w];
        float[] t = new float[c * h * w];
        for (int i = 0; i < p.length; i++) {
            t[i] = (i % 17) / 17f;
            p[i] = Math.min(1f, t[i] + ((i % 5) - 2) * 0.01f + 0.01f);
        }
        EvaluationReport.Scores s = EvaluationReport.Scores.compute(p, t, c, h, w);
        // errors cycle through -0.01, 0, 0.01, 0.02, 0.03 (360 values, 72 each): MSE = (1+0+1+4+9)e-4 / 5 = 3e-4
        assertEquals(10 * Math.log10(1 / 3e-4), s.psnr(), 1e-4);
        assertEquals(Ssim.of(p, t, c, h, w), s.ssim());
        assertEquals(Scc.of(p, t, c, h, w), s.scc());
        assertEquals(null, s.lpips());
        assertEquals(0.1, s.withLpips(0.1).lpips());
    }

    /** RFC 4180 line parser (no embedded newlines needed here). */
    static List<String> parseCsvLine(String line) {
        List<String> out = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cur.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cur.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
