package io.cdiffset.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdiffset.TestModels;
import io.cdiffset.io.raster.GeoInfo;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/** Helpers of the server tests: the tiny model, small SAR images, multipart uploads with the JDK client, waiting for jobs. */
final class ServerTests {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static Path model;

    private ServerTests() {}

    /** The tiny fixture model (random weights, 5 output channels: has a confidence head), made once per JVM. */
    static synchronized Path model() throws IOException {
        if (model == null) model = TestModels.tinyModel(Files.createTempDirectory("cdiffset-serve-model"));
        return model;
    }

    static ServerOptions options(Path data) throws IOException {
        return ServerOptions.defaults(model(), data).withPort(0);
    }

    /** A grey 8-bit SAR-like PNG of random speckle. */
    static Path png(Path dir, String name, int w, int h, long seed) {
        Random r = new Random(seed);
        float[] v = new float[w * h];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.min(255, -Math.log(1 - r.nextDouble()) * 60);
        Path p = dir.resolve(name);
        Rasters.writePng(p, new Raster(w, h, 1, v, SampleType.U8));
        return p;
    }

    /** A one-band 16-bit GeoTIFF (UTM 33N) of random speckle. */
    static Path geoTiff(Path dir, String name, int w, int h) {
        Random r = new Random(3);
        float[] v = new float[w * h];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.min(65535, -Math.log(1 - r.nextDouble()) * 900);
        GeoInfo geo = GeoInfo.fromGeoTransform(new double[]{500000, 10, 0, 4500000, 0, -10}, 32633);
        Path p = dir.resolve(name);
        Rasters.writeGeoTiff(p, new Raster(w, h, 1, v, SampleType.U16, geo), geo);
        return p;
    }

    /** POST /api/v1/translations with the file as 'image' and the fields. */
    static HttpResponse<String> submit(String base, Path file, Map<String, String> fields, String token) throws IOException, InterruptedException {
        return submitBytes(base, file.getFileName().toString(), Files.readAllBytes(file), fields, token);
    }

    static HttpResponse<String> submitBytes(String base, String filename, byte[] content, Map<String, String> fields, String token)
            throws IOException, InterruptedException {
        String boundary = "----cdiffset" + UUID.randomUUID();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Map.Entry<String, String> f : fields.entrySet()) {
            b.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey() + "\"\r\n\r\n" + f.getValue() + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        if (content != null) {
            b.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + filename
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            b.writeBytes(content);
            b.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        b.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + "api/v1/translations"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(b.toByteArray())).timeout(Duration.ofSeconds(60));
        if (token != null) r.header("Authorization", "Bearer " + token);
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String base, String path, String token) throws IOException, InterruptedException {
        return send(base, path, "GET", token, HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<byte[]> getBytes(String base, String path) throws IOException, InterruptedException {
        return send(base, path, "GET", null, HttpResponse.BodyHandlers.ofByteArray());
    }

    static <T> HttpResponse<T> send(String base, String path, String method, String token, HttpResponse.BodyHandler<T> h)
            throws IOException, InterruptedException {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + (path.startsWith("/") ? path.substring(1) : path)))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60));
        if (token != null) r.header("Authorization", "Bearer " + token);
        return HTTP.send(r.build(), h);
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    static Map<String, String> fields(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    /** Polls the job until it is done or failed (or the time is up); returns its last state. */
    static JsonNode await(String base, String id, Duration timeout) throws IOException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        JsonNode s;
        do {
            HttpResponse<String> r = get(base, "api/v1/translations/" + id, null);
            s = json(r);
            if (r.statusCode() != 200) return s;
            String st = s.get("state").asText();
            if (st.equals("done") || st.equals("failed")) return s;
            Thread.sleep(100);
        } while (System.nanoTime() < end);
        throw new AssertionError("job " + id + " did not finish within " + timeout + "; last state " + s);
    }

    /** Polls until the job is running. */
    static void awaitRunning(String base, String id) throws IOException, InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            JsonNode s = json(get(base, "api/v1/translations/" + id, null));
            if (s.path("state").asText().equals("running")) return;
            if (!s.path("state").asText().equals("queued")) throw new AssertionError("expected running, got " + s);
            Thread.sleep(50);
        }
        throw new AssertionError("job " + id + " never started");
    }
}
