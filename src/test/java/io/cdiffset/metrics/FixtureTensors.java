package io.cdiffset.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Test-only reader for the golden safetensors fixtures (F32 / F64 / U8 / I64). Not the production reader.
 * Format: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, raw LE data.
 */
final class FixtureTensors {

    record Entry(String dtype, long[] shape, int begin, int end) {
        int numel() {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            return Math.toIntExact(n);
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final ByteBuffer data;

    private FixtureTensors(byte[] bytes) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong(0);
        if (n <= 0 || 8 + n > bytes.length) {
            throw new IOException("bad safetensors header length " + n);
        }
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        for (Map.Entry<String, JsonNode> e : header.properties()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode v = e.getValue();
            JsonNode shapeNode = v.get("shape");
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).longValue();
            }
            entries.put(e.getKey(), new Entry(v.get("dtype").asText(), shape,
                    v.get("data_offsets").get(0).intValue(), v.get("data_offsets").get(1).intValue()));
        }
        data = ByteBuffer.wrap(bytes, (int) (8 + n), (int) (bytes.length - 8 - n)).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    static FixtureTensors load(Path file) throws IOException {
        return new FixtureTensors(Files.readAllBytes(file));
    }

    static Path resource(String relative) {
        try {
            return Paths.get(FixtureTensors.class.getResource("/fixtures/" + relative).toURI());
        } catch (Exception e) {
            throw new IllegalStateException("fixture not on the test classpath: " + relative, e);
        }
    }

    Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no tensor " + name + " in fixture; have " + entries.keySet());
        }
        return e;
    }

    long[] shape(String name) {
        return entry(name).shape().clone();
    }

    /** Values as float (F32 as is, U8 as u8/255 in float32, F64 narrowed). */
    float[] floats(String name) {
        Entry e = entry(name);
        int n = e.numel();
        float[] out = new float[n];
        switch (e.dtype()) {
            case "F32" -> {
                check(e, 4);
                for (int i = 0; i < n; i++) {
                    out[i] = data.getFloat(e.begin() + 4 * i);
                }
            }
            case "U8" -> {
                check(e, 1);
                for (int i = 0; i < n; i++) {
                    out[i] = (float) (data.get(e.begin() + i) & 0xFF) / 255f;
                }
            }
            case "F64" -> {
                check(e, 8);
                for (int i = 0; i < n; i++) {
                    out[i] = (float) data.getDouble(e.begin() + 8 * i);
                }
            }
            default -> throw new IllegalArgumentException("unsupported dtype for floats(): " + e.dtype());
        }
        return out;
    }

    double[] doubles(String name) {
        Entry e = entry(name);
        int n = e.numel();
        double[] out = new double[n];
        switch (e.dtype()) {
            case "F64" -> {
                check(e, 8);
                for (int i = 0; i < n; i++) {
                    out[i] = data.getDouble(e.begin() + 8 * i);
                }
            }
            case "F32" -> {
                check(e, 4);
                for (int i = 0; i < n; i++) {
                    out[i] = data.getFloat(e.begin() + 4 * i);
                }
            }
            case "I64" -> {
                check(e, 8);
                for (int i = 0; i < n; i++) {
                    out[i] = data.getLong(e.begin() + 8 * i);
                }
            }
            case "U8" -> {
                check(e, 1);
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(e.begin() + i) & 0xFF;
                }
            }
            default -> throw new IllegalArgumentException("unsupported dtype: " + e.dtype());
        }
        return out;
    }

    long[] longs(String name) {
        Entry e = entry(name);
        if (!e.dtype().equals("I64")) {
            throw new IllegalArgumentException(name + " is " + e.dtype() + ", not I64");
        }
        check(e, 8);
        long[] out = new long[e.numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.getLong(e.begin() + 8 * i);
        }
        return out;
    }

    double scalar(String name) {
        double[] v = doubles(name);
        if (v.length != 1) {
            throw new IllegalArgumentException(name + " is not a scalar");
        }
        return v[0];
    }

    /** Row-major 2-D view. */
    double[][] matrix(String name) {
        long[] s = shape(name);
        double[] flat = doubles(name);
        int r = (int) s[0];
        int c = (int) s[1];
        double[][] m = new double[r][c];
        for (int i = 0; i < r; i++) {
            System.arraycopy(flat, i * c, m[i], 0, c);
        }
        return m;
    }

    float[][] floatMatrix(String name) {
        long[] s = shape(name);
        float[] flat = floats(name);
        int r = (int) s[0];
        int c = (int) s[1];
        float[][] m = new float[r][c];
        for (int i = 0; i < r; i++) {
            System.arraycopy(flat, i * c, m[i], 0, c);
        }
        return m;
    }

    private static void check(Entry e, int width) {
        if (e.end() - e.begin() != (long) e.numel() * width) {
            throw new IllegalStateException("data_offsets of " + e + " do not match dtype/shape");
        }
    }
}
