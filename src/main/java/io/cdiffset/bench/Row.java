package io.cdiffset.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.model.ConfigJson;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One line of the results: a timing (median / min / max over runs) with its work, rate and memory. */
final class Row {
    /** Stable identifier, e.g. {@code unet-64-bf16} or {@code vae-512-fp32/decode}. */
    String id;
    /** Human title, e.g. "UNet forward 64×64 bf16". */
    String title;
    /** The case (--only name) that produced it. */
    String caseName;
    /** fp32 or bf16 (the matmul reference the ratio uses), or null. */
    String precision;
    Stats stats;
    /** GFLOP per run (conv + linear, the reference convention), NaN if not rated. */
    double gflop = Double.NaN;
    /** GFLOP per run including the attention matmuls, NaN if not rated. */
    double gflopWithAttention = Double.NaN;
    double ratio = Double.NaN;
    String ratioTo;
    double peakRssMb = -1;
    double rssBeforeMb = -1;
    boolean peakIsolated;
    final List<String> notes = new ArrayList<>();
    final Map<String, Object> extra = new LinkedHashMap<>();

    Row(String id, String title, String caseName, String precision) {
        this.id = id;
        this.title = title;
        this.caseName = caseName;
        this.precision = precision;
    }

    double gflops() {
        return stats == null || Double.isNaN(gflop) ? Double.NaN : gflop / stats.median();
    }

    ObjectNode toJson() {
        ObjectNode o = ConfigJson.JSON.createObjectNode();
        o.put("id", id);
        o.put("name", title);
        o.put("case", caseName);
        if (precision != null) o.put("precision", precision);
        if (stats != null) {
            o.put("median_s", stats.median());
            o.put("min_s", stats.min());
            o.put("max_s", stats.max());
            o.put("runs", stats.runs());
            var arr = o.putArray("times_s");
            for (double v : stats.values()) arr.add(v);
        }
        if (!Double.isNaN(gflop)) {
            o.put("gflop", gflop);
            o.put("gflop_with_attention", gflopWithAttention);
            o.put("gflops", gflops());
        }
        if (!Double.isNaN(ratio)) {
            o.put("ratio", ratio);
            o.put("ratio_to", ratioTo);
        }
        if (peakRssMb >= 0) o.put("peak_rss_mb", peakRssMb);
        if (rssBeforeMb >= 0) o.put("rss_before_mb", rssBeforeMb);
        o.put("peak_rss_scope", peakIsolated ? "this case only" : "process since start");
        o.put("notes", String.join("; ", notes));
        ObjectNode x = o.putObject("extra");
        extra.forEach((k, v) -> x.set(k, ConfigJson.JSON.valueToTree(v)));
        return o;
    }

    static Row fromJson(JsonNode o) {
        Row r = new Row(o.path("id").asText(), o.path("name").asText(), o.path("case").asText(),
                o.hasNonNull("precision") ? o.get("precision").asText() : null);
        if (o.has("times_s")) {
            double[] t = new double[o.get("times_s").size()];
            for (int i = 0; i < t.length; i++) t[i] = o.get("times_s").get(i).asDouble();
            r.stats = Stats.of(t);
        }
        if (o.has("gflop")) {
            r.gflop = o.get("gflop").asDouble();
            r.gflopWithAttention = o.path("gflop_with_attention").asDouble(Double.NaN);
        }
        r.peakRssMb = o.path("peak_rss_mb").asDouble(-1);
        r.rssBeforeMb = o.path("rss_before_mb").asDouble(-1);
        r.peakIsolated = o.path("peak_rss_scope").asText().equals("this case only");
        String n = o.path("notes").asText("");
        if (!n.isEmpty()) r.notes.add(n);
        o.path("extra").fields().forEachRemaining(e -> r.extra.put(e.getKey(), ConfigJson.JSON.convertValue(e.getValue(), Object.class)));
        return r;
    }
}
