package io.cdiffset.metrics;

import io.cdiffset.engine.InputException;
import io.cdiffset.io.Pictures;
import io.cdiffset.metrics.EvaluationReport.Scores;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Paired comparison of evaluation reports (folders written by {@code cdiffset evaluate}) against a reference report
 * of the same crops: is a sampler at fewer steps as good as the reference, or worse by more than the crop-to-crop
 * noise?
 *
 * <p>Crops are paired by {@code id}: both runs score the same crop with the same seed-derived noise, so the per-crop
 * difference (report − reference) cancels most of the crop-to-crop spread of the scores, which is far larger than
 * the sampler's effect. For each metric this gives the report's mean over the paired crops, the mean difference Δ
 * and its standard error (sample standard deviation of the per-crop differences / √n); |Δ| ≤ 2 s.e. is "within
 * noise". A report may hold a subset of the reference's crops (e.g. 64 of 192): only the shared ids are used.
 */
public final class ReportComparison {
    /** Metrics compared, in table order; LPIPS only where both reports have values. */
    public static final List<String> METRICS = List.of("psnr", "ssim", "scc", "lpips");
    /** Decimals shown per metric (PSNR in dB; the others are in [-1, 1] with small differences). */
    private static final Map<String, Integer> DECIMALS = Map.of("psnr", 3, "ssim", 4, "scc", 5, "lpips", 4);
    private static final Map<String, String> NAMES = Map.of("psnr", "PSNR", "ssim", "SSIM", "scc", "SCC", "lpips", "LPIPS");
    private static final Pattern META = Pattern.compile("^- \\*\\*(.+?)\\*\\*: (.*)$");
    private static final Pattern NAME_STEPS = Pattern.compile("^(.+)-(\\d+)$");

    /**
     * One report folder as read back: its sampler, steps and precision from {@code report.md} (sampler and steps
     * fall back to the folder name, {@code NAME-STEPS} or just {@code NAME}; steps and precision may be null) and
     * its per-image standard-convention scores by id, in file order.
     */
    public record Report(Path folder, String sampler, Integer steps, String precision, Map<String, Scores> images) {
        public Report {
            Objects.requireNonNull(folder, "folder");
            Objects.requireNonNull(sampler, "sampler");
            images = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(images));
        }

        /** "sampler steps", e.g. "ddim 50". */
        public String describe() {
            return sampler + (steps == null ? "" : " " + steps);
        }
    }

    /**
     * One metric of one report against the reference over {@code n} paired crops: the report's mean, the mean
     * difference Δ (report − reference) and its standard error (NaN when n &lt; 2).
     */
    public record Paired(String metric, int n, double mean, double delta, double se) {
        /** |Δ| ≤ 2 s.e.: no difference the crop-to-crop noise could not explain; false when s.e. is unknown. */
        public boolean withinNoise() {
            return !Double.isNaN(se) && Math.abs(delta) <= 2 * se;
        }
    }

    /** One table row: a report, its paired crop count and its metrics (LPIPS only when both reports have it). */
    public record Row(Report report, String label, int crops, Map<String, Paired> metrics, boolean isReference) {
        /** Metrics whose Δ lies beyond 2 s.e., e.g. "PSNR higher" (empty for the reference). */
        public List<String> beyondNoise() {
            List<String> out = new ArrayList<>();
            for (Paired p : metrics.values()) {
                if (!isReference && !p.withinNoise() && !Double.isNaN(p.se())) out.add(NAMES.get(p.metric()) + (p.delta() > 0 ? " higher" : " lower"));
            }
            return out;
        }
    }

    private final Report reference;
    private final List<Row> rows;

    private ReportComparison(Report reference, List<Row> rows) {
        this.reference = reference;
        this.rows = List.copyOf(rows);
    }

    public Report reference() {
        return reference;
    }

    /** The reference first (Δ = 0), then the reports sorted by sampler, then steps (unknown last), then folder. */
    public List<Row> rows() {
        return rows;
    }

    /**
     * Reads an evaluation report folder: {@code per_image.csv} (required; columns {@code id, psnr, ssim, scc},
     * optional {@code lpips}, empty cells for values not computed) and {@code report.md}'s metadata lines
     * ({@code - **sampler**: ddim}; optional).
     *
     * @throws InputException when the folder or its per_image.csv is missing or not a per-image score table
     */
    public static Report read(Path folder) {
        if (!Files.isDirectory(folder)) throw new InputException(folder + ": not a folder; give report folders written by cdiffset evaluate");
        Path csv = folder.resolve("per_image.csv");
        if (!Files.isRegularFile(csv)) throw new InputException(folder + " has no per_image.csv; give a folder written by cdiffset evaluate (-o)");
        Map<String, Scores> images = readScores(csv);
        Map<String, String> meta = readMetadata(folder.resolve("report.md"));
        String name = folder.toAbsolutePath().normalize().getFileName() == null ? folder.toString()
                : folder.toAbsolutePath().normalize().getFileName().toString();
        Matcher m = NAME_STEPS.matcher(name);
        String sampler = meta.get("sampler");
        Integer steps = parseSteps(meta.get("steps"));
        if (sampler == null || sampler.isBlank()) sampler = m.matches() ? m.group(1) : name;
        if (steps == null && m.matches()) steps = parseSteps(m.group(2));
        return new Report(folder, sampler.strip(), steps, blankToNull(meta.get("precision")), images);
    }

    /**
     * Compares each report with the reference. A report that is the reference folder itself is left out (the
     * reference is always the first row), as is a folder given twice.
     *
     * @throws InputException when a report shares no crop id with the reference
     */
    public static ReportComparison of(Report reference, List<Report> reports) {
        List<Report> others = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        seen.add(canonical(reference.folder()));
        for (Report r : reports) if (seen.add(canonical(r.folder()))) others.add(r);
        others.sort(Comparator.comparing(Report::sampler)
                .thenComparing(Report::steps, Comparator.nullsLast(Comparator.naturalOrder()))
                .thenComparing(r -> r.folder().toString()));
        // precisions are named in the labels only when they differ (e.g. an fp32 and a bf16 run of one sampler)
        Set<String> precisions = new TreeSet<>();
        precisions.add(String.valueOf(reference.precision()));
        for (Report r : others) precisions.add(String.valueOf(r.precision()));
        boolean mixed = precisions.size() > 1;
        List<Row> rows = new ArrayList<>();
        rows.add(row(reference, reference, mixed, true));
        for (Report r : others) rows.add(row(r, reference, mixed, false));
        return new ReportComparison(reference, rows);
    }

    private static Row row(Report r, Report reference, boolean mixedPrecision, boolean isReference) {
        List<String> ids = new ArrayList<>();
        for (String id : r.images().keySet()) if (reference.images().containsKey(id)) ids.add(id);
        if (ids.isEmpty()) {
            String a = r.images().isEmpty() ? "no crops" : "crops like " + r.images().keySet().iterator().next();
            String b = reference.images().isEmpty() ? "no crops" : "crops like " + reference.images().keySet().iterator().next();
            throw new InputException(r.folder() + " shares no crop id with the reference " + reference.folder() + " (" + a + " vs " + b
                    + "); compare reports of the same data, split and crop size");
        }
        Map<String, Paired> metrics = new LinkedHashMap<>();
        for (String metric : METRICS) {
            List<double[]> pairs = new ArrayList<>();
            for (String id : ids) {
                Double v = EvaluationReport.value(r.images().get(id), metric), ref = EvaluationReport.value(reference.images().get(id), metric);
                if (v != null && ref != null) pairs.add(new double[]{v, ref});
            }
            if (pairs.isEmpty()) continue; // LPIPS not computed in one of them
            double[] v = new double[pairs.size()], ref = new double[pairs.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = pairs.get(i)[0];
                ref[i] = pairs.get(i)[1];
            }
            metrics.put(metric, paired(metric, v, ref));
        }
        String label = r.sampler() + (mixedPrecision && r.precision() != null ? " " + r.precision() : "");
        return new Row(r, label, ids.size(), metrics, isReference);
    }

    /** Mean of {@code values}, mean of {@code values - reference} and its standard error (NaN for one pair). */
    public static Paired paired(String metric, double[] values, double[] reference) {
        int n = values.length;
        if (n == 0 || reference.length != n) throw new IllegalArgumentException("need equally many paired values, at least one");
        double sum = 0, sumD = 0;
        for (int i = 0; i < n; i++) {
            sum += values[i];
            sumD += values[i] - reference[i];
        }
        double mean = sum / n, delta = sumD / n;
        double se = Double.NaN;
        if (n > 1) {
            double ss = 0;
            for (int i = 0; i < n; i++) {
                double e = values[i] - reference[i] - delta;
                ss += e * e;
            }
            se = Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
        }
        return new Paired(metric, n, mean, delta, se);
    }

    /** Whether some report has a metric paired with the reference (LPIPS columns appear only then). */
    private boolean has(String metric) {
        for (Row r : rows) if (!r.isReference() && r.metrics().containsKey(metric)) return true;
        return false;
    }

    /**
     * The Markdown table: {@code sampler | steps | crops | PSNR | Δ PSNR ± s.e. | SSIM | Δ ± s.e. | SCC | Δ ± s.e. |
     * within noise} (LPIPS columns before the last when any report has LPIPS), then one line on what Δ means.
     */
    public String toMarkdown() {
        List<String> shown = new ArrayList<>();
        for (String m : METRICS) if (!m.equals("lpips") || has(m)) shown.add(m);
        StringBuilder sb = new StringBuilder("| sampler | steps | crops |");
        StringBuilder rule = new StringBuilder("| --- | ---: | ---: |");
        for (String m : shown) {
            sb.append(' ').append(NAMES.get(m)).append(" | ").append(m.equals("psnr") ? "Δ PSNR ± s.e." : "Δ ± s.e.").append(" |");
            rule.append(" ---: | ---: |");
        }
        sb.append(" within noise |\n").append(rule).append(" --- |\n");
        for (Row r : rows) {
            sb.append("| ").append(md(r.label())).append(" | ").append(r.report().steps() == null ? "?" : r.report().steps())
                    .append(" | ").append(r.crops()).append(" |");
            for (String m : shown) {
                Paired p = r.metrics().get(m);
                if (p == null) {
                    sb.append(" n/a | n/a |");
                    continue;
                }
                int d = DECIMALS.get(m);
                sb.append(' ').append(fmt(p.mean(), d, false)).append(" | ").append(fmt(p.delta(), d, true)).append(" ± ")
                        .append(Double.isNaN(p.se()) ? "n/a" : fmt(p.se(), d, false)).append(" |");
            }
            sb.append(' ').append(noise(r)).append(" |\n");
        }
        sb.append("\nΔ: mean over the paired crops of (report − reference) ± its standard error (s.d. of the per-crop differences / √n); ")
                .append("within noise: |Δ| ≤ 2 s.e. for every metric, else the metrics beyond it (higher or lower than the reference). Reference: ").append(md(reference.folder().toString()))
                .append(" (").append(md(reference.describe())).append(", ").append(reference.images().size()).append(" crops).\n");
        return sb.toString();
    }

    private static String noise(Row r) {
        if (r.isReference()) return "reference";
        for (Paired p : r.metrics().values()) if (Double.isNaN(p.se())) return "n/a (1 crop)";
        List<String> beyond = r.beyondNoise();
        return beyond.isEmpty() ? "yes" : "no: " + String.join(", ", beyond);
    }

    /** The chart's title, e.g. "Δ vs ddim 50 (192 crops)". */
    public String chartTitle() {
        return "Δ vs " + reference.describe() + " (" + reference.images().size() + " crops)";
    }

    /**
     * Writes the chart (atomically): one panel per metric PSNR, SSIM, SCC; x = steps (log scale), y = Δ vs the
     * reference with ±1 s.e. bars, one line per sampler label (the reference sits at Δ = 0 on its sampler's line).
     * Reports without a step count cannot be placed and are left out.
     */
    public void plot(Path png) {
        Map<String, List<Row>> bySampler = new TreeMap<>();
        for (Row r : rows) if (r.report().steps() != null) bySampler.computeIfAbsent(r.label(), k -> new ArrayList<>()).add(r);
        List<Pictures.Panel> panels = new ArrayList<>();
        for (String metric : List.of("psnr", "ssim", "scc")) {
            List<Pictures.ErrorSeries> series = new ArrayList<>();
            for (Map.Entry<String, List<Row>> e : bySampler.entrySet()) {
                List<Row> rs = new ArrayList<>(e.getValue());
                rs.sort(Comparator.comparing(r -> r.report().steps()));
                double[] x = new double[rs.size()], y = new double[rs.size()], err = new double[rs.size()];
                for (int i = 0; i < rs.size(); i++) {
                    Paired p = rs.get(i).metrics().get(metric);
                    x[i] = rs.get(i).report().steps();
                    y[i] = p.delta();
                    err[i] = p.se();
                }
                series.add(new Pictures.ErrorSeries(e.getKey(), x, y, err));
            }
            panels.add(new Pictures.Panel("Δ " + NAMES.get(metric) + (metric.equals("psnr") ? " (dB)" : ""), series));
        }
        Pictures.errorBarPanels(png, chartTitle(), "steps (log scale)", panels,
                "bars: ±1 s.e. of the paired\ndifferences; dashed: the\nreference (" + reference.describe() + ")");
    }

    // ------------------------------------------------------------------------------------------------------------
    // reading

    private static Map<String, Scores> readScores(Path csv) {
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + csv + ": " + e.getMessage(), e);
        }
        if (lines.isEmpty()) throw new InputException(csv + " is empty; expected a header id,psnr,ssim,scc,... as cdiffset evaluate writes");
        List<String> header = io.cdiffset.data.CsvPairs.split(lines.get(0), csv, 1);
        int id = header.indexOf("id"), psnr = header.indexOf("psnr"), ssim = header.indexOf("ssim"), scc = header.indexOf("scc"),
                lpips = header.indexOf("lpips");
        if (id < 0 || psnr < 0 || ssim < 0 || scc < 0) {
            throw new InputException(csv + " has no id, psnr, ssim and scc columns (header: " + lines.get(0) + "); give a per_image.csv written by cdiffset evaluate");
        }
        Map<String, Scores> out = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            List<String> cells = io.cdiffset.data.CsvPairs.split(lines.get(i), csv, i + 1);
            if (cells.size() < header.size()) throw new InputException(csv + " line " + (i + 1) + " has " + cells.size() + " cells, the header " + header.size());
            String key = cells.get(id);
            Double p = number(cells.get(psnr), csv, i), s = number(cells.get(ssim), csv, i), c = number(cells.get(scc), csv, i);
            if (p == null || s == null || c == null) throw new InputException(csv + " line " + (i + 1) + " lacks a psnr, ssim or scc value");
            Double l = lpips < 0 ? null : number(cells.get(lpips), csv, i);
            if (out.put(key, new Scores(p, s, c, l)) != null) throw new InputException(csv + " holds crop id " + key + " twice (line " + (i + 1) + ")");
        }
        return out;
    }

    /** A score cell: empty = not computed (null); "nan" / "inf" as {@link ReportRenderers#fmt} writes them. */
    private static Double number(String cell, Path csv, int line) {
        String s = cell.strip();
        if (s.isEmpty()) return null;
        switch (s) {
            case "nan":
                return Double.NaN;
            case "inf":
                return Double.POSITIVE_INFINITY;
            case "-inf":
                return Double.NEGATIVE_INFINITY;
            default:
                try {
                    return Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new InputException(csv + " line " + (line + 1) + ": '" + s + "' is not a number");
                }
        }
    }

    /** The {@code - **key**: value} lines of a report.md (unescaped as ReportRenderers escapes them); empty if absent. */
    private static Map<String, String> readMetadata(Path md) {
        Map<String, String> meta = new LinkedHashMap<>();
        if (!Files.isRegularFile(md)) return meta;
        List<String> lines;
        try {
            lines = Files.readAllLines(md, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + md + ": " + e.getMessage(), e);
        }
        for (String l : lines) {
            if (l.startsWith("## ")) break; // the per-image table follows
            Matcher m = META.matcher(l);
            if (m.matches()) meta.putIfAbsent(unescape(m.group(1)), unescape(m.group(2)).strip());
        }
        return meta;
    }

    private static String unescape(String s) {
        return s.replace("\\|", "|").replace("\\\\", "\\");
    }

    private static Integer parseSteps(String s) {
        if (s == null) return null;
        try {
            int v = Integer.parseInt(s.strip());
            return v > 0 ? v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static Path canonical(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    private static String fmt(double v, int decimals, boolean signed) {
        if (!Double.isFinite(v)) return ReportRenderers.fmt(v, decimals);
        if (Math.abs(v) < 0.5 * Math.pow(10, -decimals)) v = 0.0; // a rounding residue is "+0.000", not "-0.000"
        return String.format(Locale.ROOT, "%" + (signed ? "+" : "") + "." + decimals + "f", v);
    }

    private static String md(String s) {
        return ReportRenderers.mdEscape(s);
    }
}
