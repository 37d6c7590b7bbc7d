package io.cdiffset.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.Sd21Configs;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.nn.Module;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench on tiny models: report structure and sane numbers (never timings against thresholds). */
class BenchTest {
    @Test
    void flopCountsReproduceTheIssueFiguresAndTheModelParameterCounts() {
        var unet = Sd21Configs.unet(8, 5);
        var vae = Sd21Configs.vae();
        assertWithin(169, Flops.unet(unet, 1, 32, 32, 6).gflop(), 0.01);
        assertWithin(675, Flops.unet(unet, 1, 64, 64, 6).gflop(), 0.01);
        assertWithin(891, Flops.vae(vae, 1, 256, 256).gflop(), 0.01);
        assertWithin(3562, Flops.vae(vae, 1, 512, 512).gflop(), 0.01);
        assertTrue(Flops.unet(unet, 1, 64, 64, 6).totalGflop() > Flops.unet(unet, 1, 64, 64, 6).gflop(), "attention adds work");
        assertEquals(Module.shapesOnly(() -> new UNet2DConditionModel(unet)).parameterCount(), Flops.unet(unet, 1, 32, 32, 6).params());
        assertEquals(Module.shapesOnly(() -> new AutoencoderKL(vae)).parameterCount(), Flops.vae(vae, 1, 256, 256).params());
        var tiny = Cases.tinyUNet();
        assertEquals(new UNet2DConditionModel(tiny).parameterCount(), Flops.unet(tiny, 1, 8, 8, 6).params());
        assertEquals(1_707_141L, Flops.unet(tiny, 1, 8, 8, 6).params(), "the tiny bench UNet is the test fixture's shape");
    }

    @Test
    void selectionAddsTheMatmulReferencesAndRejectsUnknownNames() {
        List<String> names = Bench.select(settings(List.of("unet-64-bf16", "native"), true)).stream().map(Cases.Def::name).toList();
        assertEquals(List.of("matmul-fp32", "matmul-bf16", "unet-64-bf16", "native-100"), names);
        assertThrows(IllegalArgumentException.class, () -> Bench.select(settings(List.of("warp-drive"), true)));
        List<String> quick = Bench.select(settings(List.of(), true)).stream().map(Cases.Def::name).toList();
        assertTrue(quick.containsAll(List.of("unet-32-fp32", "unet-64-bf16", "train-32-bf16", "vae-512-fp32", "translate-512-bf16",
                "default-512-bf16", "native-100")), quick.toString());
        assertFalse(quick.contains("unet-64-bf16-cast"));
    }

    @Test
    void tinyQuickRunWritesTheTableAndJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out/bench.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Bench.Settings s = new Bench.Settings(true, true, json, List.of("unet-32-fp32", "translate-256-bf16", "native-100", "default-256-fp32"),
                false, dir.resolve("no-model-here"), "cdiffset bench --tiny --quick (test)");
        int code = new Bench(s, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)).run();
        String md = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, md + err.toString(StandardCharsets.UTF_8));
        assertTrue(md.contains("| name | median s | min s | max s | GFLOP/s | ratio | peak RSS MB | notes |"), md);
        assertTrue(md.contains("## Targets"), md);
        assertTrue(Files.exists(json));
        assertFalse(Files.list(json.getParent()).anyMatch(p -> !p.equals(json)), "atomic write leaves no temporary file");

        JsonNode j = ConfigJson.JSON.readTree(Files.readString(json));
        assertEquals(Bench.SCHEMA, j.path("schema").asText());
        assertTrue(j.path("machine").path("torch_threads").asInt() > 0);
        assertTrue(j.path("machine").path("cores").asInt() > 0);
        assertEquals(4, j.path("work_per_pass").size());
        for (JsonNode w : j.path("work_per_pass")) assertTrue(Math.abs(w.path("diff_pct").asDouble()) < 1, w.toString());
        assertTrue(j.path("matmul_gflops").path("fp32").asDouble() > 0);
        assertTrue(j.path("matmul_gflops").path("bf16").asDouble() > 0);
        assertTrue(j.path("skipped").has("default-256-fp32"), "the default-model cases are skipped with a reason");
        assertEquals(0, j.path("failed").size(), j.path("failed").toString());

        List<String> ids = new ArrayList<>();
        for (JsonNode r : j.path("results")) {
            ids.add(r.path("id").asText());
            for (String f : new String[]{"median_s", "min_s", "max_s", "peak_rss_mb"}) {
                assertTrue(r.path(f).asDouble() > 0, r.path("id").asText() + " " + f + " = " + r.path(f));
            }
            assertTrue(r.path("min_s").asDouble() <= r.path("median_s").asDouble() && r.path("median_s").asDouble() <= r.path("max_s").asDouble());
            // a --quick translation estimated from its 3-step warm-up run has that one run; every other row ≥ 2
            boolean estimated = r.path("extra").path("estimated").asBoolean();
            assertTrue(estimated ? r.path("runs").asInt() == 1 : r.path("runs").asInt() >= 2, r.toString());
        }
        assertTrue(ids.containsAll(List.of("matmul-fp32/256", "matmul-bf16/512", "unet-32-fp32", "translate-256-bf16", "native-100")), ids.toString());

        JsonNode unet = find(j, "unet-32-fp32");
        assertTrue(unet.path("gflop").asDouble() > 0 && unet.path("gflops").asDouble() > 0 && unet.path("ratio").asDouble() > 0, unet.toString());
        assertEquals("fp32", unet.path("precision").asText());

        JsonNode tr = find(j, "translate-256-bf16");
        assertTrue(tr.path("gflop").asDouble() > 50 * Flops.unet(Cases.tinyUNet(), 1, 8, 8, 6).gflop());
        assertTrue(tr.path("extra").path("timed_steps").asInt() >= 3);
        if (tr.path("extra").path("estimated").asBoolean()) assertTrue(tr.path("notes").asText().contains("ESTIMATE"), tr.toString());

        JsonNode nat = find(j, "native-100");
        assertTrue(nat.path("extra").path("physical_step10_mb").asDouble() > 0);
        assertTrue(nat.path("extra").path("physical_step110_mb").asDouble() > 0);
        assertTrue(nat.path("extra").has("growth_mb"));
        assertTrue(j.path("targets").size() >= 6);
    }

    @Test
    void aCaseRunsInItsOwnJvm(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("child.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Bench.Settings s = new Bench.Settings(true, true, json, List.of("matmul-fp32"), true, null, "cdiffset bench --tiny --quick --only matmul-fp32 (test)");
        int code = new Bench(s, new PrintStream(out, true, StandardCharsets.UTF_8), System.err).run();
        assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
        JsonNode j = ConfigJson.JSON.readTree(Files.readString(json));
        assertEquals(0, j.path("failed").size(), j.path("failed").toString());
        JsonNode r = find(j, "matmul-fp32/512");
        assertTrue(r.path("median_s").asDouble() > 0 && r.path("gflops").asDouble() > 0 && r.path("peak_rss_mb").asDouble() > 0, r.toString());
    }

    @Test
    void theLoadCaseMeasuresALoadOfAWrittenFolderAndRemovesIt(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("load.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Bench.Settings s = new Bench.Settings(true, true, json, List.of("load-bf16"), false, null, "cdiffset bench --tiny --quick --only load-bf16 (test)");
        long before = tempModelFolders();
        int code = new Bench(s, new PrintStream(out, true, StandardCharsets.UTF_8), System.err).run();
        assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
        JsonNode j = ConfigJson.JSON.readTree(Files.readString(json));
        assertEquals(0, j.path("failed").size(), j.path("failed").toString());
        JsonNode r = find(j, "load-bf16");
        assertTrue(r.path("median_s").asDouble() > 0 && r.path("peak_rss_mb").asDouble() > 0, r.toString());
        assertTrue(r.path("notes").asText().contains("MB of weights resident"), r.toString());
        assertEquals(before, tempModelFolders(), "the written model folder is removed");
    }

    private static long tempModelFolders() throws Exception {
        try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("cdiffset-bench-model-")).count();
        }
    }

    static JsonNode find(JsonNode j, String id) {
        for (JsonNode r : j.path("results")) if (r.path("id").asText().equals(id)) return r;
        throw new AssertionError("no result " + id + " in " + j.path("results"));
    }

    static Bench.Settings settings(List<String> only, boolean quick) {
        return new Bench.Settings(quick, true, null, only, false, null, "test");
    }

    static void assertWithin(double expected, double actual, double rel) {
        assertTrue(Math.abs(actual - expected) <= rel * expected, "expected " + expected + " ± " + rel * 100 + " %, got " + actual);
    }
}
