package io.cdiffset.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face Hub on 127.0.0.1 for one model repo, answering what the real Hub answers to huggingface_hub:
 * {@code GET /api/models/{repo}/revision/{rev}} (sha, siblings), {@code HEAD|GET /{repo}/resolve/{rev}/{path}} (small
 * files: 200 with a git-sha1 ETag; LFS files — here every {@code *.safetensors} — 302 to a second server, the "CDN",
 * with X-Linked-Etag = sha256 and X-Linked-Size), and the CDN serving blobs with Range. Every request is logged; faults
 * (a cut connection, corrupted bytes) can be armed for one request.
 */
public final class FakeHub implements AutoCloseable {
    /** One request as the servers saw it; {@code sent}: body bytes written. */
    public record Request(String server, String method, String path, String range, String auth, int status, long sent) {}

    public final String repo;
    public final String commit;
    public final Map<String, byte[]> files;
    private final HttpServer hub;
    private final HttpServer cdn;
    private final List<Request> log = new ArrayList<>();
    private final Map<String, Integer> cutOnce = new HashMap<>();
    private final Map<String, Boolean> corruptOnce = new HashMap<>();
    private final Map<String, Integer> stallOnce = new HashMap<>();
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-hub");
        t.setDaemon(true);
        return t;
    });
    private volatile String requiredToken;

    public FakeHub(String repo, String commit, Map<String, byte[]> files) throws IOException {
        this.repo = repo;
        this.commit = commit;
        this.files = new LinkedHashMap<>(files);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        hub = HttpServer.create(any, 0);
        cdn = HttpServer.create(any, 0);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.setExecutor(pool); // a stalled answer (stallOnce) must not hold up the next request
        cdn.setExecutor(pool);
        hub.start();
        cdn.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    /** Repo requests without {@code Authorization: Bearer token} get 401 GatedRepo, as a gated repo does. */
    public void requireToken(String token) {
        requiredToken = token;
    }

    /** The next CDN download of {@code path} sends the full Content-Length but only {@code bytes} bytes, then drops the connection. */
    public synchronized void cutOnce(String path, int bytes) {
        cutOnce.put(path, bytes);
    }

    /**
     * The next CDN download of {@code path} sends {@code bytes} bytes, then nothing more while the connection stays
     * open (a stalled server or network) until this hub is closed.
     */
    public synchronized void stallOnce(String path, int bytes) {
        stallOnce.put(path, bytes);
    }

    /** The next CDN download of {@code path} has one byte changed. */
    public synchronized void corruptOnce(String path) {
        corruptOnce.put(path, true);
    }

    public synchronized List<Request> requests() {
        return List.copyOf(log);
    }

    public synchronized void clearLog() {
        log.clear();
    }

    public static boolean lfs(String path) {
        return path.endsWith(".safetensors");
    }

    public static String sha256(byte[] b) {
        return hex("SHA-256", b);
    }

    /** git's blob id: sha1("blob {length}\0" + content), the Hub's ETag of a file kept in git. */
    public static String gitSha1(byte[] b) {
        byte[] head = ("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + b.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(b, 0, all, head.length, b.length);
        return hex("SHA-1", all);
    }

    public static String etag(String path, byte[] b) {
        return lfs(path) ? sha256(b) : gitSha1(b);
    }

    private static String hex(String algo, byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algo).digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Pattern API = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");

    private void hub(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        try {
            Matcher api = API.matcher(path), res = RESOLVE.matcher(path);
            if (api.matches()) {
                if (!api.group(1).equals(repo)) {
                    reply(ex, "hub", 404, Map.of("X-Error-Code", "RepoNotFound"), new byte[0]);
                } else if (!authorized(ex)) {
                    reply(ex, "hub", 401, Map.of("X-Error-Code", "GatedRepo"), new byte[0]);
                } else if (!api.group(2).equals("main") && !api.group(2).equals(commit)) {
                    reply(ex, "hub", 404, Map.of("X-Error-Code", "RevisionNotFound"), new byte[0]);
                } else {
                    StringBuilder sb = new StringBuilder("{\"id\":\"" + repo + "\",\"sha\":\"" + commit + "\",\"siblings\":[");
                    int i = 0;
                    for (String f : files.keySet()) sb.append(i++ > 0 ? "," : "").append("{\"rfilename\":\"").append(f).append("\"}");
                    reply(ex, "hub", 200, Map.of("Content-Type", "application/json"), sb.append("]}").toString().getBytes(StandardCharsets.UTF_8));
                }
            } else if (res.matches() && res.group(1).equals(repo)) {
                String f = res.group(3);
                byte[] b = files.get(f);
                if (!authorized(ex)) {
                    reply(ex, "hub", 401, Map.of("X-Error-Code", "GatedRepo"), new byte[0]);
                } else if (b == null) {
                    reply(ex, "hub", 404, Map.of("X-Error-Code", "EntryNotFound", "X-Repo-Commit", commit), new byte[0]);
                } else if (lfs(f)) {
                    String sha = sha256(b);
                    byte[] pointer = ("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha + "\nsize " + b.length + "\n").getBytes(StandardCharsets.US_ASCII);
                    Map<String, String> h = new LinkedHashMap<>();
                    h.put("X-Repo-Commit", commit);
                    h.put("X-Linked-Etag", "\"" + sha + "\"");
                    h.put("X-Linked-Size", Long.toString(b.length));
                    h.put("ETag", "\"" + gitSha1(pointer) + "\"");
                    h.put("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/repos/ab/cd/" + sha + "?download=true");
                    reply(ex, "hub", 302, h, new byte[0]);
                } else {
                    Map<String, String> h = new LinkedHashMap<>();
                    h.put("X-Repo-Commit", commit);
                    h.put("ETag", "\"" + gitSha1(b) + "\"");
                    reply(ex, "hub", 200, h, b);
                }
            } else {
                reply(ex, "hub", 404, Map.of("X-Error-Code", "RepoNotFound"), new byte[0]);
            }
        } finally {
            ex.close();
        }
    }

    private boolean authorized(HttpExchange ex) {
        return requiredToken == null || ("Bearer " + requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"));
    }

    private void cdn(HttpExchange ex) throws IOException {
        String sha = ex.getRequestURI().getPath().replaceAll(".*/", "");
        String path = null;
        for (var e : files.entrySet()) if (lfs(e.getKey()) && sha256(e.getValue()).equals(sha)) path = e.getKey();
        try {
            if (path == null) {
                reply(ex, "cdn", 404, Map.of(), new byte[0]);
                return;
            }
            byte[] b = files.get(path);
            Integer cut, stall;
            boolean corrupt;
            synchronized (this) {
                cut = cutOnce.remove(path);
                stall = stallOnce.remove(path);
                corrupt = corruptOnce.remove(path) != null;
            }
            if (corrupt) {
                b = b.clone();
                b[b.length / 2] ^= 0x5a;
            }
            String range = ex.getRequestHeaders().getFirst("Range");
            long from = 0;
            Map<String, String> h = new LinkedHashMap<>();
            h.put("Accept-Ranges", "bytes");
            int status = 200;
            if (range != null) {
                Matcher m = Pattern.compile("bytes=(\\d+)-").matcher(range);
                if (!m.matches()) throw new IllegalStateException("unexpected Range " + range);
                from = Long.parseLong(m.group(1));
                status = 206;
                h.put("Content-Range", "bytes " + from + "-" + (b.length - 1) + "/" + b.length);
            }
            byte[] body = java.util.Arrays.copyOfRange(b, (int) from, b.length);
            if (stall != null) {
                record("cdn", ex, status, stall);
                ex.getResponseHeaders().putAll(headers(h));
                ex.sendResponseHeaders(status, body.length);
                OutputStream out = ex.getResponseBody();
                out.write(body, 0, stall);
                out.flush();
                try {
                    closed.await(); // the connection stays open, silent
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("stalled after " + stall + " bytes");
            }
            if (cut != null) {
                record("cdn", ex, status, cut); // before the answer: the client may look at the log as soon as it has it
                ex.getResponseHeaders().putAll(headers(h));
                ex.sendResponseHeaders(status, body.length);
                OutputStream out = ex.getResponseBody();
                out.write(body, 0, cut);
                out.flush();
                // drop the connection mid-file, as a network failure would: closing a short fixed-length body makes
                // the server close the socket
                throw new IOException("cut after " + cut + " bytes");
            }
            reply(ex, "cdn", status, h, body);
        } finally {
            ex.close();
        }
    }

    private static Map<String, List<String>> headers(Map<String, String> h) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        h.forEach((k, v) -> m.put(k, List.of(v)));
        return m;
    }

    private void reply(HttpExchange ex, String server, int status, Map<String, String> h, byte[] body) throws IOException {
        boolean head = ex.getRequestMethod().equals("HEAD");
        // recorded before the answer goes out: a client that has its answer finds the request in the log
        record(server, ex, status, head ? 0 : body.length);
        ex.getResponseHeaders().putAll(headers(h));
        if (head) {
            if (!h.containsKey("Location") || status == 200) ex.getResponseHeaders().set("Content-Length", Long.toString(body.length));
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) ex.getResponseBody().write(body);
        }
    }

    private synchronized void record(String server, HttpExchange ex, int status, long sent) {
        log.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("Range"),
                ex.getRequestHeaders().getFirst("Authorization"), status, sent));
    }

    /** Stops both servers: afterwards any request is refused. */
    @Override
    public void close() {
        closed.countDown();
        hub.stop(0);
        cdn.stop(0);
        pool.shutdownNow();
    }
}
