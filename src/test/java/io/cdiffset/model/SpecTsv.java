package io.cdiffset.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The spec's key tables (src/test/resources/spec/*.tsv): one row per diffusers tensor. */
final class SpecTsv {
    /** diffusers name, diffusers shape, LDM name (may carry a [a:b] row slice), LDM shape (VAE table only, else = shape). */
    record Row(String name, long[] shape, String ldm, long[] ldmShape) {
        String ldmBase() {
            int i = ldm.indexOf('[');
            return i < 0 ? ldm : ldm.substring(0, i);
        }

        /** Start row of the [a:b] slice, or -1. */
        long sliceStart() {
            int i = ldm.indexOf('[');
            return i < 0 ? -1 : Long.parseLong(ldm.substring(i + 1, ldm.indexOf(':', i)));
        }
    }

    private SpecTsv() {}

    static List<Row> read(String file) {
        try (InputStream in = SpecTsv.class.getResourceAsStream("/spec/" + file)) {
            if (in == null) throw new IllegalStateException("missing test resource spec/" + file);
            List<Row> rows = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] c = line.split("\t", -1);
                long[] shape = parseShape(c[1]);
                long[] ldmShape = c.length > 3 && !c[3].isBlank() ? parseShape(c[3]) : shape;
                rows.add(new Row(c[0], shape, c[2], ldmShape));
            }
            return rows;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, long[]> shapes(List<Row> rows) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (Row r : rows) out.put(r.name(), r.shape());
        return out;
    }

    static long[] parseShape(String s) {
        String t = s.trim();
        t = t.substring(1, t.length() - 1).trim();
        if (t.isEmpty()) return new long[0];
        String[] p = t.split(",");
        long[] out = new long[p.length];
        for (int i = 0; i < p.length; i++) out[i] = Long.parseLong(p[i].trim());
        return out;
    }

    static long params(Map<String, long[]> shapes) {
        long n = 0;
        for (long[] s : shapes.values()) {
            long k = 1;
            for (long d : s) k *= d;
            n += k;
        }
        return n;
    }
}
