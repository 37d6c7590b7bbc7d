package io.cdiffset.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.model.ConfigJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Ratios, targets, the Markdown report and the JSON document of one bench run. */
final class Report {
    /** 3 GB, as bytes → MiB. */
    static final double PEAK_LIMIT_MB = 3e9 / (1024 * 1024);
    static final double GROWTH_LIMIT_MB = 16;
    static final double QUICK_LIMIT_S = 15 * 60;

    record Target(String name, String value, String threshold, Boolean pass, String note) {}

    final Bench.Settings settings;
    final Cases.Scale scale;
    final Map<String, Object> machine;
    final List<Row> rows;
    final Map<String, String> skipped;
    final Map<String, String> failed;
    final Map<String, Double> caseSeconds;
    final double elapsed;
    final String date = Bench.now();
    final Map<String, Double> matmulRate = new LinkedHashMap<>();
    final List<Map<String, Object>> work;
    List<Target> targets = List.of();

    Report(Bench.Settings settings, Cases.Scale scale, Map<String, Object> machine, List<Row> rows, Map<String, String> skipped,
           Map<String, String> failed, Map<String, Double> caseSeconds, double elapsed) {
        this.settings = settings;
        this.scale = scale;
        this.machine = machine;
        this.rows = rows;
        this.skipped = skipped;
        this.failed = failed;
        this.caseSeconds = caseSeconds;
        this.elapsed = elapsed;
        this.work = Bench.workTable(scale);
    }

    Row row(String id) {
        for (Row r : rows) if (r.id.equals(id)) return r;
        return null;
    }

    /** GFLOP/s ÷ the best same-precision matmul rate of this run; bf16 speed-ups over the matching fp32 rows. */
    void computeRatios() {
        for (Row r : rows) {
            if (Boolean.TRUE.equals(r.extra.get("reference")) && r.precision != null) {
                matmulRate.merge(r.precision, r.gflops(), Math::max);
            }
        }
        for (Row r : rows) {
            if (r.precision == null || Double.isNaN(r.gflops())) continue;
            Double ref = matmulRate.get(r.precision);
            if (ref == null || ref <= 0) continue;
            r.ratio = r.gflops() / ref;
            r.ratioTo = String.format(Locale.ROOT, "matmul %s %.1f GFLOP/s", r.precision, ref);
        }
        for (Row r : rows) {
            if (r.id.contains("-bf16") && !r.id.contains("-cast")) {
                Row f = row(r.id.replace("-bf16", "-fp32"));
                if (f != null && f.stats != null && r.stats != null) {
                    double sp = f.stats.median() / r.stats.median();
                    r.extra.put("speedup_vs_fp32", sp);
                    r.notes.add(String.format(Locale.ROOT, "×%.2f vs fp32", sp));
                }
            }
        }
        targets = targets();
    }

    List<Target> targets() {
        List<Target> t = new ArrayList<>();
        String tinyNote = scale.tiny ? "tiny configs: not meaningful" : "";
        t.add(ratioTarget("UNet forward 64×64 fp32 vs fp32 matmul", "unet-64-fp32", 0.60, tinyNote));
        t.add(ratioTarget("UNet forward 64×64 bf16 vs bf16 matmul", "unet-64-bf16", 0.40, tinyNote));
        for (int lat : new int[]{32, 64}) {
            Row b = row("unet-" + lat + "-bf16"), f = row("unet-" + lat + "-fp32");
            if (b == null || f == null) {
                t.add(new Target("UNet forward " + lat + "×" + lat + " bf16 speed-up", "not measured", "≥ 1.5×", null, ""));
            } else {
                double sp = f.stats.median() / b.stats.median();
                t.add(new Target("UNet forward " + lat + "×" + lat + " bf16 speed-up", String.format(Locale.ROOT, "×%.2f", sp), "≥ 1.5×",
                        scale.tiny ? null : sp >= 1.5, tinyNote));
            }
        }
        for (String id : new String[]{"translate-512-bf16", "default-512-bf16"}) {
            Row r = row(id);
            String name = "512² translation bf16 peak RSS" + (id.startsWith("default") ? " (default model)" : "");
            if (r == null || r.peakRssMb < 0) {
                if (id.startsWith("translate")) t.add(new Target(name, "not measured", "< 3 GB", null, ""));
                continue;
            }
            String note = r.peakIsolated ? tinyNote : "peak not isolated (VmHWM reset unavailable): process-wide";
            t.add(new Target(name, String.format(Locale.ROOT, "%.0f MiB", r.peakRssMb), "< 3 GB (2,861 MiB)",
                    scale.tiny ? null : r.peakRssMb < PEAK_LIMIT_MB, note));
        }
        t.addAll(issue17Targets(tinyNote));
        Row n = row("native-100");
        if (n == null) {
            t.add(new Target("native memory growth over 100 steps", "not measured", "none (< 16 MB)", null, ""));
        } else {
            double g = ((Number) n.extra.get("growth_mb")).doubleValue();
            t.add(new Target("native memory growth over 100 steps", String.format(Locale.ROOT, "%+.1f MB", g), "none (< 16 MB)",
                    g < GROWTH_LIMIT_MB, String.valueOf(n.extra.get("model"))));
        }
        boolean fullQuick = settings.quick() && settings.only().isEmpty();
        t.add(new Target("bench --quick wall time", String.format(Locale.ROOT, "%.1f min", elapsed / 60), "< 15 min",
                fullQuick && !scale.tiny ? elapsed < QUICK_LIMIT_S : null, fullQuick ? tinyNote : "only for a whole --quick run"));
        return t;
    }

    /** Issue #17's reference stack on this machine (PyTorch 2.13 / diffusers 0.40, 2 threads), and its bars. */
    static final double REF_TRAIN_BF16_S = 26.5, REF_TRAIN_FP32_S = 29.7, REF_MATMUL_FP32_GFLOPS = 181, ISSUE17_DEFAULT_256_BF16_S = 3.95;

    List<Target> issue17Targets(String tinyNote) {
        List<Target> t = new ArrayList<>();
        Row b = row("train-32-bf16"), f = row("train-32-fp32");
        if (b != null && f != null && b.stats != null && f.stats != null) {
            double sp = f.stats.median() / b.stats.median();
            t.add(new Target("training step 32×32: bf16 speed-up over fp32", String.format(Locale.ROOT, "×%.2f", sp), "≥ 1.5×",
                    scale.tiny ? null : sp >= 1.5, tinyNote));
        } else {
            t.add(new Target("training step 32×32: bf16 speed-up over fp32", "not measured", "≥ 1.5×", null, ""));
        }
        t.add(secondsTarget("training step 32×32 bf16", b, "< " + REF_TRAIN_BF16_S + " s (reference stack)", REF_TRAIN_BF16_S, false, tinyNote));
        t.add(secondsTarget("training step 32×32 fp32", f, "≤ " + REF_TRAIN_FP32_S + " s (reference stack)", REF_TRAIN_FP32_S, true, tinyNote));
        Row best = null;
        for (Row r : rows) {
            if (Boolean.TRUE.equals(r.extra.get("reference")) && "fp32".equals(r.precision) && Long.valueOf(2048).equals(asLong(r.extra.get("size")))
                    && (best == null || r.gflops() > best.gflops())) best = r;
        }
        double bar = 0.9 * REF_MATMUL_FP32_GFLOPS;
        String barText = String.format(Locale.ROOT, "≥ %.0f GFLOP/s (90 %% of %.0f)", bar, REF_MATMUL_FP32_GFLOPS);
        t.add(best == null ? new Target("matmul 2048³ fp32, best library", "not measured", barText, null, "")
                : new Target("matmul 2048³ fp32, best library", String.format(Locale.ROOT, "%.0f GFLOP/s (%s)", best.gflops(), best.extra.get("library")),
                barText, scale.tiny ? null : best.gflops() >= bar, tinyNote));
        t.add(secondsTarget("256² translation bf16, shipped sampling", row("shipped-256-bf16"), "≤ " + ISSUE17_DEFAULT_256_BF16_S / 2 + " s (half of 3.95 s)",
                ISSUE17_DEFAULT_256_BF16_S / 2, true, tinyNote));
        return t;
    }

    private static Long asLong(Object o) {
        return o instanceof Number n ? n.longValue() : null;
    }

    private Target secondsTarget(String name, Row r, String threshold, double limit, boolean inclusive, String note) {
        if (r == null || r.stats == null) return new Target(name, "not measured", threshold, null, "");
        double v = r.stats.median();
        return new Target(name, String.format(Locale.ROOT, "%.2f s", v), threshold, scale.tiny ? null : inclusive ? v <= limit : v < limit, note);
    }

    Target ratioTarget(String name, String id, double min, String note) {
        Row r = row(id);
        String th = String.format(Locale.ROOT, "≥ %.0f %%", min * 100);
        if (r == null || Double.isNaN(r.ratio)) return new Target(name, "not measured", th, null, "");
        return new Target(name, String.format(Locale.ROOT, "%.0f %% (%.1f / %s)", r.ratio * 100, r.gflops(), r.ratioTo), th,
                scale.tiny ? null : r.ratio >= min, note);
    }

    // ------------------------------------------------------------------------------------------------ Markdown

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# cdiffset bench\n\n");
        b.append(String.format(Locale.ROOT, "%s · %s · %s cores, %s torch threads, %s OpenBLAS threads · %s GB · %s%n%n", date,
                machine.get("cpu"), machine.get("cores"), machine.get("torch_threads"), machine.get("blas_threads"), machine.get("memory_gb"),
                machine.get("cpu_capability")));
        b.append("Command: `").append(settings.command()).append("` · ").append(scale.label())
                .append(settings.quick() ? " · --quick" : "").append(settings.isolate() ? " · one JVM per case" : " · one JVM")
                .append(String.format(Locale.ROOT, " · %.1f s%n%n", elapsed));

        b.append("## Work per pass (GFLOP, 2 per multiply-add)\n\n");
        b.append("| work | counted (conv + linear) | issue reference | diff | incl. attention matmuls | parameters (walk / model) |\n");
        b.append("|---|---:|---:|---:|---:|---|\n");
        for (Map<String, Object> w : work) {
            b.append(String.format(Locale.ROOT, "| %s | %.1f | %.0f | %+.2f %% | %.1f | %,d / %,d |%n", w.get("work"), w.get("counted_gflop"),
                    w.get("reference_gflop"), w.get("diff_pct"), w.get("with_attention_gflop"), w.get("counted_parameters"), w.get("model_parameters")));
        }
        b.append("\nGFLOP/s below use the conv + linear convention of the reference figures (PyTorch's flop counter has no formula for the CPU")
                .append(" flash-attention kernel); the JSON also has `gflop_with_attention`.\n\n");

        b.append("## Results\n\n");
        b.append("| name | median s | min s | max s | GFLOP/s | ratio | peak RSS MB | notes |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.title).append(" | ");
            if (r.stats != null) {
                b.append(num(r.stats.median())).append(" | ").append(num(r.stats.min())).append(" | ").append(num(r.stats.max())).append(" | ");
            } else {
                b.append("| | | ");
            }
            double g = r.gflops();
            b.append(Double.isNaN(g) ? "" : g >= 10 ? String.format(Locale.ROOT, "%.0f", g) : String.format(Locale.ROOT, "%.2f", g)).append(" | ");
            b.append(Double.isNaN(r.ratio) ? "" : String.format(Locale.ROOT, "%.2f", r.ratio)).append(" | ");
            b.append(r.peakRssMb < 0 ? "" : String.format(Locale.ROOT, "%.0f%s", r.peakRssMb, r.peakIsolated ? "" : "*")).append(" | ");
            b.append(String.join("; ", r.notes).replace("|", "/")).append(" |\n");
        }
        b.append("\nmedian / min / max over the timed runs after a warm-up; ratio = GFLOP/s ÷ the best same-precision matmul GFLOP/s of this run");
        matmulRate.forEach((k, v) -> b.append(String.format(Locale.ROOT, " (%s %.1f)", k, v)));
        b.append("; peak RSS = VmHWM of the case after its models were built");
        if (rows.stream().anyMatch(r -> !r.peakIsolated && r.peakRssMb >= 0)) b.append(" (* = process-wide peak, not reset)");
        b.append(".\n\n");

        b.append("## Targets\n\n| target | value | threshold | result | note |\n|---|---|---|---|---|\n");
        for (Target t : targets) {
            b.append("| ").append(t.name()).append(" | ").append(t.value()).append(" | ").append(t.threshold()).append(" | ")
                    .append(t.pass() == null ? "—" : t.pass() ? "PASS" : "FAIL").append(" | ").append(t.note()).append(" |\n");
        }
        if (!skipped.isEmpty() || !failed.isEmpty()) {
            b.append("\n## Skipped / failed\n\n");
            skipped.forEach((k, v) -> b.append("- ").append(k).append(": skipped — ").append(v).append('\n'));
            failed.forEach((k, v) -> b.append("- ").append(k).append(": FAILED — ").append(v).append('\n'));
        }
        return b.toString();
    }

    static String num(double s) {
        return s >= 100 ? String.format(Locale.ROOT, "%.1f", s) : s >= 1 ? String.format(Locale.ROOT, "%.2f", s)
                : s >= 0.01 ? String.format(Locale.ROOT, "%.3f", s) : String.format(Locale.ROOT, "%.5f", s);
    }

    // ------------------------------------------------------------------------------------------------ JSON

    ObjectNode json() {
        ObjectNode o = ConfigJson.JSON.createObjectNode();
        o.put("schema", Bench.SCHEMA);
        o.put("date", date);
        o.put("command", settings.command());
        ObjectNode st = o.putObject("settings");
        st.put("quick", settings.quick());
        st.put("tiny", settings.tiny());
        st.put("isolated", settings.isolate());
        ArrayNode only = st.putArray("only");
        settings.only().forEach(only::add);
        st.put("scale", scale.label());
        o.set("machine", ConfigJson.JSON.valueToTree(machine));
        o.set("work_per_pass", ConfigJson.JSON.valueToTree(work));
        o.set("matmul_gflops", ConfigJson.JSON.valueToTree(matmulRate));
        ArrayNode res = o.putArray("results");
        for (Row r : rows) res.add(r.toJson());
        ArrayNode tg = o.putArray("targets");
        for (Target t : targets) {
            ObjectNode x = tg.addObject();
            x.put("name", t.name());
            x.put("value", t.value());
            x.put("threshold", t.threshold());
            if (t.pass() == null) x.putNull("pass");
            else x.put("pass", t.pass());
            x.put("note", t.note());
        }
        o.set("skipped", ConfigJson.JSON.valueToTree(skipped));
        o.set("failed", ConfigJson.JSON.valueToTree(failed));
        o.set("case_seconds", ConfigJson.JSON.valueToTree(caseSeconds));
        o.put("elapsed_s", elapsed);
        return o;
    }
}
