package io.cdiffset.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.io.WeightsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** A diffusers / transformers config.json with typed accessors whose errors name the file and the key. */
public final class ConfigJson {
    public static final ObjectMapper JSON = new ObjectMapper();
    private final JsonNode root;
    private final String source;

    public ConfigJson(JsonNode root, String source) {
        this.root = root;
        this.source = source;
    }

    public static ConfigJson read(Path file) {
        try {
            JsonNode n = JSON.readTree(Files.readString(file));
            if (n == null || !n.isObject()) throw new WeightsException(file + ": not a JSON object");
            return new ConfigJson(n, file.toString());
        } catch (NoSuchFileException e) {
            throw new WeightsException(file + ": config file not found");
        } catch (IOException e) {
            throw new WeightsException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    public static ConfigJson parse(String json, String source) {
        try {
            return new ConfigJson(JSON.readTree(json), source);
        } catch (IOException e) {
            throw new WeightsException(source + ": not valid JSON");
        }
    }

    public JsonNode root() {
        return root;
    }

    public ObjectNode copy() {
        return ((ObjectNode) root).deepCopy();
    }

    public String source() {
        return source;
    }

    public boolean has(String key) {
        return root.has(key) && !root.get(key).isNull();
    }

    public int getInt(String key, int def) {
        return has(key) ? root.get(key).asInt() : def;
    }

    public int requireInt(String key) {
        if (!has(key)) throw missing(key);
        return root.get(key).asInt();
    }

    public double getDouble(String key, double def) {
        return has(key) ? root.get(key).asDouble() : def;
    }

    public boolean getBool(String key, boolean def) {
        return has(key) ? root.get(key).asBoolean() : def;
    }

    public String getString(String key, String def) {
        return has(key) ? root.get(key).asText() : def;
    }

    /** An int or a list of ints, expanded to {@code n} entries. */
    public int[] intList(String key, int n, int[] def) {
        if (!has(key)) return def;
        JsonNode v = root.get(key);
        int[] out = new int[n];
        if (v.isArray()) {
            if (v.size() != n) throw bad(key, "has " + v.size() + " entries, expected " + n);
            for (int i = 0; i < n; i++) out[i] = v.get(i).asInt();
        } else {
            java.util.Arrays.fill(out, v.asInt());
        }
        return out;
    }

    public int[] requireIntArray(String key) {
        if (!has(key) || !root.get(key).isArray()) throw missing(key);
        JsonNode v = root.get(key);
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).asInt();
        return out;
    }

    public String[] stringArray(String key, String[] def) {
        if (!has(key)) return def;
        JsonNode v = root.get(key);
        String[] out = new String[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).asText();
        return out;
    }

    public WeightsException bad(String key, String what) {
        return new WeightsException(source + ": \"" + key + "\" " + what);
    }

    private WeightsException missing(String key) {
        return new WeightsException(source + ": required key \"" + key + "\" is missing");
    }
}
