package io.cdiffset.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.diffusion.SamplingSettings;
import io.cdiffset.engine.InputException;
import io.cdiffset.engine.Precision;
import io.cdiffset.pipeline.TranslateOptions;
import io.cdiffset.pipeline.Translation;
import io.cdiffset.io.raster.Rasters;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import jakarta.servlet.http.HttpServletResponse;
import io.javalin.http.staticfiles.Location;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code cdiffset serve}: the HTTP API v1 (see {@code openapi.json} beside this class) and the page, on Javalin. One
 * model is loaded at start and shared by the workers of {@link Jobs}; each request only maps onto the pipeline:
 * uploads are checked as the command line checks its inputs ({@link Translation#check}) and become queued jobs, whose
 * state, events and files the other endpoints serve. Nothing a request sends names a file: ids must match
 * {@link JobStore#ID} and are looked up among the known jobs, and the file names come from the job's record.
 */
public final class TranslationServer implements AutoCloseable {
    static final String API = "/api/v1";
    private static final ObjectMapper JSON = JobStore.JSON;
    private static final long SSE_HEARTBEAT_MS = 15_000;
    /** How much of an oversized upload is read (and dropped) so that the client can read the 413 answer. */
    private static final long DRAIN_LIMIT = 256L << 20;

    private final ServerOptions opt;
    private final ModelBundle model;
    private final TranslationRunner runner;
    private final Jobs jobs;
    private final Consumer<String> log;
    private final byte[] tokenHash;
    private final Javalin app;
    private volatile boolean closed;

    private TranslationServer(ServerOptions opt, ModelBundle model, Consumer<String> log) throws IOException {
        this.opt = opt;
        this.model = model;
        this.log = log;
        this.tokenHash = opt.token() == null ? null : sha256(opt.token());
        TranslateOptions base = TranslateOptions.defaults().withPrecision(opt.precision()).withMaxPixels(opt.maxPixels());
        this.runner = new TranslationRunner(model, base, log);
        this.jobs = new Jobs(new JobStore(opt.data()), runner, opt.workers(), opt.queue(), opt.ttl(), opt.quotaBytes(), log);
        Path uploads = opt.data().resolve(".uploads"); // Jetty's multipart spool; what a crash left there is garbage
        io.cdiffset.io.raster.AtomicFiles.deleteTree(uploads);
        Files.createDirectories(uploads);
        this.app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.jetty.multipartConfig.cacheDirectory(uploads.toString());
            c.jetty.multipartConfig.maxFileSize(opt.maxUploadBytes(), SizeUnit.BYTES);
            c.jetty.multipartConfig.maxTotalRequestSize(opt.maxUploadBytes() + (64 << 10), SizeUnit.BYTES);
            c.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB);
            c.staticFiles.add(s -> {
                s.hostedPath = "/";
                s.directory = "/io/cdiffset/server/web";
                s.location = Location.CLASSPATH;
                s.headers = Map.of("Cache-Control", "no-cache");
            });
            var r = c.routes;
            r.before(this::cors);
            r.before(this::authorize);
            r.get("/healthz", this::health);
            r.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(jobs.metricsText()));
            r.get(API + "/openapi.json", this::openapi);
            r.get(API + "/models", this::models);
            r.get(API + "/models/default/card", this::card);
            r.post(API + "/translations", this::submit);
            r.get(API + "/translations", this::list);
            r.get(API + "/translations/{id}", ctx -> json(ctx, 200, status(job(ctx))));
            r.delete(API + "/translations/{id}", this::delete);
            r.get(API + "/translations/{id}/events", ctx -> stream(job(ctx), ctx));
            r.get(API + "/translations/{id}/eo.png", ctx -> file(ctx, JobRecord::eoPng, "image/png", "no PNG of this EO: the scene is too large to preview; get eo.tif"));
            r.get(API + "/translations/{id}/eo.tif", ctx -> file(ctx, j -> j.georeferenced() ? j.eo() : null, "image/tiff",
                    "no GeoTIFF: the input was not georeferenced, so the EO is eo.png"));
            r.get(API + "/translations/{id}/sar.png", ctx -> file(ctx, JobRecord::sarPng, "image/png", "no SAR preview: the scene is too large to preview"));
            r.get(API + "/translations/{id}/confidence.png", ctx -> file(ctx, JobRecord::confidencePng, "image/png",
                    "no confidence map: submit with confidence=true"));
            r.get(API + "/translations/{id}/confidence.tif", ctx -> file(ctx, JobRecord::confidenceTif, "image/tiff",
                    "no confidence map: submit with confidence=true"));
            if (opt.corsOrigin() != null) r.options(API + "/*", ctx -> ctx.status(204));
            r.exception(ApiError.class, (e, ctx) -> {
                if (e.retryAfterSeconds > 0) ctx.header("Retry-After", String.valueOf(e.retryAfterSeconds));
                json(ctx, e.status, error(e.getMessage()));
            });
            r.exception(InputException.class, (e, ctx) -> json(ctx, 400, error(Jobs.oneLine(e.getMessage()))));
            // Javalin's own answers (an unknown endpoint is "Endpoint GET /x not found") as JSON too
            r.exception(HttpResponseException.class, (e, ctx) -> json(ctx, e.getStatus(), error(e.getMessage())));
            r.exception(Exception.class, (e, ctx) -> {
                if (tooLarge(e)) {
                    json(ctx, 413, error(uploadLimitMessage()));
                    return;
                }
                log.accept("internal error on " + ctx.method() + " " + ctx.path() + ": " + e);
                json(ctx, 500, error("internal error: " + Jobs.oneLine(String.valueOf(e.getMessage())) + " (see the server log)"));
            });
        });
    }

    /**
     * Loads the model once, resumes the jobs of the data folder and starts listening.
     *
     * @param log receives one-line notes (model loaded, jobs resumed, failures)
     */
    public static TranslationServer start(ServerOptions opt, Consumer<String> log) throws IOException {
        TranslateOptions base = TranslateOptions.defaults().withPrecision(opt.precision()).withMaxPixels(opt.maxPixels());
        Translation.checkOptions(opt.model(), base);
        ModelBundle model = ModelBundle.load(opt.model(), opt.unet(), opt.precision());
        boolean fresh = !Files.exists(opt.data());
        TranslationServer s = new TranslationServer(opt, model, log);
        try {
            s.app.start(opt.host(), opt.port());
        } catch (RuntimeException e) {
            s.jobs.close();
            if (fresh) io.cdiffset.io.raster.AtomicFiles.deleteTree(opt.data()); // a failed start leaves nothing behind
            throw new InputException("cannot listen on " + opt.host() + ":" + opt.port() + ": " + Jobs.oneLine(rootMessage(e))
                    + "; choose another --port or --host");
        }
        return s;
    }

    public int port() {
        return app.port();
    }

    /** The page's address, e.g. http://127.0.0.1:8080/. */
    public String url() {
        String h = opt.host().contains(":") ? "[" + opt.host() + "]" : opt.host();
        return "http://" + h + ":" + port() + "/";
    }

    public Jobs jobs() {
        return jobs;
    }

    /** Stops listening, then stops the workers; a running job stays queued in the data folder and runs on the next start. */
    @Override
    public void close() {
        closed = true;
        for (Job j : jobs.recent(Integer.MAX_VALUE)) j.markRemoved(); // wakes event streams so they end
        app.stop();
        jobs.close();
    }

    // ------------------------------------------------------------------ filters

    private void cors(Context ctx) {
        if (opt.corsOrigin() == null) return;
        String origin = ctx.header("Origin");
        if (origin != null && (opt.corsOrigin().equals("*") || opt.corsOrigin().equals(origin))) {
            ctx.header("Access-Control-Allow-Origin", opt.corsOrigin().equals("*") ? "*" : origin);
            ctx.header("Vary", "Origin");
            ctx.header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
            ctx.header("Access-Control-Allow-Headers", "Authorization, Content-Type");
        }
    }

    /** With a token, every API call (but the OpenAPI document) and /metrics need {@code Authorization: Bearer TOKEN}. */
    private void authorize(Context ctx) {
        if (tokenHash == null || ctx.method().name().equals("OPTIONS")) return;
        String p = ctx.path();
        boolean open = !(p.startsWith("/api/") || p.equals("/metrics")) || p.equals(API + "/openapi.json");
        if (open) return;
        String h = ctx.header("Authorization");
        String given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).strip() : null;
        // compared as SHA-256 digests with MessageDigest.isEqual: the time taken says nothing about the token
        if (given == null || !MessageDigest.isEqual(sha256(given), tokenHash)) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiError(401, given == null ? "this server needs a token: send Authorization: Bearer TOKEN" : "wrong token");
        }
    }

    // ------------------------------------------------------------------ endpoints

    private void health(Context ctx) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "ok");
        m.put("queue", jobs.queueLength());
        m.put("capacity", jobs.capacity());
        json(ctx, 200, m);
    }

    private void openapi(Context ctx) throws IOException {
        try (InputStream in = TranslationServer.class.getResourceAsStream("openapi.json")) {
            ctx.contentType("application/json").result(in.readAllBytes());
        }
    }

    private void models(Context ctx) {
        SamplingSettings s = model.sampling();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", "default");
        m.put("name", model.source() == null ? "model" : model.source().getFileName().toString());
        m.put("precision", opt.precision().name().toLowerCase(Locale.ROOT));
        m.put("parameters", Map.of("unet", model.unet().parameterCount(), "vae", model.vae().parameterCount()));
        m.put("confidence", model.unet().config().outChannels() > 4);
        m.put("sampling", Map.of("sampler", s.sampler(), "steps", s.steps(), "sar_guidance", s.sarGuidance()));
        m.put("unet", model.unet().config().raw().root()); // the config.json as loaded
        m.put("vae", model.vae().config().raw().root());
        m.put("card", card() == null ? null : API + "/models/default/card");
        json(ctx, 200, Map.of("models", List.of(m)));
    }

    private Path card() {
        if (model.source() == null || !Files.isDirectory(model.source())) return null;
        Path c = model.source().resolve("MODEL_CARD.md");
        return Files.isRegularFile(c) ? c : null;
    }

    private void card(Context ctx) throws IOException {
        Path c = card();
        if (c == null) throw new ApiError(404, "this model has no MODEL_CARD.md");
        ctx.contentType("text/markdown; charset=utf-8").result(Files.readAllBytes(c));
    }

    private void submit(Context ctx) throws IOException {
        long length = ctx.req().getContentLengthLong();
        if (length > opt.maxUploadBytes() + (64 << 10)) {
            drain(ctx, length);
            throw new ApiError(413, uploadLimitMessage());
        }
        if (!ctx.isMultipartFormData()) throw new ApiError(400, "send multipart/form-data with the SAR image in the field 'image'");
        UploadedFile f = ctx.uploadedFile("image");
        if (f == null) throw new ApiError(400, "no file in the multipart field 'image'; send the SAR image as image=@FILE");
        JobParams params = params(ctx);
        TranslateOptions options;
        try {
            options = runner.options(params); // a bad option is a 400 before anything is stored
        } catch (InputException | IllegalArgumentException e) {
            // the library speaks in command-line options; the API's fields are named like them
            throw new ApiError(400, Jobs.oneLine(e.getMessage()).replace("--sar-guidance", "sar_guidance").replace("--steps", "steps")
                    .replace("--sampler", "sampler").replace("--confidence", "confidence").replace("--seed", "seed"));
        }
        if (!jobs.hasRoom()) throw queueFull();
        String name = displayName(f.filename());
        String id = jobs.store().create();
        Path dir = jobs.store().dir(id);
        boolean queued = false;
        try {
            Path upload = dir.resolve("upload");
            try (InputStream in = f.content()) {
                Files.copy(in, upload);
            }
            if (Files.size(upload) == 0) throw new ApiError(400, "the uploaded file " + name + " is empty");
            String format = Rasters.sniff(upload);
            if (format == null) {
                throw new ApiError(415, name + " is not a PNG, JPEG or TIFF image (the type is read from the file's content, not its name); "
                        + "convert it to PNG or GeoTIFF");
            }
            String input = "input" + switch (format) {
                case "TIFF" -> ".tif";
                case "PNG" -> ".png";
                default -> ".jpg";
            };
            Path file = dir.resolve(input);
            Files.move(upload, file);
            Translation.Input in;
            try {
                in = Translation.check(List.of(file), options).get(0);
            } catch (InputException e) {
                // the messages name the stored file; the client knows it by its own name
                throw new ApiError(400, Jobs.oneLine(e.getMessage()).replace(file.toString(), name).replace(file.getFileName().toString(), name)
                        .replace(" --max-pixels", opt.maxPixels() != null ? " the server's --max-pixels" : " --max-pixels"));
            }
            JobRecord r = JobRecord.queued(id, System.currentTimeMillis(), name, input, in.header().width(), in.header().height(), in.georeferenced(), params);
            if (!jobs.submit(r)) throw queueFull();
            queued = true;
        } finally {
            if (!queued) jobs.store().delete(id);
        }
        String url = API + "/translations/" + id;
        ctx.header("Location", url);
        json(ctx, 202, Map.of("id", id, "url", url));
    }

    private ApiError queueFull() {
        jobs.rejected();
        long seconds = jobs.retryAfterSeconds();
        return new ApiError(429, "the queue is full (" + jobs.capacity() + " jobs waiting); try again in " + seconds + " s", seconds);
    }

    private JobParams params(Context ctx) {
        Integer steps = intParam(ctx, "steps");
        Long seed = ctx.formParam("seed") == null || ctx.formParam("seed").isBlank() ? null : longParam(ctx, "seed");
        Double guidance = doubleParam(ctx, "sar_guidance");
        String sampler = blankToNull(ctx.formParam("sampler"));
        String conf = blankToNull(ctx.formParam("confidence"));
        boolean confidence = false;
        if (conf != null) {
            switch (conf.toLowerCase(Locale.ROOT)) {
                case "true", "1", "on", "yes" -> confidence = true;
                case "false", "0", "off", "no" -> confidence = false;
                default -> throw new ApiError(400, "confidence must be true or false, got " + conf);
            }
        }
        String precision = blankToNull(ctx.formParam("precision"));
        if (precision != null) {
            Precision p;
            try {
                p = Precision.parse(precision);
            } catch (IllegalArgumentException e) {
                throw new ApiError(400, e.getMessage());
            }
            if (p != opt.precision()) {
                throw new ApiError(400, "this server runs " + opt.precision().name().toLowerCase(Locale.ROOT) + " (the model is prepared once at start); "
                        + "leave precision out, or start the server with --precision " + precision);
            }
        }
        return new JobParams(sampler, steps, guidance, seed == null ? 0 : seed, confidence);
    }

    private void list(Context ctx) {
        Integer limit = intQuery(ctx, "limit");
        List<Map<String, Object>> out = new ArrayList<>();
        for (Job j : jobs.recent(limit == null ? 20 : Math.max(1, Math.min(limit, 200)))) out.add(status(j));
        json(ctx, 200, Map.of("translations", out));
    }

    private void delete(Context ctx) {
        Job j = job(ctx);
        jobs.delete(j.id());
        ctx.status(204);
    }

    /** The job named by the path's id; 404 for anything else. */
    private Job job(Context ctx) {
        String id = ctx.pathParam("id");
        if (!JobStore.ID.matcher(id).matches()) throw new ApiError(404, "no such translation: " + abbreviate(id));
        return jobs.find(id).orElseThrow(() -> new ApiError(404, "no such translation: " + id + " (deleted, expired, or never made)"));
    }

    /** Serves one of a job's files by the name its record holds; 409 while the job is not done. */
    private void file(Context ctx, java.util.function.Function<JobRecord, String> pick, String type, String missing) throws IOException {
        Job j = job(ctx);
        JobRecord r = j.record();
        if (!r.state().equals(JobRecord.DONE)) {
            throw new ApiError(409, "translation " + r.id() + " is " + r.state() + (r.state().equals(JobRecord.FAILED) ? ": " + r.error() : "; wait until it is done"));
        }
        String name = pick.apply(r);
        if (name == null) throw new ApiError(404, missing);
        Path p = jobs.store().dir(r.id()).resolve(name);
        InputStream in;
        try {
            in = Files.newInputStream(p);
        } catch (NoSuchFileException e) {
            throw new ApiError(404, "translation " + r.id() + " was deleted");
        }
        String download = Translation.stem(Path.of(r.name())) + "_" + ctx.path().substring(ctx.path().lastIndexOf('/') + 1);
        ctx.header("Content-Disposition", "inline; filename=\"" + download.replaceAll("[^A-Za-z0-9._-]", "_") + "\"");
        ctx.header("Cache-Control", "private, max-age=3600");
        ctx.contentType(type).result(in);
    }

    /** The job's state as the API shows it (GET, the list and the event stream). */
    Map<String, Object> status(Job j) {
        JobRecord r = j.record();
        Map<String, Object> m = new LinkedHashMap<>();
        String base = API + "/translations/" + r.id();
        m.put("id", r.id());
        m.put("url", base);
        m.put("state", r.state());
        m.put("name", r.name());
        m.put("width", r.width());
        m.put("height", r.height());
        m.put("georeferenced", r.georeferenced());
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("sampler", r.params().sampler());
        p.put("steps", r.params().steps());
        p.put("sar_guidance", r.params().sarGuidance());
        p.put("seed", r.params().seed());
        p.put("confidence", r.params().confidence());
        m.put("params", p);
        m.put("created", java.time.Instant.ofEpochMilli(r.created()).toString());
        switch (r.state()) {
            case JobRecord.QUEUED -> m.put("position", jobs.position(j));
            case JobRecord.RUNNING -> {
                Job.Progress pr = j.progress();
                m.put("step", pr == null ? 0 : pr.step());
                m.put("steps", pr == null ? null : pr.steps());
                m.put("percent", pr == null || pr.steps() == 0 ? 0.0 : Math.floor(1000.0 * pr.step() / pr.steps()) / 10);
                m.put("status", pr == null ? "starting" : pr.status());
                m.put("eta_seconds", pr == null || pr.etaSeconds() == null ? null : Math.round(pr.etaSeconds() * 10) / 10.0);
            }
            case JobRecord.DONE -> {
                m.put("percent", 100.0);
                m.put("seconds", r.seconds());
                Map<String, Object> files = new LinkedHashMap<>();
                if (r.eoPng() != null) files.put("eo_png", base + "/eo.png");
                if (r.georeferenced()) files.put("eo_tif", base + "/eo.tif");
                if (r.sarPng() != null) files.put("sar_png", base + "/sar.png");
                if (r.confidencePng() != null) files.put("confidence_png", base + "/confidence.png");
                if (r.confidenceTif() != null) files.put("confidence_tif", base + "/confidence.tif");
                m.put("files", files);
            }
            case JobRecord.FAILED -> m.put("error", r.error());
            default -> {}
        }
        if (r.finished() != null) {
            m.put("finished", java.time.Instant.ofEpochMilli(r.finished()).toString());
            m.put("expires", java.time.Instant.ofEpochMilli(r.finished() + opt.ttl().toMillis()).toString());
        }
        return m;
    }

    /**
     * Server-Sent Events: the job's state as event {@code state} now and at every change (coalesced: a slow reader
     * sees the latest, and never holds up the worker), a comment every 15 s while nothing changes, until the job
     * ends; {@code deleted} if it is deleted. Written directly (any Accept header), one request thread per stream.
     */
    private void stream(Job j, Context ctx) throws IOException {
        HttpServletResponse res = ctx.res();
        res.setStatus(200);
        res.setContentType("text/event-stream");
        res.setCharacterEncoding("UTF-8");
        res.setHeader("Cache-Control", "no-cache");
        res.setHeader("X-Accel-Buffering", "no");
        OutputStream out = res.getOutputStream();
        try {
            long seen = j.version();
            send(out, "state", toJson(status(j)));
            while (!closed) {
                if (j.removed()) {
                    send(out, "deleted", toJson(Map.of("id", j.id(), "state", "deleted")));
                    break;
                }
                if (j.record().finishedState()) break;
                long v = j.awaitChange(seen, SSE_HEARTBEAT_MS);
                if (closed) break;
                if (v == seen) {
                    out.write(": waiting\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    continue;
                }
                seen = v;
                if (!j.removed()) send(out, "state", toJson(status(j)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void send(OutputStream out, String event, String data) throws IOException {
        out.write(("event: " + event + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    // ------------------------------------------------------------------ helpers

    private String uploadLimitMessage() {
        return "the upload is larger than the server's limit of " + opt.maxUploadBytes() + " bytes; send a smaller image or start the server with a larger --max-upload";
    }

    /** Reads (and drops) an oversized body, up to a bound, so that the client gets to read the 413 (unless it sent Expect: 100-continue). */
    private static void drain(Context ctx, long length) {
        if (length > DRAIN_LIMIT || "100-continue".equalsIgnoreCase(ctx.header("Expect"))) return;
        try (InputStream in = ctx.req().getInputStream()) {
            in.skip(length);
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) >= 0) { /* drop */ }
        } catch (IOException ignored) {
            // the client went away; nothing to answer
        }
    }

    private static boolean tooLarge(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("exceeds") || m.contains("too large") || m.contains("max file size") || m.contains("request size")) return true;
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) t = t.getCause();
        return String.valueOf(t.getMessage());
    }

    private static Map<String, Object> error(String message) {
        return Map.of("error", message);
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(toJson(body));
    }

    private static String toJson(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Integer intParam(Context ctx, String name) {
        String v = blankToNull(ctx.formParam(name));
        if (v == null) return null;
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new ApiError(400, name + " must be a whole number, got " + abbreviate(v));
        }
    }

    private static Integer intQuery(Context ctx, String name) {
        String v = blankToNull(ctx.queryParam(name));
        if (v == null) return null;
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new ApiError(400, name + " must be a whole number, got " + abbreviate(v));
        }
    }

    private static long longParam(Context ctx, String name) {
        String v = ctx.formParam(name).strip();
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ApiError(400, name + " must be a whole number, got " + abbreviate(v));
        }
    }

    private static Double doubleParam(Context ctx, String name) {
        String v = blankToNull(ctx.formParam(name));
        if (v == null) return null;
        try {
            double d = Double.parseDouble(v.strip());
            if (!Double.isFinite(d)) throw new NumberFormatException();
            return d;
        } catch (NumberFormatException e) {
            throw new ApiError(400, name + " must be a number, got " + abbreviate(v));
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** The uploaded file's name for display: its last path part, printable characters only, at most 120. */
    static String displayName(String sent) {
        String n = sent == null ? "" : sent.replace('\\', '/');
        n = n.substring(n.lastIndexOf('/') + 1).replaceAll("[\\p{Cntrl}\"<>]", "_").strip();
        if (n.isEmpty()) n = "upload";
        return n.length() > 120 ? n.substring(0, 120) : n;
    }

    private static String abbreviate(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 60 ? t.substring(0, 60) + "..." : t;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
