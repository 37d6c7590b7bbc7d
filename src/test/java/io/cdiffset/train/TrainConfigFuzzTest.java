package io.cdiffset.train;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Fuzzing (issue #13): hostile training configs, as YAML files and as key=value overrides (huge, negative, NaN and
 * non-numeric numbers, wrong types, unknown keys, non-string keys, deep and recursive nesting, anchors, BOMs, quotes,
 * very long values). Loading and then reading every setting the way the trainer does gives a value or one
 * IllegalArgumentException line; nothing else. Bounded: a few hundred tries, a few seconds.
 */
class TrainConfigFuzzTest {
    static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("cfgfuzz", ".yaml");
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static final List<String> KEYS = List.of("train.steps", "train.lr", "train.batch", "data.crop", "model.block_out_channels",
            "model.attention_heads", "log.keep_checkpoints", "train.seed", "data.train_fraction", "train.precision", "data.dir",
            "data.cache_latents", "bogus", "train", "train.steps.x", "", " ", "1", "null", "~");

    static Arbitrary<String> values() {
        return Arbitraries.oneOf(
                Arbitraries.of("1", "0", "-1", "2147483648", "-2147483649", "9223372036854775807", "99999999999999999999", "1e309", "-1e309",
                        ".nan", "NaN", ".inf", "-.inf", "Infinity", "2.5", "0x10", "1_000", "true", "yes", "no", "null", "~", "", "\"\"",
                        "\"7\"", "'x'", "[]", "[1, 2]", "[a, b]", "[1, [2]]", "[", "]", "{}", "{a: 1}", "2024-01-01", "!!binary AAAA",
                        "\"\uFEFF\"", "'it''s'", "\"unterminated", "*nope", "&a 1", "!!python/object:os.system x", "é√∂", "[1,,2]", "[-1]",
                        "[99999999999]", "[1.5]", "[null]"),
                Arbitraries.strings().ofMaxLength(10),
                Arbitraries.integers().between(1000, 20000).map("9"::repeat));
    }

    @Provide
    Arbitrary<String> yamls() {
        Arbitrary<String> entry = Combinators.combine(Arbitraries.of(KEYS), values()).as((k, v) -> k + ": " + v);
        Arbitrary<String> nested = Combinators.combine(Arbitraries.of("train", "data", "model", "log", "x"), Arbitraries.of("steps", "lr", "crop", "dir", "y"), values())
                .as((a, b, v) -> a + ":\n  " + b + ": " + v);
        Arbitrary<String> special = Arbitraries.of("", "\uFEFF", "---", "- a\n- b", "just a string", "1: 2", "? [a]\n: b", "null: 1",
                "train: &a {steps: *a}", "train: &a [*a]", "model:\n  block_out_channels: &a [[*a]]", "train:\n  lr: &b [1, [*b]]", "a: &x [1]\nb: *x", "{".repeat(200), "[".repeat(5000),
                "train:\n" + "  x:\n".repeat(1) + "    ".repeat(1) + "y: 1", "train: !!map {1: 2}", "train: {steps: {a: {b: 1}}}",
                "\t\ttrain: 1", "train.steps: 1\ntrain.steps: 2", "data: 5", "data: [1]", "data: ~");
        Arbitrary<String> deep = Arbitraries.integers().between(40, 3000).map(d -> {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < d; i++) sb.append("a").append(i % 10).append(": {");
            sb.append("b: 1").append("}".repeat(d));
            return sb.toString();
        });
        return Combinators.combine(Arbitraries.of("", "\uFEFF"), Arbitraries.oneOf(entry, nested, special, deep).list().ofMaxSize(4))
                .as((bom, l) -> bom + String.join("\n", l) + "\n");
    }

    @Provide
    Arbitrary<List<String>> overrides() {
        Arbitrary<String> o = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.of(KEYS), values()).as((k, v) -> k + "=" + v),
                Arbitraries.of("=", "==", "train.steps", "=1", "train.steps==1", " train.lr = 1e-4 ", "train.steps=1=2"));
        return o.list().ofMaxSize(4);
    }

    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE, seed = "13")
    void hostileYamlLoadsOrFailsInOneLine(@ForAll("yamls") String yaml) throws IOException {
        Files.writeString(FILE, yaml, StandardCharsets.UTF_8);
        check(FILE.toString(), List.of(), yaml);
    }

    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE, seed = "13")
    void hostileOverridesLoadOrFailInOneLine(@ForAll("overrides") List<String> overrides) {
        check("demo", overrides, overrides.toString());
    }

    @Example
    void regressions() throws IOException {
        for (String y : List.of("1: 2\n", "null: 1\n", "train: &a {steps: *a}\n", "train: {1: 2}\n", "? [a]\n: b\n",
                "model:\n  block_out_channels: &a [[*a]]\n", "model:\n  block_out_channels: &a [1, {x: *a}]\n",
                "train:\n  steps: &a {a: {b: *a}}\n", "a0: {".repeat(60) + "b: 1" + "}".repeat(60) + "\n")) {
            Files.writeString(FILE, y);
            check(FILE.toString(), List.of(), y);
        }
        check("demo", List.of("train.steps=NaN"), "NaN steps");
        check("demo", List.of("model.block_out_channels=[a, b]"), "non-numeric list");
        check("demo", List.of("model.block_out_channels=["), "empty list");
        check("demo", List.of("train.steps=1e30"), "huge steps");
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.load("demo", List.of("train.steps=1e30")).i("train.steps"));
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.load("demo", List.of("train.lr=NaN")).d("train.lr"));
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.load("demo", List.of("model.block_out_channels=[a]")).ints("model.block_out_channels"));
        assertEquals(7, TrainConfig.load("demo", List.of("train.steps=7")).i("train.steps"));
    }

    static void check(String source, List<String> overrides, String shown) {
        String s = shown.length() > 300 ? shown.substring(0, 300) + "..." : shown;
        try {
            TrainConfig c = TrainConfig.load(source, overrides);
            for (Map.Entry<String, Object> e : c.values().entrySet()) {
                String k = e.getKey();
                c.str(k);
                for (Runnable r : List.<Runnable>of(() -> c.i(k), () -> c.l(k), () -> c.d(k), () -> c.b(k), () -> c.ints(k))) {
                    try {
                        r.run();
                    } catch (IllegalArgumentException ex) {
                        oneLine(ex, s);
                    }
                }
            }
            c.toYaml();
            try {
                c.settings(); // the typed settings: every value checked, one-line errors
            } catch (IllegalArgumentException ex) {
                oneLine(ex, s);
            }
        } catch (IllegalArgumentException e) {
            oneLine(e, s);
        } catch (Throwable t) {
            throw new AssertionError("crash on config " + s.replace("\n", "\\n") + ": " + t, t);
        }
    }

    static void oneLine(IllegalArgumentException e, String shown) {
        assertFalse(e instanceof NumberFormatException, "raw parse error for " + shown + ": " + e);
        assertNotNull(e.getMessage(), shown);
        assertFalse(e.getMessage().isBlank(), shown);
        assertTrue(e.getMessage().strip().lines().count() == 1, "not one line for " + shown + ": " + e.getMessage());
    }
}
