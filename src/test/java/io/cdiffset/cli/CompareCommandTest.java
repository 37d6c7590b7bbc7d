package io.cdiffset.cli;

import io.cdiffset.io.Pictures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** {@code cdiffset compare}: the table on stdout and in -o, the chart, and one-line refusals that write nothing. */
class CompareCommandTest {
    @TempDir
    Path tmp;

    record Out(int code, String out, String err) {}

    static Out run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            int code = Main.run(args);
            return new Out(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Path report(Path dir, String sampler, int steps, String... rows) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder("id,psnr,ssim,scc,lpips,psnr_authors_quirk,ssim_authors_quirk,scc_authors_quirk,lpips_authors_quirk\n");
        for (String r : rows) csv.append(r).append(",1,1,1,\n");
        Files.writeString(dir.resolve("per_image.csv"), csv);
        Files.writeString(dir.resolve("report.md"), "# model\n\n- **crops**: " + rows.length + " x 256x256\n- **sampler**: " + sampler
                + "\n- **steps**: " + steps + "\n- **precision**: bf16\n\n| metric | standard |\n");
        return dir;
    }

    /** A reference of 6 crops and reports of two samplers at two step counts (each on 4 of the 6 crops). */
    Path[] folders() throws IOException {
        Path ref = report(tmp.resolve("q/ddim-50"), "ddim", 50,
                "a,10,0.40,0.010,", "b,11,0.45,0.020,", "c,12,0.50,0.030,", "d,13,0.55,0.040,", "e,14,0.60,0.050,", "f,15,0.65,0.060,");
        Path d10 = report(tmp.resolve("q/dpmpp_2m-10"), "dpmpp_2m", 10, "a,10.2,0.41,0.011,", "b,11.1,0.46,0.019,", "c,12.3,0.50,0.032,", "d,13.0,0.56,0.040,");
        Path d5 = report(tmp.resolve("q/dpmpp_2m-5"), "dpmpp_2m", 5, "a,9.5,0.38,0.008,", "b,10.7,0.42,0.017,", "c,11.4,0.47,0.027,", "d,12.6,0.53,0.039,");
        Path u10 = report(tmp.resolve("q/unipc-10"), "unipc", 10, "c,12.1,0.52,0.031,", "d,13.2,0.57,0.041,", "e,14.1,0.61,0.049,", "f,15.3,0.66,0.062,");
        Path u5 = report(tmp.resolve("q/unipc-5"), "unipc", 5, "c,11.8,0.49,0.028,", "d,12.7,0.54,0.037,", "e,13.9,0.58,0.048,", "f,14.6,0.62,0.059,");
        return new Path[]{ref, d10, d5, u10, u5};
    }

    @Test
    void tableOnStdoutAndInTheFileAndAChartWithEverySeriesInEveryPanel() throws Exception {
        Path[] f = folders();
        Path md = tmp.resolve("table.md"), png = tmp.resolve("quality.png");
        Out r = run("compare", f[3].toString(), f[1].toString(), f[4].toString(), f[2].toString(), "--against", f[0].toString(),
                "--plot", png.toString(), "-o", md.toString());
        System.out.print(r.out());
        assertEquals(0, r.code(), r.err());
        assertEquals(r.out(), Files.readString(md), "-o holds exactly the printed table");
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(2).startsWith("| ddim | 50 | 6 | 12.500 | +0.000 ± 0.000 |"), lines.get(2));
        // sorted by sampler, then steps as numbers; crops = the ids shared with the reference
        assertTrue(lines.get(3).startsWith("| dpmpp_2m | 5 | 4 |"), lines.get(3));
        assertTrue(lines.get(4).startsWith("| dpmpp_2m | 10 | 4 |"), lines.get(4));
        assertTrue(lines.get(5).startsWith("| unipc | 5 | 4 |"), lines.get(5));
        assertTrue(lines.get(6).startsWith("| unipc | 10 | 4 |"), lines.get(6));
        // dpmpp_2m 10: PSNR differences 0.2, 0.1, 0.3, 0.0 → Δ = 0.15, s.e. = √(0.05 / 3) / 2 = 0.0645; within 2 s.e.
        assertTrue(lines.get(4).contains("| 11.650 | +0.150 ± 0.065 |"), lines.get(4));

        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(3 * Pictures.PANEL_WIDTH + Pictures.LEGEND_WIDTH, img.getWidth());
        assertEquals(Pictures.PANELS_HEIGHT, img.getHeight());
        // each panel (PSNR, SSIM, SCC) draws all three samplers (ddim, dpmpp_2m, unipc): their colours are in its strip
        for (int panel = 0; panel < 3; panel++) {
            for (int series = 0; series < 3; series++) {
                int rgb = Pictures.colour(series).getRGB() & 0xFFFFFF, n = 0;
                for (int y = 0; y < img.getHeight(); y++) {
                    for (int x = panel * Pictures.PANEL_WIDTH; x < (panel + 1) * Pictures.PANEL_WIDTH; x++) {
                        if ((img.getRGB(x, y) & 0xFFFFFF) == rgb) n++;
                    }
                }
                assertTrue(n >= 40, "panel " + panel + " has only " + n + " pixels of series " + series + "'s colour");
            }
        }
        assertFalse(Files.exists(tmp.resolve("q/ddim-50/table.md")));
    }

    @Test
    void badInputIsOneLineExit2AndWritesNothing() throws Exception {
        Path[] f = folders();
        Path noCsv = Files.createDirectories(tmp.resolve("q/ddim-10"));
        Path other = report(tmp.resolve("other/euler-20"), "euler", 20, "zz,10,0.4,0.01,");
        Path md = tmp.resolve("out/table.md"), png = tmp.resolve("out/quality.png");
        Files.createDirectories(md.getParent());

        assertRefused(run("compare", f[1].toString(), noCsv.toString(), "--against", f[0].toString(), "--plot", png.toString(), "-o", md.toString()),
                "per_image.csv");
        assertRefused(run("compare", f[1].toString(), "--against", noCsv.toString(), "--plot", png.toString(), "-o", md.toString()),
                "per_image.csv");
        assertRefused(run("compare", f[1].toString(), other.toString(), "--against", f[0].toString(), "--plot", png.toString(), "-o", md.toString()),
                "shares no crop id");
        assertRefused(run("compare", f[1].toString(), "--against", f[0].toString(), "--plot", tmp.resolve("out/quality.jpg").toString()), ".png");
        assertEquals(List.of(), list(md.getParent()), "nothing written, no temporary files left");

        // an existing -o is kept unless --overwrite, and the chart is not drawn either
        Files.writeString(md, "the user's notes\n");
        assertRefused(run("compare", f[1].toString(), "--against", f[0].toString(), "--plot", png.toString(), "-o", md.toString()), "--overwrite");
        assertEquals("the user's notes\n", Files.readString(md));
        assertFalse(Files.exists(png));
        Out r = run("compare", f[1].toString(), "--against", f[0].toString(), "-o", md.toString(), "--overwrite");
        assertEquals(0, r.code(), r.err());
        assertEquals(r.out(), Files.readString(md));

        // never over an input, even with --overwrite
        byte[] csv = Files.readAllBytes(f[1].resolve("per_image.csv"));
        assertRefused(run("compare", f[1].toString(), "--against", f[0].toString(), "-o", f[1].resolve("per_image.csv").toString(), "--overwrite"),
                "input");
        assertArrayEquals(csv, Files.readAllBytes(f[1].resolve("per_image.csv")));
    }

    static void assertRefused(Out r, String mentions) {
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out(), "no table on a refused run");
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("cdiffset: error: ") && lines.get(0).contains(mentions), lines.get(0));
    }

    static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
