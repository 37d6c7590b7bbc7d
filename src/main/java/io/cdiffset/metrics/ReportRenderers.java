package io.cdiffset.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.cdiffset.io.raster.AtomicFiles;
import io.cdiffset.metrics.EvaluationReport.ImagePaths;
import io.cdiffset.metrics.EvaluationReport.Row;
import io.cdiffset.metrics.EvaluationReport.Scores;

/**
 * The renderings of an {@link EvaluationReport}: Markdown, per-image and summary CSV, and a self-contained HTML
 * gallery. Values that were not computed show as "skipped" / "n/a" / empty cells, never as 0.
 */
final class ReportRenderers {
    private ReportRenderers() {}


    /** Summary rows: label, standard, authors' quirk. */
    private static List<String[]> summaryRows(EvaluationReport report) {
        List<EvaluationReport.Row> rows = report.rows();
        List<String[]> out = new ArrayList<>();
        out.add(new String[] {"PSNR (dB, mean over images)", report.mean("psnr", false).display(4), report.mean("psnr", true).display(4)});
        out.add(new String[] {"SSIM (mean over images)", report.mean("ssim", false).display(5), report.mean("ssim", true).display(5)});
        out.add(new String[] {"SCC (mean over images)", report.mean("scc", false).display(5), report.mean("scc", true).display(5)});
        out.add(new String[] {"LPIPS (VGG, mean over images)", report.mean("lpips", false).display(5), report.mean("lpips", true).display(5)});
        out.add(new String[] {"FID", report.fid().display(4), report.fidAuthorsQuirk().display(4)});
        out.add(new String[] {"images", Integer.toString(rows.size()), Integer.toString(rows.size())});
        return out;
    }

    /** The Markdown report (summary table + per-image table). */
    static String markdown(EvaluationReport report) {
        List<EvaluationReport.Row> rows = report.rows();
        Map<String, String> metadata = report.metadata();
        String title = report.title();
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(mdEscape(title)).append("\n\n");
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            sb.append("- **").append(mdEscape(e.getKey())).append("**: ").append(mdEscape(e.getValue())).append('\n');
        }
        if (!metadata.isEmpty()) {
            sb.append('\n');
        }
        sb.append("| metric | standard: clamp(x·0.5+0.5) | authors' quirk: clamp(x+0.5) |\n");
        sb.append("| --- | ---: | ---: |\n");
        for (String[] r : summaryRows(report)) {
            sb.append("| ").append(mdEscape(r[0])).append(" | ").append(mdEscape(r[1])).append(" | ")
                    .append(mdEscape(r[2])).append(" |\n");
        }
        sb.append("\nThe standard convention is the correct inverse of the [-1, 1] normalisation and is the one to report. ")
                .append("The authors' quirk column reproduces the C-DiffSET evaluation code (prediction and target both ")
                .append("mapped with clamp(x + 0.5, 0, 1)) and is given only for comparison with the paper's tables.\n\n");
        sb.append("## Per image\n\n| ");
        sb.append(String.join(" | ", EvaluationReport.CSV_COLUMNS)).append(" |\n|");
        for (int i = 0; i < EvaluationReport.CSV_COLUMNS.size(); i++) {
            sb.append(i == 0 ? " --- |" : " ---: |");
        }
        sb.append('\n');
        for (Row r : rows) {
            List<String> cells = rowCells(report, r, true);
            sb.append("| ");
            for (int i = 0; i < cells.size(); i++) {
                sb.append(i > 0 ? " | " : "").append(mdEscape(cells.get(i)));
            }
            sb.append(" |\n");
        }
        return sb.toString();
    }

    /** Per-image CSV: header {@link #CSV_COLUMNS}, one line per image; missing values are empty cells. */
    static String csv(EvaluationReport report) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.join(",", EvaluationReport.CSV_COLUMNS)).append('\n');
        for (Row r : report.rows()) {
            List<String> cells = rowCells(report, r, false);
            for (int i = 0; i < cells.size(); i++) {
                sb.append(i > 0 ? "," : "").append(csvEscape(cells.get(i)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Summary CSV: {@code metric,standard,authors_quirk}; skipped values as {@code skipped: reason}. */
    static String summaryCsv(EvaluationReport report) {
        StringBuilder sb = new StringBuilder("metric,standard,authors_quirk\n");
        String[] keys = {"psnr_mean", "ssim_mean", "scc_mean", "lpips_mean", "fid", "images"};
        List<String[]> summary = summaryRows(report);
        for (int i = 0; i < keys.length; i++) {
            sb.append(keys[i]).append(',').append(csvEscape(summary.get(i)[1])).append(',')
                    .append(csvEscape(summary.get(i)[2])).append('\n');
        }
        return sb.toString();
    }

    /**
     * A self-contained HTML page (inline CSS, no scripts or external resources besides the listed PNGs): summary
     * table and one grid row per image: SAR | prediction | target | confidence, with the image's scores.
     */
    static String html(EvaluationReport report) {
        List<EvaluationReport.Row> rows = report.rows();
        Map<String, String> metadata = report.metadata();
        String title = report.title();
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(html(title)).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n")
                .append("table.summary{border-collapse:collapse;margin-bottom:1.5em}\n")
                .append("table.summary td,table.summary th{border:1px solid #ccc;padding:4px 10px;text-align:right}\n")
                .append("table.summary td:first-child,table.summary th:first-child{text-align:left}\n")
                .append(".grid{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:6px;max-width:1400px}\n")
                .append(".head{font-weight:600;text-align:center;position:sticky;top:0;background:#fff;padding:4px}\n")
                .append(".rowtitle{grid-column:1/-1;margin-top:1em;font-size:.9em;border-top:1px solid #ddd;padding-top:6px}\n")
                .append(".cell img{width:100%;height:auto;image-rendering:pixelated;display:block}\n")
                .append(".missing{display:flex;align-items:center;justify-content:center;background:#f3f3f3;color:#888;min-height:80px}\n")
                .append(".note{color:#555;font-size:.9em;max-width:60em}\n")
                .append("</style>\n</head>\n<body>\n<h1>").append(html(title)).append("</h1>\n");
        if (!metadata.isEmpty()) {
            sb.append("<ul>\n");
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                sb.append("<li><b>").append(html(e.getKey())).append("</b>: ").append(html(e.getValue())).append("</li>\n");
            }
            sb.append("</ul>\n");
        }
        sb.append("<table class=\"summary\">\n<tr><th>metric</th><th>standard: clamp(x&middot;0.5+0.5)</th>")
                .append("<th>authors' quirk: clamp(x+0.5)</th></tr>\n");
        for (String[] r : summaryRows(report)) {
            sb.append("<tr><td>").append(html(r[0])).append("</td><td>").append(html(r[1])).append("</td><td>")
                    .append(html(r[2])).append("</td></tr>\n");
        }
        sb.append("</table>\n<p class=\"note\">Report the standard convention. The authors' quirk column reproduces ")
                .append("the C-DiffSET evaluation code and is shown only for comparison with the paper's tables.</p>\n");
        sb.append("<div class=\"grid\">\n");
        for (String h : new String[] {"SAR", "prediction", "target", "confidence"}) {
            sb.append("<div class=\"head\">").append(h).append("</div>\n");
        }
        for (Row r : rows) {
            Scores s = r.standard();
            sb.append("<div class=\"rowtitle\"><b>").append(html(r.id())).append("</b> &mdash; PSNR ")
                    .append(fmt(s.psnr(), 3)).append(" dB, SSIM ").append(fmt(s.ssim(), 4)).append(", SCC ")
                    .append(fmt(s.scc(), 4)).append(", LPIPS ").append(html(lpipsText(report, s.lpips())));
            if (r.authorsQuirk() != null) {
                Scores q = r.authorsQuirk();
                sb.append(" <span style=\"color:#777\">(authors' quirk: PSNR ").append(fmt(q.psnr(), 3))
                        .append(" dB, SSIM ").append(fmt(q.ssim(), 4)).append(", SCC ").append(fmt(q.scc(), 4))
                        .append(")</span>");
            }
            sb.append("</div>\n");
            ImagePaths p = r.images();
            String[] srcs = p == null ? new String[4] : new String[] {p.sar(), p.prediction(), p.target(), p.confidence()};
            String[] labels = {"SAR", "prediction", "target", "confidence"};
            for (int i = 0; i < 4; i++) {
                if (srcs[i] == null || srcs[i].isBlank()) {
                    sb.append("<div class=\"cell missing\">no ").append(labels[i]).append("</div>\n");
                } else {
                    sb.append("<div class=\"cell\"><img loading=\"lazy\" src=\"").append(html(urlPath(srcs[i])))
                            .append("\" alt=\"").append(html(r.id() + " " + labels[i])).append("\"></div>\n");
                }
            }
        }
        sb.append("</div>\n</body>\n</html>\n");
        return sb.toString();
    }

    private static String lpipsText(EvaluationReport report, Double v) {
        if (v != null) {
            return fmt(v, 4);
        }
        return report.lpipsSkipped() ? "skipped" : "n/a";
    }

    /** Writes {@code report.md}, {@code per_image.csv}, {@code summary.csv} and {@code index.html} into a folder (each atomically). */
    static void writeAll(EvaluationReport report, Path folder) throws IOException {
        AtomicFiles.writeString(folder.resolve("report.md"), markdown(report));
        AtomicFiles.writeString(folder.resolve("per_image.csv"), csv(report));
        AtomicFiles.writeString(folder.resolve("summary.csv"), summaryCsv(report));
        AtomicFiles.writeString(folder.resolve("index.html"), html(report));
    }

    // ------------------------------------------------------------------------------------------------------------
    // helpers

    private static List<String> rowCells(EvaluationReport report, Row r, boolean human) {
        List<String> cells = new ArrayList<>(EvaluationReport.CSV_COLUMNS.size());
        cells.add(r.id());
        addScores(report, cells, r.standard(), human);
        addScores(report, cells, r.authorsQuirk(), human);
        return cells;
    }

    private static void addScores(EvaluationReport report, List<String> cells, Scores s, boolean human) {
        if (s == null) {
            for (int i = 0; i < 4; i++) {
                cells.add(human ? "n/a" : "");
            }
            return;
        }
        cells.add(fmt(s.psnr(), human ? 4 : 8));
        cells.add(fmt(s.ssim(), human ? 5 : 8));
        cells.add(fmt(s.scc(), human ? 5 : 8));
        cells.add(s.lpips() == null ? (human ? (report.lpipsSkipped() ? "skipped" : "n/a") : "")
                : fmt(s.lpips(), human ? 5 : 8));
    }

    static String fmt(double v, int decimals) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String csvEscape(String s) {
        if (s == null) {
            return "";
        }
        if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    static String mdEscape(String s) {
        return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ");
    }

    private static String html(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }

    /** Percent-encodes a relative path for use in {@code src} (keeps '/', unreserved characters). */
    static String urlPath(String path) {
        String p = path.replace('\\', '/');
        StringBuilder sb = new StringBuilder();
        for (byte b : p.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return sb.toString();
    }
}
