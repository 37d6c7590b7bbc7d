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
            if (!base.containsKey(e.getKey())) throw new IllegalArgumentException(src + ": unknown setting '" + e.getKey() + "'");
            base.put(e.getKey(), e.getValue());
        }
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("override '" + o + "' is not key=value");
            String k = o.substring(0, eq).trim();
            if (!base.containsKey(k)) throw new IllegalArgumentException("unknown setting '" + k + "' (known: " + String.join(", ", base.keySet()) + ")");
            base.put(k, parseScalar(o.substring(eq + 1).trim()));
        }
        return new TrainConfig(base, src);
    }

    public static TrainConfig fromMap(Map<String, Object> flat) {
        return new TrainConfig(new TreeMap<>(flat), "saved config");
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
        return (int) num(k);
    }

    public long l(String k) {
        return (long) num(k);
    }

    public double d(String k) {
        return num(k);
    }

    public boolean b(String k) {
        Object v = values.get(k);
        if (v instanceof Boolean bb) return bb;
        if (v instanceof String s) return Boolean.parseBoolean(s);
        throw new IllegalArgumentException("setting '" + k + "' must be true or false, got " + v);
    }

    public int[] ints(String k) {
        Object v = values.get(k);
        List<?> list;
        if (v instanceof List<?> l) list = l;
        else if (v instanceof String s) {
            list = new ArrayList<>(List.of(s.replace("[", "").replace("]", "").split("[,\\s]+")));
        } else if (v instanceof Number n) list = List.of(n);
        else throw new IllegalArgumentException("setting '" + k + "' must be a list of integers, got " + v);
        int[] out = new int[list.size()];
        for (int j = 0; j < out.length; j++) out[j] = Integer.parseInt(list.get(j).toString().trim());
        return out;
    }

    private double num(String k) {
        Object v = values.get(k);
        if (v instanceof Number n) return n.doubleValue();
        try {
            return Double.parseDouble(String.valueOf(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting '" + k + "' must be a number, got " + v);
        }
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

    @SuppressWarnings("unchecked")
    private static Map<String, Object> flatten(String prefix, Map<String, Object> in, Map<String, Object> out) {
        for (Map.Entry<String, Object> e : in.entrySet()) {
            String k = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue() instanceof Map<?, ?> m) flatten(k, (Map<String, Object>) m, out);
            else out.put(k, e.getValue());
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
