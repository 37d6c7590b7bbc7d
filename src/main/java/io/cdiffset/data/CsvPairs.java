package io.cdiffset.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Generic {@code pairs.csv} layout: header {@code id,sar,eo[,split][,group|scene][,...]} (extra columns ignored),
 * image paths relative to the csv's folder (absolute paths allowed). Optional {@code group} (or {@code scene})
 * column gives the split-grouping key, otherwise group = id. Quoted fields ("a,b") are supported.
 * Every listed image must exist (checked on open).
 */
public final class CsvPairs extends ListPairDataset {
    public static final String FILE_NAME = "pairs.csv";

    private CsvPairs(Path root, List<PairRef> refs) {
        super(root, refs);
    }

    static boolean matches(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE_NAME));
    }

    /** Opens {@code dirOrCsv/pairs.csv}, or the given csv file. */
    public static CsvPairs open(Path dirOrCsv) {
        Path csv = Files.isDirectory(dirOrCsv) ? dirOrCsv.resolve(FILE_NAME) : dirOrCsv;
        if (!Files.isRegularFile(csv)) {
            throw new DataException("file not found: " + csv + "; expected a pairs.csv with header id,sar,eo[,split]");
        }
        Path base = csv.toAbsolutePath().getParent();
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DataException("cannot read " + csv + ": " + e.getMessage() + "; check the file (UTF-8 text)", e);
        }
        int li = 0;
        while (li < lines.size() && lines.get(li).isBlank()) {
            li++;
        }
        if (li == lines.size()) {
            throw new DataException("empty csv " + csv + "; expected a header id,sar,eo[,split] and one line per pair");
        }
        String headerLine = lines.get(li);
        if (headerLine.startsWith("\uFEFF")) {
            headerLine = headerLine.substring(1);
        }
        List<String> header = split(headerLine, csv, li + 1);
        Map<String, Integer> col = new HashMap<>();
        for (int i = 0; i < header.size(); i++) {
            col.putIfAbsent(header.get(i).trim().toLowerCase(Locale.ROOT), i);
        }
        for (String need : List.of("id", "sar", "eo")) {
            if (!col.containsKey(need)) {
                throw new DataException("missing column '" + need + "' in the header of " + csv + " (found "
                        + String.join(",", header) + "); the header must contain id,sar,eo[,split]");
            }
        }
        Integer splitCol = col.get("split");
        Integer groupCol = col.containsKey("group") ? col.get("group") : col.get("scene");
        List<PairRef> refs = new ArrayList<>();
        for (int i = li + 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int lineNo = i + 1;
            List<String> f = split(line, csv, lineNo);
            if (f.size() < header.size()) {
                throw new DataException(csv + " line " + lineNo + ": expected " + header.size() + " fields, got "
                        + f.size() + "; fix the csv line");
            }
            String id = f.get(col.get("id")).trim();
            if (id.isEmpty()) {
                throw new DataException(csv + " line " + lineNo + ": empty id; give every pair an id");
            }
            Path sar = resolve(base, f.get(col.get("sar")).trim(), csv, lineNo, "SAR");
            Path eo = resolve(base, f.get(col.get("eo")).trim(), csv, lineNo, "EO");
            String split = splitCol == null ? null : emptyToNull(f.get(splitCol).trim());
            String group = groupCol == null ? null : emptyToNull(f.get(groupCol).trim());
            refs.add(new PairRef(id, sar, eo, group == null ? id : group, split));
        }
        if (refs.isEmpty()) {
            throw new DataException("no pairs listed in " + csv + "; add one line per pair after the header");
        }
        return new CsvPairs(csv, refs);
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    private static Path resolve(Path base, String rel, Path csv, int lineNo, String what) {
        if (rel.isEmpty()) {
            throw new DataException(csv + " line " + lineNo + ": empty " + what + " path; fill it in");
        }
        Path p;
        try {
            p = base.resolve(rel).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new DataException(csv + " line " + lineNo + ": invalid " + what + " path '" + rel + "'", e);
        }
        if (!Files.isRegularFile(p)) {
            throw new DataException("missing " + what + " image " + p + " listed in " + csv + " line " + lineNo
                    + "; fix the path or remove the line");
        }
        return p;
    }

    /** Splits one csv line (RFC 4180 quoting on a single line). */
    public static List<String> split(String line, Path csv, int lineNo) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cur.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new DataException(csv + " line " + lineNo + ": unterminated quote; fix the csv line");
        }
        out.add(cur.toString());
        return out;
    }

    @Override
    public String layout() {
        return "csv";
    }
}
