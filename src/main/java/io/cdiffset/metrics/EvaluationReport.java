package io.cdiffset.metrics;

import io.cdiffset.io.raster.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Accumulates per-image scores and dataset-level values of a C-DiffSET evaluation (written as Markdown, CSV and a
 * self-contained HTML gallery by {@link ReportRenderers}). Every score exists in two conventions: the standard one
 * ({@link Denorm#standard}, report this) and the C-DiffSET authors' evaluation quirk ({@link Denorm#authorsQuirk},
 * a labelled extra for comparison with the paper's tables; columns suffixed {@code _authors_quirk}).
 *
 * <p>Values that were not computed are never written as 0: per-image LPIPS is nullable, and LPIPS / FID carry a
 * "skipped: reason" text instead of a number when skipped. All writes are atomic ({@link AtomicFiles}).
 * Thread-safe for concurrent {@code add*} calls.
 */
public final class EvaluationReport {

    /** CSV column names, in order. */
    public static final List<String> CSV_COLUMNS = List.of("id", "psnr", "ssim", "scc", "lpips",
            "psnr_authors_quirk", "ssim_authors_quirk", "scc_authors_quirk", "lpips_authors_quirk");

    /** One convention's scores for one image; {@code lpips} null when not computed. */
    public record Scores(double psnr, double ssim, double scc, Double lpips) {
        /** PSNR (data range 1), SSIM and SCC of one CHW pair in [0, 1]; LPIPS left null. */
        public static Scores compute(float[] pred, float[] target, int c, int h, int w) {
            return new Scores(Psnr.of(pred, target), Ssim.of(pred, target, c, h, w), Scc.of(pred, target, c, h, w), null);
        }

        public Scores withLpips(Double value) {
            return new Scores(psnr, ssim, scc, value);
        }
    }

    /**
     * Relative paths (from the HTML file's folder) of the PNGs shown for one row; {@code confidence} may be null.
     */
    public record ImagePaths(String sar, String prediction, String target, String confidence) {
    }

    /** One image's row. {@code authorsQuirk} and {@code images} may be null. */
    public record Row(String id, Scores standard, Scores authorsQuirk, ImagePaths images) {
        public Row {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(standard, "standard");
        }
    }

    /** A dataset-level value or the reason it was skipped. */
    public record DatasetValue(Double value, String skippedReason) {
        public static DatasetValue of(double v) {
            return new DatasetValue(v, null);
        }

        public static DatasetValue skipped(String reason) {
            return new DatasetValue(null, reason == null || reason.isBlank() ? "not computed" : reason);
        }

        public boolean isSkipped() {
            return value == null;
        }

        /** The number, or {@code "skipped: reason"}. */
        public String display(int decimals) {
            return value == null ? "skipped: " + skippedReason : ReportRenderers.fmt(value, decimals);
        }
    }

    private final String title;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Row> rows = new ArrayList<>();
    private DatasetValue fid = DatasetValue.skipped("not computed");
    private DatasetValue fidAuthorsQuirk = DatasetValue.skipped("not computed");
    private String lpipsSkippedReason;

    public EvaluationReport(String title) {
        this.title = title == null || title.isBlank() ? "C-DiffSET evaluation" : title;
    }

    /** Free-form key/value shown in the report header (checkpoint, dataset, steps, ...). */
    public synchronized EvaluationReport putMetadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key), String.valueOf(value));
        return this;
    }

    public synchronized EvaluationReport addRow(Row row) {
        rows.add(Objects.requireNonNull(row));
        return this;
    }

    public EvaluationReport addRow(String id, Scores standard, Scores authorsQuirk, ImagePaths images) {
        return addRow(new Row(id, standard, authorsQuirk, images));
    }

    public synchronized EvaluationReport setFid(double value) {
        fid = DatasetValue.of(value);
        return this;
    }

    public synchronized EvaluationReport setFidAuthorsQuirk(double value) {
        fidAuthorsQuirk = DatasetValue.of(value);
        return this;
    }

    /** Marks FID (both conventions, unless already set) as skipped with a reason. */
    public synchronized EvaluationReport skipFid(String reason) {
        if (fid.isSkipped()) {
            fid = DatasetValue.skipped(reason);
        }
        if (fidAuthorsQuirk.isSkipped()) {
            fidAuthorsQuirk = DatasetValue.skipped(reason);
        }
        return this;
    }

    /** Marks LPIPS as skipped (e.g. "VGG backbone weights not found at ..."); never reported as 0. */
    public synchronized EvaluationReport skipLpips(String reason) {
        lpipsSkippedReason = reason == null || reason.isBlank() ? "not computed" : reason;
        return this;
    }

    public synchronized List<Row> rows() {
        return List.copyOf(rows);
    }

    public synchronized DatasetValue fid() {
        return fid;
    }

    public synchronized DatasetValue fidAuthorsQuirk() {
        return fidAuthorsQuirk;
    }

    /** Mean PSNR over images (C-DiffSET averages per-image scores), standard convention. */
    public DatasetValue meanPsnr() {
        return mean("psnr", false);
    }

    public DatasetValue meanSsim() {
        return mean("ssim", false);
    }

    public DatasetValue meanScc() {
        return mean("scc", false);
    }

    public DatasetValue meanLpips() {
        return mean("lpips", false);
    }

    /**
     * Mean of a per-image column ({@code psnr}, {@code ssim}, {@code scc}, {@code lpips}) in the standard or the
     * authors'-quirk convention; skipped (never 0) when no image has that value.
     */
    public synchronized DatasetValue mean(String metric, boolean authorsQuirk) {
        double sum = 0;
        int n = 0;
        for (Row r : rows) {
            Scores s = authorsQuirk ? r.authorsQuirk() : r.standard();
            Double v = s == null ? null : value(s, metric);
            if (v != null) {
                sum += v;
                n++;
            }
        }
        if (n > 0) {
            return DatasetValue.of(sum / n);
        }
        if (metric.equals("lpips") && lpipsSkippedReason != null) {
            return DatasetValue.skipped(lpipsSkippedReason);
        }
        if (rows.isEmpty()) {
            return DatasetValue.skipped("no images");
        }
        return DatasetValue.skipped(authorsQuirk ? "authors' quirk convention not computed" : "not computed");
    }

    /** One metric of an image's scores by its column name (psnr, ssim, scc, lpips). */
    static Double value(Scores s, String metric) {
        return switch (metric) {
            case "psnr" -> s.psnr();
            case "ssim" -> s.ssim();
            case "scc" -> s.scc();
            case "lpips" -> s.lpips();
            default -> throw new IllegalArgumentException("unknown metric " + metric);
        };
    }

    // ------------------------------------------------------------------------------------------------------------
    // renderings (see ReportRenderers)

    public String title() {
        return title;
    }

    public synchronized Map<String, String> metadata() {
        return new LinkedHashMap<>(metadata);
    }

    /** Whether LPIPS was marked as skipped. */
    public synchronized boolean lpipsSkipped() {
        return lpipsSkippedReason != null;
    }

    /** The Markdown report (summary table + per-image table). */
    public String toMarkdown() {
        return ReportRenderers.markdown(this);
    }

    /** Per-image CSV: header {@link #CSV_COLUMNS}, one line per image; missing values are empty cells. */
    public String toCsv() {
        return ReportRenderers.csv(this);
    }

    /** Summary CSV: {@code metric,standard,authors_quirk}; skipped values as {@code skipped: reason}. */
    public String toSummaryCsv() {
        return ReportRenderers.summaryCsv(this);
    }

    /** A self-contained HTML page: summary table and one SAR | prediction | target | confidence row per image. */
    public String toHtml() {
        return ReportRenderers.html(this);
    }

    public void writeMarkdown(Path file) throws IOException {
        AtomicFiles.writeString(file, toMarkdown());
    }

    public void writeCsv(Path file) throws IOException {
        AtomicFiles.writeString(file, toCsv());
    }

    public void writeSummaryCsv(Path file) throws IOException {
        AtomicFiles.writeString(file, toSummaryCsv());
    }

    /** Writes the HTML page; image paths are used as given, relative to the page's folder. */
    public void writeHtml(Path file) throws IOException {
        AtomicFiles.writeString(file, toHtml());
    }

    /** Writes {@code report.md}, {@code per_image.csv}, {@code summary.csv} and {@code index.html} into a folder. */
    public void writeAll(Path folder) throws IOException {
        ReportRenderers.writeAll(this, folder);
    }
}
