package io.cdiffset.bench;

import io.cdiffset.engine.Memory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.engine.Engine;
import io.cdiffset.io.AtomicFile;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.Sd21Configs;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.nn.Module;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code cdiffset bench}: median / min / max timings of the UNet forward, a training step, the VAE and whole
 * translations, with achieved GFLOP/s against a square matmul measured in the same run on the same threads, peak
 * resident memory per case and native-memory growth over 100 sampling steps. A Markdown table goes to stdout,
 * progress to stderr, and optionally JSON to a file.
 *
 * <p>By default every case runs in a child JVM (same java, class path and JVM options), so that its peak resident
 * memory (VmHWM, reset through /proc/self/clear_refs once the models are built) and its native memory are its own;
 * {@code --in-process} runs them one after another in this JVM instead.
 */
public final class Bench {
    public static final String SCHEMA = "cdiffset-bench/1";
    /** The reference work per pass, GFLOP (2 per multiply-add). */
    static final double REF_UNET_32 = 169, REF_UNET_64 = 675, REF_VAE_256 = 891, REF_VAE_512 = 3562;

    /**
     * @param only         case names or prefixes (e.g. {@code unet}, {@code translate-512-bf16}); empty = the default set
     * @param defaultModel the shipped model folder (may be absent)
     * @param command      the command line, for the report
     */
    public record Settings(boolean quick, boolean tiny, Path json, List<String> only, boolean isolate, Path defaultModel,
                           String command) {
        public Settings {
            only = only == null ? List.of() : List.copyOf(only);
        }
    }

    private final Settings s;
    private final PrintStream out;
    private final PrintStream err;

    public Bench(Settings s, PrintStream out, PrintStream err) {
        this.s = s;
        this.out = out;
        this.err = err;
    }

    /** Names of every case, in run order. */
    public static List<String> caseNames() {
        return Cases.all().stream().map(Cases.Def::name).toList();
    }

    /** The cases to run: --only's selection (plus the matmul references the ratios need), or the default set. */
    static List<Cases.Def> select(Settings s) {
        List<Cases.Def> all = Cases.all();
        List<Cases.Def> picked = new ArrayList<>();
        if (s.only().isEmpty()) {
            for (Cases.Def d : all) if (s.quick() ? d.quick() : true) picked.add(d);
            return picked;
        }
        Set<String> unknown = new LinkedHashSet<>();
        Set<String> chosen = new LinkedHashSet<>();
        for (String tok : s.only()) {
            String t = tok.trim();
            if (t.isEmpty()) continue;
            boolean exact = all.stream().anyMatch(d -> d.name().equals(t));
            boolean any = false;
            for (Cases.Def d : all) {
                if (exact ? d.name().equals(t) : matches(d.name(), t)) {
                    chosen.add(d.name());
                    any = true;
                }
            }
            if (!any) unknown.add(t);
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--only: no case named " + String.join(", ", unknown) + "; cases: " + String.join(", ", caseNames()));
        }
        Set<String> precisions = new LinkedHashSet<>();
        boolean hasMatmul = false;
        for (Cases.Def d : all) {
            if (!chosen.contains(d.name())) continue;
            picked.add(d);
            if (d.name().startsWith("matmul-")) hasMatmul = true;
            if (d.name().endsWith("-fp32") || d.name().startsWith("native")) precisions.add("fp32");
            if (d.name().contains("-bf16")) precisions.add("bf16");
        }
        if (!hasMatmul) {
            List<Cases.Def> refs = new ArrayList<>();
            for (Cases.Def d : all) {
                if (d.name().startsWith("matmul-") && precisions.contains(d.name().substring(7))) refs.add(d);
            }
            refs.addAll(picked);
            picked = refs;
        }
        return picked;
    }

    /** A token selects a case by its exact name, or, when it is no case's exact name, every case it prefixes (unet → unet-*). */
    static boolean matches(String name, String token) {
        return name.equals(token) || name.startsWith(token + "-");
    }

    // ------------------------------------------------------------------------------------------------ parent

    /** Runs the selected cases, prints the report; returns the process exit code. */
    public int run() throws IOException {
        long t0 = System.nanoTime();
        Engine.init();
        List<Cases.Def> cases = select(s);
        Cases.Scale scale = new Cases.Scale(s.tiny(), s.quick(), s.defaultModel());
        Map<String, Object> machine = machine();
        err.printf(Locale.ROOT, "cdiffset bench: %d case(s), %s, %s, %d torch threads, %d OpenBLAS threads%s%n", cases.size(),
                s.quick() ? "--quick" : "full", scale.label(), torch.get_num_threads(), Engine.blasThreads(),
                s.isolate() ? ", one JVM per case" : ", in this JVM");
        List<Row> rows = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        Map<String, String> failed = new LinkedHashMap<>();
        Map<String, Double> caseSeconds = new LinkedHashMap<>();
        int k = 0;
        for (Cases.Def d : cases) {
            k++;
            err.printf(Locale.ROOT, "[%d/%d] %s — %s%n", k, cases.size(), d.name(), d.title());
            err.flush();
            long c0 = System.nanoTime();
            CaseResult r;
            try {
                r = s.isolate() ? runChild(d) : runHere(d, scale, err);
            } catch (RuntimeException | IOException | InterruptedException e) {
                if (e instanceof InterruptedException) Thread.currentThread().interrupt();
                r = CaseResult.failure(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            double secs = (System.nanoTime() - c0) / 1e9;
            caseSeconds.put(d.name(), secs);
            if (r.skip != null) {
                skipped.put(d.name(), r.skip);
                err.printf(Locale.ROOT, "  skipped: %s%n", r.skip);
            } else if (r.error != null) {
                failed.put(d.name(), r.error);
                err.printf(Locale.ROOT, "  FAILED: %s%n", r.error);
            } else {
                rows.addAll(r.rows);
                err.printf(Locale.ROOT, "  done in %.1f s%n", secs);
            }
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        Report rep = new Report(s, scale, machine, rows, skipped, failed, caseSeconds, elapsed);
        rep.computeRatios();
        out.print(rep.markdown());
        out.flush();
        if (s.json() != null) {
            Path parent = s.json().toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            AtomicFile.writeString(s.json(), rep.json().toPrettyString() + "\n");
            err.println("wrote " + s.json());
        }
        err.printf(Locale.ROOT, "bench finished in %.1f s%n", elapsed);
        return failed.isEmpty() ? 0 : 1;
    }

    /** A case's rows, or why it was skipped or failed. */
    record CaseResult(List<Row> rows, String skip, String error) {
        static CaseResult failure(String e) {
            return new CaseResult(List.of(), null, e);
        }
    }

    /** Runs a case in this JVM. */
    static CaseResult runHere(Cases.Def d, Cases.Scale scale, PrintStream log) {
        Memory.settle();
        Cases.Ctx ctx = new Cases.Ctx(scale, d.name(), log);
        try {
            List<Row> rows = d.body().run(ctx);
            long peak = Memory.peak();
            for (Row r : rows) {
                r.peakRssMb = Memory.mb(peak);
                r.rssBeforeMb = Memory.mb(ctx.rssBefore);
                r.peakIsolated = ctx.peakReset;
                r.extra.put("torch_threads", torch.get_num_threads());
            }
            return new CaseResult(rows, null, null);
        } catch (Cases.Skip e) {
            return new CaseResult(List.of(), e.getMessage(), null);
        } catch (OutOfMemoryError e) {
            return CaseResult.failure("out of memory: " + e.getMessage());
        } catch (Exception e) {
            String m = e.getMessage();
            return CaseResult.failure(e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse("")));
        } finally {
            Memory.settle();
        }
    }

    /** Runs a case in a child JVM with the same java, class path and JVM options; reads its JSON result. */
    CaseResult runChild(Cases.Def d) throws IOException, InterruptedException {
        Path result = Files.createTempFile("cdiffset-bench-" + d.name() + "-", ".json");
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("-agentlib") || a.startsWith("-javaagent") || a.startsWith("-Xdebug") || a.startsWith("-Xrunjdwp")) continue;
                cmd.add(a);
            }
            cmd.addAll(Cases.jvmOptions(d.name()));
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(Bench.class.getName());
            cmd.add("--worker");
            cmd.add(d.name());
            cmd.add("--result");
            cmd.add(result.toString());
            if (s.quick()) cmd.add("--quick");
            if (s.tiny()) cmd.add("--tiny");
            if (s.defaultModel() != null) {
                cmd.add("--model");
                cmd.add(s.defaultModel().toAbsolutePath().toString());
            }
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
            Process p = pb.start();
            int code = p.waitFor();
            JsonNode j = Files.size(result) > 0 ? ConfigJson.JSON.readTree(Files.readString(result)) : null;
            if (j == null) return CaseResult.failure("child JVM exited with code " + code + " and no result" + (code == 137 ? " (killed: out of memory?)" : ""));
            if (j.hasNonNull("skipped")) return new CaseResult(List.of(), j.get("skipped").asText(), null);
            if (j.hasNonNull("error")) return CaseResult.failure(j.get("error").asText());
            List<Row> rows = new ArrayList<>();
            for (JsonNode r : j.path("rows")) rows.add(Row.fromJson(r));
            return new CaseResult(rows, null, null);
        } finally {
            Files.deleteIfExists(result);
        }
    }

    // ------------------------------------------------------------------------------------------------ worker

    /** Child-JVM entry: {@code --worker CASE --result FILE [--quick] [--tiny] [--model DIR]}. */
    public static void main(String[] args) throws IOException {
        String name = null;
        Path result = null;
        boolean quick = false, tiny = false;
        Path model = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--worker" -> name = args[++i];
                case "--result" -> result = Path.of(args[++i]);
                case "--quick" -> quick = true;
                case "--tiny" -> tiny = true;
                case "--model" -> model = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown worker argument " + args[i]);
            }
        }
        if (name == null || result == null) {
            System.err.println("usage: Bench --worker CASE --result FILE [--quick] [--tiny] [--model DIR] (use 'cdiffset bench')");
            System.exit(2);
        }
        PrintStream log = System.err;
        System.setOut(System.err); // stdout belongs to the parent's table
        if (name.startsWith("train-")) Engine.initForTraining(); // as `cdiffset train` does
        else Engine.init();
        String caseName = name;
        Cases.Def def = Cases.all().stream().filter(d -> d.name().equals(caseName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no case " + caseName));
        CaseResult r = runHere(def, new Cases.Scale(tiny, quick, model), log);
        ObjectNode o = ConfigJson.JSON.createObjectNode();
        if (r.skip() != null) o.put("skipped", r.skip());
        if (r.error() != null) o.put("error", r.error());
        ArrayNode rows = o.putArray("rows");
        for (Row row : r.rows()) rows.add(row.toJson());
        AtomicFile.writeString(result, o.toPrettyString());
        System.exit(0);
    }

    // ------------------------------------------------------------------------------------------------ machine

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memory_gb", Math.round(memTotalKb() / 1024.0 / 1024.0 * 10) / 10.0);
        m.put("torch_threads", torch.get_num_threads());
        m.put("blas_threads", Engine.blasThreads());
        m.put("cpu_capability", torch.get_cpu_capability().getString());
        m.put("cpu_flags", cpuFlags());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("libtorch", torchVersion());
        return m;
    }

    /** "2.10.0 (BLAS open, oneDNN 3.7.1)" from libtorch's build configuration. */
    static String torchVersion() {
        try {
            String c = torch.show_config().getString();
            String v = field(c, "TORCH_VERSION="), blas = field(c, "BLAS_INFO=");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("MKL-DNN (v[0-9.]+)").matcher(c);
            return v + " (BLAS " + blas + (m.find() ? ", oneDNN " + m.group(1) : "") + ")";
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    private static String field(String config, String key) {
        int i = config.indexOf(key);
        if (i < 0) return "?";
        int j = i + key.length(), e = j;
        while (e < config.length() && config.charAt(e) != ',' && !Character.isWhitespace(config.charAt(e))) e++;
        return config.substring(j, e);
    }

    static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    static String cpuFlags() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("flags")) {
                    List<String> keep = new ArrayList<>();
                    for (String f : l.substring(l.indexOf(':') + 1).trim().split("\\s+")) {
                        if (f.equals("avx2") || f.equals("fma") || f.startsWith("avx512") || f.startsWith("amx")) keep.add(f);
                    }
                    return String.join(" ", keep);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return "";
    }

    static long memTotalKb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return Runtime.getRuntime().maxMemory() / 1024;
    }

    /** Counted work per pass next to the reference figures (and a parameter-count check of the walk). */
    static List<Map<String, Object>> workTable(Cases.Scale scale) {
        List<Map<String, Object>> w = new ArrayList<>();
        var unet = Sd21Configs.unet(8, 5);
        var vae = Sd21Configs.vae();
        long unetParams = Module.shapesOnly(() -> new UNet2DConditionModel(unet)).parameterCount();
        long vaeParams = Module.shapesOnly(() -> new AutoencoderKL(vae)).parameterCount();
        Object[][] items = {
                {"UNet 8-in/5-out, 6 tokens, 32×32 latent", Flops.unet(unet, 1, 32, 32, 6), REF_UNET_32, unetParams},
                {"UNet 8-in/5-out, 6 tokens, 64×64 latent", Flops.unet(unet, 1, 64, 64, 6), REF_UNET_64, unetParams},
                {"VAE encode + decode 256²", Flops.vae(vae, 1, 256, 256), REF_VAE_256, vaeParams},
                {"VAE encode + decode 512²", Flops.vae(vae, 1, 512, 512), REF_VAE_512, vaeParams},
        };
        for (Object[] it : items) {
            Flops.Count c = (Flops.Count) it[1];
            double ref = (double) it[2];
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("work", it[0]);
            m.put("counted_gflop", c.gflop());
            m.put("reference_gflop", ref);
            m.put("diff_pct", (c.gflop() - ref) / ref * 100);
            m.put("with_attention_gflop", c.totalGflop());
            m.put("counted_parameters", c.params());
            m.put("model_parameters", it[3]);
            w.add(m);
        }
        return w;
    }

    static String now() {
        return ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }
}
