package io.cdiffset;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The package arrows of the README's layout table, read from the sources (imports and fully qualified names):
 * cli → (server, spark, bench) → pipeline, parity → translate / train / metrics → model / diffusion / data →
 * nn / io / hub → engine. A package may use packages of its own tier or below, never above, and the graph has no
 * cycle (so two packages of one tier never use each other).
 */
class PackageArrowsTest {
    /** Tier of each top-level package under io.cdiffset; higher tiers may use lower ones. */
    static final Map<String, Integer> TIERS = Map.ofEntries(
            Map.entry("engine", 0),
            Map.entry("io", 1), Map.entry("nn", 1), Map.entry("hub", 1),
            Map.entry("model", 2), Map.entry("diffusion", 2), Map.entry("data", 2),
            Map.entry("translate", 3), Map.entry("train", 3), Map.entry("metrics", 3),
            Map.entry("pipeline", 4), Map.entry("parity", 4),
            Map.entry("server", 5), Map.entry("spark", 5), Map.entry("bench", 5),
            Map.entry("cli", 6));

    private static final Pattern REF = Pattern.compile("io\\.cdiffset\\.([a-z]+)\\.");

    static Map<String, Set<String>> graph() throws IOException {
        Path root = Path.of("src/main/java/io/cdiffset");
        Map<String, Set<String>> g = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String pkg = root.relativize(f).getName(0).toString();
                if (pkg.endsWith(".java")) continue;
                Set<String> out = g.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = REF.matcher(Files.readString(f));
                while (m.find()) if (!m.group(1).equals(pkg)) out.add(m.group(1));
            }
        }
        return g;
    }

    @Test
    void everyPackageHasATierAndArrowsPointDown() throws IOException {
        Map<String, Set<String>> g = graph();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : g.entrySet()) {
            Integer from = TIERS.get(e.getKey());
            assertTrue(from != null, "package " + e.getKey() + " has no tier in the layout table (README, PackageArrowsTest.TIERS)");
            for (String to : e.getValue()) {
                Integer t = TIERS.get(to);
                if (t == null || t > from) wrong.add(e.getKey() + " → " + to);
            }
        }
        assertEquals(List.of(), wrong, "arrows pointing up the layout table");
    }

    @Test
    void theGraphHasNoCycle() throws IOException {
        Map<String, Set<String>> g = graph();
        List<String> cycles = new ArrayList<>();
        for (String start : g.keySet()) {
            // depth-first search for a path back to start
            List<List<String>> stack = new ArrayList<>(List.of(List.of(start)));
            Set<String> seen = new TreeSet<>();
            while (!stack.isEmpty()) {
                List<String> path = stack.remove(stack.size() - 1);
                for (String next : g.getOrDefault(path.get(path.size() - 1), Set.of())) {
                    if (next.equals(start)) {
                        List<String> c = new ArrayList<>(path);
                        c.add(start);
                        cycles.add(String.join(" → ", c));
                    } else if (seen.add(next)) {
                        List<String> p = new ArrayList<>(path);
                        p.add(next);
                        stack.add(p);
                    }
                }
            }
        }
        assertEquals(List.of(), cycles, "package cycles");
    }

    @Test
    void theCheckSeesAnUpwardArrow() {
        // the check itself can fail: an arrow from diffusion to pipeline would be reported
        assertTrue(TIERS.get("diffusion") < TIERS.get("pipeline"));
        assertTrue(REF.matcher("x = io.cdiffset.pipeline.Translation.load(").find());
    }
}
