package io.cdiffset.metrics;

import io.cdiffset.engine.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Paired statistics of {@link ReportComparison} against values worked out by hand on tiny report folders. */
class ReportComparisonTest {
    @TempDir
    Path tmp;

    static final String HEADER = "id,psnr,ssim,scc,lpips,psnr_authors_quirk,ssim_authors_quirk,scc_authors_quirk,lpips_authors_quirk\n";

    /** A report folder as evaluate writes it: per_image.csv (rows "id,psnr,ssim,scc,lpips") and, if sampler given, report.md. */
    static Path report(Path dir, String sampler, Integer steps, String... rows) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder(HEADER);
        for (String r : rows) csv.append(r).append(",1,1,1,\n");
        Files.writeString(dir.resolve("per_image.csv"), csv);
        if (sampler != null) {
            Files.writeString(dir.resolve("report.md"), "# model: m on d (test, " + rows.length + " crops of 256)\n\n"
                    + "- **model**: models/default\n- **crops**: " + rows.length + " x 256x256\n- **sampler**: " + sampler + "\n"
                    + (steps == null ? "" : "- **steps**: " + steps + "\n") + "- **seed**: 0\n\n| metric | standard |\n");
        }
        return dir;
    }

    /** Reference: 4 crops a..d. */
    Path reference() throws IOException {
        return report(tmp.resolve("ddim-50"), "ddim", 50,
                "a,10,0.4,0.00,0.30", "b,11,0.5,0.01,0.31", "c,12,0.6,0.02,0.32", "d,13,0.7,0.03,0.33");
    }

    @Test
    void meanDeltaAndStandardErrorOverTheSharedCrops() throws IOException {
        ReportComparison.Report ref = ReportComparison.read(reference());
        // 3 of the reference's 4 crops plus one it does not have (z, ignored)
        ReportComparison.Report rep = ReportComparison.read(report(tmp.resolve("run"), "dpmpp_2m", 10,
                "b,11.5,0.52,0.00,", "c,12.1,0.58,0.01,", "d,13.6,0.70,0.02,", "z,99,0.99,0.9,"));
        ReportComparison cmp = ReportComparison.of(ref, List.of(rep));
        assertEquals(2, cmp.rows().size());
        ReportComparison.Row row = cmp.rows().get(1);
        assertEquals(3, row.crops());
        assertEquals("dpmpp_2m", row.label());
        assertEquals(10, row.report().steps());

        // PSNR differences 0.5, 0.1, 0.6: Δ = 0.4, deviations 0.1, -0.3, 0.2, s.d. = √(0.14 / 2), s.e. = s.d. / √3
        ReportComparison.Paired psnr = row.metrics().get("psnr");
        assertEquals(3, psnr.n());
        assertEquals(37.2 / 3, psnr.mean(), 1e-12);
        assertEquals(0.4, psnr.delta(), 1e-12);
        assertEquals(Math.sqrt(0.07) / Math.sqrt(3), psnr.se(), 1e-12); // 0.152753
        assertFalse(psnr.withinNoise(), "0.4 > 2 × 0.153");
        // SSIM differences 0.02, -0.02, 0: Δ = 0, s.e. = 0.02 / √3
        ReportComparison.Paired ssim = row.metrics().get("ssim");
        assertEquals(0.6, ssim.mean(), 1e-12);
        assertEquals(0.0, ssim.delta(), 1e-12);
        assertEquals(0.02 / Math.sqrt(3), ssim.se(), 1e-12);
        assertTrue(ssim.withinNoise());
        // SCC differences all -0.01: no spread, so any difference is beyond noise
        ReportComparison.Paired scc = row.metrics().get("scc");
        assertEquals(-0.01, scc.delta(), 1e-12);
        assertEquals(0.0, scc.se(), 1e-12);
        assertFalse(scc.withinNoise());
        assertFalse(row.metrics().containsKey("lpips"), "LPIPS only where both reports have it");
        assertEquals(List.of("PSNR higher", "SCC lower"), row.beyondNoise());

        // the reference row: itself against itself, Δ = 0 over all its crops
        ReportComparison.Row first = cmp.rows().get(0);
        assertTrue(first.isReference());
        assertEquals(4, first.crops());
        assertEquals(0.0, first.metrics().get("psnr").delta());
        assertEquals(11.5, first.metrics().get("psnr").mean(), 1e-12);

        String md = cmp.toMarkdown();
        List<String> lines = md.lines().toList();
        assertEquals("| sampler | steps | crops | PSNR | Δ PSNR ± s.e. | SSIM | Δ ± s.e. | SCC | Δ ± s.e. | within noise |", lines.get(0));
        assertEquals("| ddim | 50 | 4 | 11.500 | +0.000 ± 0.000 | 0.5500 | +0.0000 ± 0.0000 | 0.01500 | +0.00000 ± 0.00000 | reference |", lines.get(2));
        assertEquals("| dpmpp_2m | 10 | 3 | 12.400 | +0.400 ± 0.153 | 0.6000 | +0.0000 ± 0.0115 | 0.01000 | -0.01000 ± 0.00000 | no: PSNR higher, SCC lower |", lines.get(3));
        assertEquals("Δ vs ddim 50 (4 crops)", cmp.chartTitle());
    }

    @Test
    void lpipsWhereBothHaveItAndOneCropHasNoStandardError() throws IOException {
        ReportComparison.Report ref = ReportComparison.read(reference());
        // LPIPS on b and c only: n = 2, differences -0.01 and +0.03 → Δ = 0.01, s.d. = √0.0008, s.e. = 0.02
        ReportComparison.Report rep = ReportComparison.read(report(tmp.resolve("euler-20"), null, null,
                "b,11,0.5,0.01,0.30", "c,12,0.6,0.02,0.35", "d,13,0.7,0.03,"));
        ReportComparison.Report one = ReportComparison.read(report(tmp.resolve("unipc-5"), "unipc", 5, "a,10.5,0.4,0.00,0.30"));
        ReportComparison cmp = ReportComparison.of(ref, List.of(rep, one));
        ReportComparison.Row euler = cmp.rows().get(1);
        assertEquals("euler", euler.label(), "sampler and steps from the folder name NAME-STEPS without report.md");
        assertEquals(20, euler.report().steps());
        ReportComparison.Paired lpips = euler.metrics().get("lpips");
        assertEquals(2, lpips.n());
        assertEquals(0.325, lpips.mean(), 1e-12);
        assertEquals(0.01, lpips.delta(), 1e-12);
        assertEquals(0.02, lpips.se(), 1e-12);
        assertTrue(lpips.withinNoise());
        assertEquals(3, euler.metrics().get("psnr").n());

        ReportComparison.Row unipc = cmp.rows().get(2);
        assertEquals(1, unipc.crops());
        assertTrue(Double.isNaN(unipc.metrics().get("psnr").se()));
        assertFalse(unipc.metrics().get("psnr").withinNoise(), "no s.e. from one crop: not claimed to be within noise");
        String md = cmp.toMarkdown();
        assertTrue(md.lines().findFirst().orElseThrow().contains("| LPIPS | Δ ± s.e. | within noise |"), md);
        assertTrue(md.contains("| unipc | 5 | 1 | 10.500 | +0.500 ± n/a |"), md);
        assertTrue(md.contains("n/a (1 crop) |"), md);
    }

    @Test
    void sortedBySamplerThenStepsWithTheReferenceFirstAndOnce() throws IOException {
        Path refDir = reference();
        ReportComparison.Report ref = ReportComparison.read(refDir);
        List<ReportComparison.Report> reps = List.of(
                ReportComparison.read(report(tmp.resolve("u10"), "unipc", 10, "a,10,0.4,0,")),
                ReportComparison.read(report(tmp.resolve("d20"), "dpmpp_2m", 20, "a,10,0.4,0,")),
                ReportComparison.read(refDir), // the reference given again among the reports
                ReportComparison.read(report(tmp.resolve("d5"), "dpmpp_2m", 5, "a,10,0.4,0,")),
                ReportComparison.read(report(tmp.resolve("mystery"), null, null, "a,10,0.4,0,")));
        List<String> order = ReportComparison.of(ref, reps).rows().stream()
                .map(r -> r.label() + " " + r.report().steps()).toList();
        assertEquals(List.of("ddim 50", "dpmpp_2m 5", "dpmpp_2m 20", "mystery null", "unipc 10"), order);
    }

    @Test
    void quotedIdsAndMarkdownEscapedMetadata() throws IOException {
        ReportComparison.Report ref = ReportComparison.read(report(tmp.resolve("r"), "dd|im", 50, "\"x,\"\"1\"\"\",10,0.4,0,"));
        assertEquals("dd|im", ref.sampler());
        Files.writeString(ref.folder().resolve("report.md"), "- **sampler**: dd\\|im\n- **steps**: 50\n");
        ref = ReportComparison.read(ref.folder());
        assertEquals("dd|im", ref.sampler(), "report.md escapes | as \\|");
        assertEquals(List.of("x,\"1\""), List.copyOf(ref.images().keySet()));
    }

    @Test
    void missingCsvAndNoSharedIdAreInputErrors() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("ddim-10"));
        InputException e = assertThrows(InputException.class, () -> ReportComparison.read(empty));
        assertTrue(e.getMessage().contains("per_image.csv") && e.getMessage().contains(empty.toString()), e.getMessage());
        assertThrows(InputException.class, () -> ReportComparison.read(tmp.resolve("nowhere")));

        ReportComparison.Report ref = ReportComparison.read(reference());
        ReportComparison.Report other = ReportComparison.read(report(tmp.resolve("other"), "euler", 10, "q,10,0.4,0,"));
        e = assertThrows(InputException.class, () -> ReportComparison.of(ref, List.of(other)));
        assertTrue(e.getMessage().contains("shares no crop id") && e.getMessage().contains("q") && e.getMessage().contains("a"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());

        Path bad = report(tmp.resolve("bad"), "euler", 10, "a,ten,0.4,0,");
        assertThrows(InputException.class, () -> ReportComparison.read(bad));
        Path dup = report(tmp.resolve("dup"), "euler", 10, "a,10,0.4,0,", "a,11,0.4,0,");
        assertThrows(InputException.class, () -> ReportComparison.read(dup));
    }
}
