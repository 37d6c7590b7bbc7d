package io.cdiffset.train;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A training configuration: a YAML preset (built in: demo, demo-vae, qxs-saropt, sar2opt, spacenet6) or file,
 * with any value overridable as {@code key=value} (dotted keys for nested values). Unknown keys are rejected.
 */
public final class TrainConfig {
    /**
     * A path from a config or preset: as given when it exists (relative to the working folder), else relative to the
     * cdiffset folder ({@code CDIFFSET_HOME}, set by the launcher) when it exists there, so that the presets' defaults
     * ({@code samples}, {@code models/default}) work from any working folder.
     */
    public static java.nio.file.Path path(String p) {
        java.nio.file.Path given = java.nio.file.Path.of(p);
        if (given.isAbsolute() || java.nio.file.Files.exists(given)) return given;
        String home = System.getenv("CDIFFSET_HOME");
        if (home != null && !home.isBlank() && java.nio.file.Files.exists(java.nio.file.Path.of(home).resolve(p))) return java.nio.file.Path.of(home).resolve(p);
        return given;
    }

    public static final List<String> PRESETS = List.of("demo", "demo-vae", "qxs-saropt", "sar2opt", "spacenet6");
    private final Map<String, Object> values;
    private final String source;
    private TrainSettings settings;

    private TrainConfig(Map<String, Object> values, String source) {
        this.values = values;
        this.source = source;
    }

    public static TrainConfig load(String nameOrFile, List<String> overrides) {
        Map<String, Object> base = new TreeMap<>(flatten("", readYaml(resource("base")), new LinkedHashMap<>()));
        String src;
        Map<String, Object> chosen;
        if (PRESETS.contains(nameOrFile)) {
            chosen = readYaml(resource(nameOrFile));
            src = "preset " + nameOrFile;
        } else {
            Path p = Path.of(nameOrFile);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("unknown config " + nameOrFile + ": give a preset (" + String.join(", ", PRESETS) + ") or a YAML file");
            }
            try (InputStream in = Files.newInputStream(p)) {
                chosen = readYaml(in);
            } catch (IOException e) {
                throw new IllegalArgumentException(p + ": cannot read (" + e.getMessage() + ")");
            }
            src = p.toString();
        }
        Map<String, Object> flat = flatten("", chosen, new LinkedHashMap<>());
        for (Map.Entry<String, Object> e : flat.entrySet()) {
            if (!base.containsKey(e.getKey())) throw new IllegalArgumentException(src + ": unknown setting '" + oneLine(e.getKey()) + "'");
            base.put(e.getKey(), e.getValue());
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("override '" + oneLine(o) + "' is not key=value");
            String k = o.substring(0, eq).trim();
            if (!base.containsKey(k)) throw new IllegalArgumentException("unknown setting '" + oneLine(k) + "' (known: " + String.join(", ", base.keySet()) + ")");
            base.put(k, parseScalar(o.substring(eq + 1).trim()));
        }
        return new TrainConfig(base, src);
    }

    public static TrainConfig fromMap(Map<String, Object> flat) {
        return new TrainConfig(new TreeMap<>(flat), "saved config");
    }

    /** The settings as typed, validated values (read once, on first use). */
    public TrainSettings settings() {
        TrainSettings s = settings;
        if (s == null) settings = s = TrainSettings.of(this);
        return s;
    }

    public Map<String, Object> values() {
        return values;
    }

    public String source() {
        return source;
    }

    public TrainConfig with(String key, Object value) {
        Map<String, Object> m = new TreeMap<>(values);
        m.put(key, value);
        return new TrainConfig(m, source);
    }

    public String str(String k) {
        Object v = values.get(k);
        return v == null ? null : v.toString();
    }

    public int i(String k) {
        double v = num(k);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw new IllegalArgumentException("setting '" + k + "' is out of range: " + values.get(k));
        return (int) v;
    }

    public long l(String k) {
        Object o = values.get(k);
        if (o instanceof Long || o instanceof Integer) return ((Number) o).longValue();
        double v = num(k);
        if (v < -0x1p63 || v >= 0x1p63) throw new IllegalArgumentException("setting '" + k + "' is out of range: " + o);
        return (long) v;
    }

    public double d(String k) {
        return num(k);
    }

    public boolean b(String k) {
        Object v = values.get(k);
        if (v instanceof Boolean bb) return bb;
        if (v instanceof String s) return Boolean.parseBoolean(s);
        throw new IllegalArgumentException("setting '" + k + "' must be true or false, got " + oneLine(v));
    }

    public int[] ints(String k) {
        Object v = values.get(k);
        List<?> list;
        if (v instanceof List<?> l) list = l;
        else if (v instanceof String s) {
            list = new ArrayList<>(List.of(s.replace("[", "").replace("]", "").split("[,\\s]+")));
        } else if (v instanceof Number n) list = List.of(n);
        else throw new IllegalArgumentException("setting '" + k + "' must be a list of integers, got " + oneLine(v));
        int[] out = new int[list.size()];
        for (int j = 0; j < out.length; j++) {
            try {
                out[j] = Integer.parseInt(String.valueOf(list.get(j)).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("setting '" + k + "' must be a list of integers, got " + oneLine(v));
            }
        }
        return out;
    }

    private double num(String k) {
        Object v = values.get(k);
        double d;
        if (v instanceof Number n) d = n.doubleValue();
        else {
            try {
                d = Double.parseDouble(String.valueOf(v));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("setting '" + k + "' must be a number, got " + oneLine(v));
            }
        }
        if (!Double.isFinite(d)) throw new IllegalArgumentException("setting '" + k + "' must be a finite number, got " + oneLine(v));
        return d;
    }

    /** A value as shown in an error: one line, at most 80 characters. */
    private static String oneLine(Object v) {
        String s = String.valueOf(v).replaceAll("\\R", " ");
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    public String toYaml() {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(k).append(": ").append(v instanceof String s ? quote(s) : String.valueOf(v)).append('\n'));
        return sb.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static Object parseScalar(String s) {
        if (s.equals("true") || s.equals("false")) return Boolean.parseBoolean(s);
        if (s.startsWith("[")) return s;
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException ignored) {
            // not an integer
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException ignored) {
            return s;
        }
    }

    private static Map<String, Object> flatten(String prefix, Map<?, ?> in, Map<String, Object> out) {
        return flatten(prefix, in, out, 0);
    }

    /** Settings are at most a few levels deep; deeper (or self-referencing, via YAML anchors) nesting is refused. */
    private static Map<String, Object> flatten(String prefix, Map<?, ?> in, Map<String, Object> out, int depth) {
        if (depth > 8) throw new IllegalArgumentException("config nests deeper than any setting, under '" + oneLine(prefix) + "'");
        for (Map.Entry<?, ?> e : in.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw new IllegalArgumentException("config key " + oneLine(e.getKey()) + (prefix.isEmpty() ? "" : " under '" + prefix + "'")
                        + " is not a setting name");
            }
            String k = prefix.isEmpty() ? name : prefix + "." + name;
            if (e.getValue() instanceof Map<?, ?> m) flatten(k, m, out, depth + 1);
            else if (e.getValue() instanceof List<?> l && l.stream().anyMatch(x -> x instanceof java.util.Collection<?> || x instanceof Map<?, ?>)) {
                // also what keeps a self-referencing list (YAML anchors) from overflowing the stack when shown
                throw new IllegalArgumentException("setting '" + oneLine(k) + "' must be a list of plain values, not of lists or mappings");
            } else out.put(k, e.getValue());
        }
        return out;
    }

    private static InputStream resource(String name) {
        InputStream in = TrainConfig.class.getResourceAsStream("/io/cdiffset/presets/" + name + ".yaml");
        if (in == null) throw new IllegalStateException("missing built-in preset " + name);
        return in;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readYaml(InputStream in) {
        try (in) {
            Object o = new Yaml(new SafeConstructor(new LoaderOptions())).load(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            if (o == null) return new LinkedHashMap<>();
            if (!(o instanceof Map)) throw new IllegalArgumentException("config is not a YAML mapping");
            return (Map<String, Object>) o;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config: " + e.getMessage());
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new IllegalArgumentException("config is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }
}
