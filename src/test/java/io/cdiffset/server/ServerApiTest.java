package io.cdiffset.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdiffset.engine.Progress;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.RasterHeader;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.pipeline.TranslateOptions;
import io.cdiffset.pipeline.Translation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.cdiffset.server.ServerTests.*;
import static org.junit.jupiter.api.Assertions.*;

/** The HTTP API v1 against real servers on loopback ports, with the JDK's HttpClient: every endpoint, every error. */
class ServerApiTest {
    @TempDir
    static Path tmp;
    static TranslationServer server;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        server = TranslationServer.start(options(tmp.resolve("data")), m -> System.err.println("server: " + m));
        base = server.url();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void wholeLifeOfAJob() throws Exception {
        Path in = png(tmp, "scene one.png", 72, 56, 1);
        HttpResponse<String> r = submit(base, in, fields("steps", "12", "seed", "5", "confidence", "true"), null);
        assertEquals(202, r.statusCode(), r.body());
        JsonNode acc = json(r);
        String id = acc.get("id").asText();
        assertTrue(id.matches("[0-9a-f]{32}"), id);
        assertEquals("/api/v1/translations/" + id, acc.get("url").asText());
        assertEquals(acc.get("url").asText(), r.headers().firstValue("Location").orElseThrow());

        // live progress: the event stream from now to the end
        HttpResponse<Stream<String>> ev = send(base, "api/v1/translations/" + id + "/events", "GET", null, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, ev.statusCode());
        assertTrue(ev.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> states = new ArrayList<>();
        ev.body().forEach(line -> {
            if (line.startsWith("data: ")) {
                try {
                    states.add(JSON.readTree(line.substring(6)));
                } catch (Exception e) {
                    throw new AssertionError(line, e);
                }
            }
        });
        JsonNode last = states.get(states.size() - 1);
        assertEquals("done", last.get("state").asText(), states.toString());
        assertEquals(100.0, last.get("percent").asDouble());
        long steps = -1;
        for (JsonNode s : states) {
            if (s.get("state").asText().equals("running") && s.hasNonNull("steps")) {
                assertTrue(s.get("step").asLong() >= 1 && s.get("step").asLong() <= s.get("steps").asLong(), s.toString());
                steps = s.get("steps").asLong();
            }
        }
        assertEquals(12, steps, "the events report step k of n (one window, 12 steps): " + states);

        JsonNode done = json(get(base, "api/v1/translations/" + id, null));
        assertEquals("done", done.get("state").asText());
        assertEquals("scene one.png", done.get("name").asText());
        assertEquals(72, done.get("width").asInt());
        assertEquals(12, done.at("/params/steps").asInt());
        assertTrue(done.get("files").has("confidence_png"));
        assertFalse(done.get("files").has("eo_tif"), "a PNG input gives a PNG EO");

        // the EO is what the library gives for the same input and options (the server adds nothing of its own)
        HttpResponse<byte[]> eo = getBytes(base, "api/v1/translations/" + id + "/eo.png");
        assertEquals(200, eo.statusCode());
        assertEquals("image/png", eo.headers().firstValue("Content-Type").orElse(""));
        Path cli = tmp.resolve("cli");
        Translation t = Translation.load(model(), null, TranslateOptions.defaults().withSampling(null, 12, null).withSeed(5).withConfidence(true), m -> {});
        Translation.Result direct = t.translateFile(in, cli, Progress.NONE);
        assertArrayEquals(Files.readAllBytes(direct.written().get(0)), eo.body(), "eo.png equals translate's output");
        HttpResponse<byte[]> conf = getBytes(base, "api/v1/translations/" + id + "/confidence.png");
        assertArrayEquals(Files.readAllBytes(cli.resolve("scene one_confidence.png")), conf.body(), "confidence.png equals translate's");
        assertEquals(200, getBytes(base, "api/v1/translations/" + id + "/confidence.tif").statusCode());
        Path sar = tmp.resolve("sar.png");
        Files.write(sar, getBytes(base, "api/v1/translations/" + id + "/sar.png").body());
        Raster sarPreview = Rasters.read(sar), input = Rasters.read(in);
        assertEquals(72, sarPreview.width());
        assertEquals(56, sarPreview.height());
        assertArrayEquals(input.data(), sarPreview.data(), "an 8-bit grey SAR is shown as it is");
        HttpResponse<String> tif = get(base, "api/v1/translations/" + id + "/eo.tif", null);
        assertEquals(404, tif.statusCode());
        assertTrue(json(tif).get("error").asText().contains("not georeferenced"), tif.body());

        JsonNode list = json(get(base, "api/v1/translations", null)).get("translations");
        assertTrue(list.findValuesAsText("id").contains(id));
        String metrics = get(base, "metrics", null).body();
        assertTrue(metrics.contains("cdiffset_queue_length 0"), metrics);
        assertTrue(metrics.matches("(?s).*cdiffset_jobs_finished_total\\{outcome=\"done\"} [1-9].*"), metrics);
        assertTrue(metrics.matches("(?s).*cdiffset_job_duration_seconds_count [1-9].*"), metrics);
        assertTrue(metrics.contains("cdiffset_job_duration_seconds_bucket{le=\"+Inf\"}"), metrics);

        HttpResponse<String> del = send(base, "api/v1/translations/" + id, "DELETE", null, HttpResponse.BodyHandlers.ofString());
        assertEquals(204, del.statusCode());
        assertEquals(404, get(base, "api/v1/translations/" + id, null).statusCode());
        assertEquals(404, get(base, "api/v1/translations/" + id + "/eo.png", null).statusCode());
        assertFalse(Files.exists(tmp.resolve("data").resolve(id)), "the job folder is deleted");
        assertEquals(404, send(base, "api/v1/translations/" + id, "DELETE", null, HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void geoTiffInputGivesAGeoTiff() throws Exception {
        Path in = geoTiff(tmp, "scene.tif", 64, 40);
        HttpResponse<String> r = submit(base, in, fields("steps", "2"), null);
        assertEquals(202, r.statusCode(), r.body());
        String id = json(r).get("id").asText();
        JsonNode done = await(base, id, Duration.ofSeconds(90));
        assertEquals("done", done.get("state").asText(), done.toString());
        assertTrue(done.get("georeferenced").asBoolean());
        Path eoTif = tmp.resolve("eo-" + id + ".tif");
        Files.write(eoTif, getBytes(base, "api/v1/translations/" + id + "/eo.tif").body());
        RasterHeader h = Rasters.readHeader(eoTif);
        assertEquals(Rasters.readHeader(in).geo(), h.geo(), "the EO GeoTIFF keeps the input's georeferencing");
        assertEquals(3, h.bands());
        // the PNG the page shows has the GeoTIFF's pixels
        Path eoPng = tmp.resolve("eo-" + id + ".png");
        Files.write(eoPng, getBytes(base, "api/v1/translations/" + id + "/eo.png").body());
        assertArrayEquals(Rasters.read(eoTif).data(), Rasters.read(eoPng).data());
        Path sar = tmp.resolve("sar-" + id + ".png");
        Files.write(sar, getBytes(base, "api/v1/translations/" + id + "/sar.png").body());
        assertEquals(64, Rasters.readHeader(sar).width());
    }

    @Test
    void badUploadsGetTheir4xxAndAOneLineMessage() throws Exception {
        ServerOptions o = options(tmp.resolve("data-limited")).withLimits(200 << 10, 5_000L);
        try (TranslationServer s = TranslationServer.start(o, m -> {})) {
            String b = s.url();
            byte[] corrupt = new byte[600];
            byte[] magic = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
            System.arraycopy(magic, 0, corrupt, 0, magic.length);
            Arrays.fill(corrupt, magic.length, corrupt.length, (byte) 7);
            expect(400, "corrupt", submitBytes(b, "corrupt.png", corrupt, fields(), null));
            byte[] large = new byte[3 << 20]; // over Javalin's 1 MB body default: the upload limit is the server's own
            System.arraycopy(magic, 0, large, 0, magic.length);
            expect(400, "corrupt", submitBytes(base, "large.png", large, fields(), null));
            expect(415, "not a PNG, JPEG or TIFF", submitBytes(b, "notes.png", "just some text".getBytes(StandardCharsets.UTF_8), fields(), null));
            expect(400, "empty", submitBytes(b, "empty.png", new byte[0], fields(), null));
            expect(400, "field 'image'", submitBytes(b, null, null, fields("steps", "2"), null));
            HttpResponse<String> big = submit(b, png(tmp, "big.png", 100, 100, 2), fields(), null);
            expect(400, "too large", big);
            assertTrue(json(big).get("error").asText().contains("big.png"), "names the upload: " + big.body());
            assertFalse(big.body().contains(tmp.toString()), "does not show the server's folders: " + big.body());
            byte[] huge = new byte[300 << 10];
            new java.util.Random(1).nextBytes(huge);
            expect(413, "limit", submitBytes(b, "huge.png", huge, fields(), null));
            Path small = png(tmp, "small.png", 40, 40, 3);
            expect(400, "steps must be a whole number", submit(b, small, fields("steps", "many"), null));
            expect(400, "steps", submit(b, small, fields("steps", "0"), null));
            expect(400, "sampler", submit(b, small, fields("sampler", "magic"), null));
            expect(400, "this server runs fp32", submit(b, small, fields("precision", "bf16"), null));
            expect(400, "precision must be", submit(b, small, fields("precision", "fp8"), null));
            expect(400, "confidence must be true or false", submit(b, small, fields("confidence", "maybe"), null));
            expect(400, "sar_guidance must be a number", submit(b, small, fields("sar_guidance", "NaN"), null));
            expect(404, "no such translation", get(b, "api/v1/translations/0123456789abcdef0123456789abcdef", null));
            expect(404, "no such translation", get(b, "api/v1/translations/..%2F..%2Fetc/eo.png", null));
            expect(404, "not found", get(b, "api/v1/nothing", null));
            try (Stream<Path> jobs = Files.list(tmp.resolve("data-limited"))) {
                assertEquals(List.of(), jobs.filter(p -> JobStore.ID.matcher(p.getFileName().toString()).matches()).toList(),
                        "a refused upload leaves no job folder");
            }
        }
    }

    private static void expect(int status, String inMessage, HttpResponse<String> r) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        String e = json(r).get("error").asText();
        assertTrue(e.contains(inMessage), "expected '" + inMessage + "' in: " + e);
        assertFalse(e.contains("\n"), "one line: " + e);
    }

    @Test
    void aFullQueueGets429AndDeleteCancelsQueuedAndRunningJobs() throws Exception {
        try (TranslationServer s = TranslationServer.start(options(tmp.resolve("data-429")).withQueue(1, 1), m -> {})) {
            String b = s.url();
            Path in = png(tmp, "q.png", 48, 48, 4);
            String a = json(submit(b, in, fields("steps", "400"), null)).get("id").asText();
            awaitRunning(b, a);
            HttpResponse<String> rb = submit(b, in, fields("steps", "2"), null);
            assertEquals(202, rb.statusCode(), rb.body());
            String bid = json(rb).get("id").asText();
            JsonNode qb = json(get(b, "api/v1/translations/" + bid, null));
            assertEquals("queued", qb.get("state").asText());
            assertEquals(1, qb.get("position").asInt());
            JsonNode ra = json(get(b, "api/v1/translations/" + a, null));
            assertEquals("running", ra.get("state").asText());
            HttpResponse<String> full = submit(b, in, fields("steps", "2"), null);
            assertEquals(429, full.statusCode(), full.body());
            assertTrue(Long.parseLong(full.headers().firstValue("Retry-After").orElseThrow()) >= 1);
            assertTrue(json(full).get("error").asText().contains("queue is full"));
            assertTrue(get(b, "metrics", null).body().contains("cdiffset_jobs_rejected_total 1"));

            assertEquals(204, send(b, "api/v1/translations/" + bid, "DELETE", null, HttpResponse.BodyHandlers.ofString()).statusCode());
            assertFalse(Files.exists(tmp.resolve("data-429").resolve(bid)));
            assertEquals(204, send(b, "api/v1/translations/" + a, "DELETE", null, HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(404, get(b, "api/v1/translations/" + a, null).statusCode());
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (Files.exists(tmp.resolve("data-429").resolve(a)) && System.nanoTime() < end) Thread.sleep(50);
            assertFalse(Files.exists(tmp.resolve("data-429").resolve(a)), "the cancelled run stops and its folder is deleted");
            // the worker is free again
            String c = json(submit(b, in, fields("steps", "2"), null)).get("id").asText();
            assertEquals("done", await(b, c, Duration.ofSeconds(90)).get("state").asText());
        }
    }

    @Test
    void aTokenGuardsTheApiButNotTheHealthCheck() throws Exception {
        String token = "s3cret-token-0123456789";
        try (TranslationServer s = TranslationServer.start(options(tmp.resolve("data-token")).withToken(token), m -> {})) {
            String b = s.url();
            HttpResponse<String> none = get(b, "api/v1/models", null);
            assertEquals(401, none.statusCode());
            assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(""));
            assertTrue(json(none).get("error").asText().contains("Authorization: Bearer"));
            assertEquals(401, get(b, "api/v1/models", "wrong-token").statusCode());
            assertEquals(401, get(b, "metrics", null).statusCode());
            assertEquals(401, submit(b, png(tmp, "t.png", 32, 32, 5), fields(), null).statusCode());
            assertEquals(200, get(b, "api/v1/models", token).statusCode());
            assertEquals(200, get(b, "metrics", token).statusCode());
            assertEquals(200, get(b, "healthz", null).statusCode());
            assertEquals(200, get(b, "api/v1/openapi.json", null).statusCode());
            assertEquals(200, get(b, "", null).statusCode(), "the page itself is public; it asks for the token");
            HttpResponse<String> ok = submit(b, png(tmp, "t.png", 32, 32, 5), fields("steps", "2"), token);
            assertEquals(202, ok.statusCode(), ok.body());
        }
    }

    @Test
    void twoWorkersShareTheModelAndGiveTheSameResults() throws Exception {
        Path in = png(tmp, "w.png", 48, 48, 8);
        try (TranslationServer s = TranslationServer.start(options(tmp.resolve("data-workers")).withQueue(2, 8), m -> {})) {
            String b = s.url();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) ids.add(json(submit(b, in, fields("steps", "8", "seed", "3", "confidence", "true"), null)).get("id").asText());
            byte[] first = null;
            for (String id : ids) {
                assertEquals("done", await(b, id, Duration.ofSeconds(120)).get("state").asText());
                byte[] eo = getBytes(b, "api/v1/translations/" + id + "/eo.png").body();
                if (first == null) first = eo;
                assertArrayEquals(first, eo, "same input and seed, same EO, whichever worker ran it");
            }
        }
    }

    @Test
    void corsIsOffUnlessConfigured() throws Exception {
        java.net.http.HttpRequest.Builder get = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "api/v1/models"))
                .header("Origin", "https://tools.example.org");
        HttpResponse<String> off = HTTP.send(get.build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(off.headers().firstValue("Access-Control-Allow-Origin").isEmpty(), "no CORS by default");
        try (TranslationServer s = TranslationServer.start(options(tmp.resolve("data-cors")).withCors("https://tools.example.org"), m -> {})) {
            HttpResponse<String> pre = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.url() + "api/v1/translations"))
                    .header("Origin", "https://tools.example.org").header("Access-Control-Request-Method", "POST")
                    .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(204, pre.statusCode(), pre.body());
            assertEquals("https://tools.example.org", pre.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
            HttpResponse<String> other = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.url() + "api/v1/models"))
                    .header("Origin", "https://evil.example.com").build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(other.headers().firstValue("Access-Control-Allow-Origin").isEmpty(), "only the configured origin");
        }
    }

    @Test
    void aRestartKeepsFinishedResultsAndResumesQueuedJobs() throws Exception {
        Path data = tmp.resolve("data-restart");
        ServerOptions o = options(data).withQueue(1, 10);
        String first, slow, last;
        byte[] firstEo;
        Path in = png(tmp, "r.png", 48, 40, 6);
        try (TranslationServer s = TranslationServer.start(o, m -> {})) {
            String b = s.url();
            first = json(submit(b, in, fields("steps", "2"), null)).get("id").asText();
            assertEquals("done", await(b, first, Duration.ofSeconds(90)).get("state").asText());
            firstEo = getBytes(b, "api/v1/translations/" + first + "/eo.png").body();
            slow = json(submit(b, in, fields("steps", "300", "seed", "1"), null)).get("id").asText();
            last = json(submit(b, in, fields("steps", "3", "seed", "2"), null)).get("id").asText();
            awaitRunning(b, slow);
        } // stopped mid-queue: one job running, one waiting
        assertEquals("queued", JSON.readTree(data.resolve(slow).resolve("job.json").toFile()).get("state").asText(), "the interrupted job is queued again");
        assertEquals("queued", JSON.readTree(data.resolve(last).resolve("job.json").toFile()).get("state").asText());
        try (TranslationServer s = TranslationServer.start(o.withPort(0), m -> {})) {
            String b = s.url();
            JsonNode f = json(get(b, "api/v1/translations/" + first, null));
            assertEquals("done", f.get("state").asText());
            assertArrayEquals(firstEo, getBytes(b, "api/v1/translations/" + first + "/eo.png").body(), "finished results are kept");
            JsonNode sl = await(b, slow, Duration.ofSeconds(120));
            assertEquals("done", sl.get("state").asText(), sl.toString());
            assertEquals(300, sl.at("/params/steps").asInt());
            assertEquals("done", await(b, last, Duration.ofSeconds(60)).get("state").asText());
        }
    }

    @Test
    void finishedJobsExpireAfterTheTtlAndWithinTheQuota() throws Exception {
        Path in = png(tmp, "e.png", 32, 32, 7);
        try (TranslationServer s = TranslationServer.start(options(tmp.resolve("data-ttl")).withRetention(Duration.ofMillis(1500), 10L << 30), m -> {})) {
            String b = s.url();
            String id = json(submit(b, in, fields("steps", "2"), null)).get("id").asText();
            JsonNode d = await(b, id, Duration.ofSeconds(60));
            assertEquals("done", d.get("state").asText());
            assertTrue(d.has("expires"));
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (get(b, "api/v1/translations/" + id, null).statusCode() == 200 && System.nanoTime() < end) Thread.sleep(100);
            assertEquals(404, get(b, "api/v1/translations/" + id, null).statusCode(), "expired after the TTL");
            assertFalse(Files.exists(tmp.resolve("data-ttl").resolve(id)));
        }
        try (TranslationServer s = TranslationServer.start(options(tmp.resolve("data-quota")).withRetention(Duration.ofHours(1), 1), m -> {})) {
            String b = s.url();
            String id = json(submit(b, in, fields("steps", "2"), null)).get("id").asText();
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (get(b, "api/v1/translations/" + id, null).statusCode() == 200 && System.nanoTime() < end) Thread.sleep(100);
            assertEquals(404, get(b, "api/v1/translations/" + id, null).statusCode(), "a 1-byte quota keeps no finished job");
            assertFalse(Files.exists(tmp.resolve("data-quota").resolve(id)));
        }
    }

    @Test
    void modelsHealthAndTheOpenApiDocument() throws Exception {
        JsonNode h = json(get(base, "healthz", null));
        assertEquals("ok", h.get("status").asText());
        JsonNode m = json(get(base, "api/v1/models", null)).get("models").get(0);
        assertTrue(m.at("/parameters/unet").asLong() > 0);
        assertTrue(m.get("confidence").asBoolean(), "the tiny UNet has a variance head");
        assertEquals("ddim", m.at("/sampling/sampler").asText());
        assertEquals(8, m.at("/unet/in_channels").asInt());
        JsonNode api = json(get(base, "api/v1/openapi.json", null));
        assertEquals("3.0.3", api.get("openapi").asText());
        for (String p : List.of("/api/v1/translations", "/api/v1/translations/{id}", "/api/v1/translations/{id}/events",
                "/api/v1/translations/{id}/eo.png", "/api/v1/translations/{id}/eo.tif", "/api/v1/translations/{id}/confidence.png",
                "/api/v1/models", "/healthz", "/metrics")) {
            assertTrue(api.get("paths").has(p), "documented: " + p);
        }
        HttpResponse<String> page = get(base, "", null);
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<script src=\"app.js\">"));
    }
}
