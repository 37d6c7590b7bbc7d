package io.cdiffset.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The three Hub requests huggingface_hub's {@code snapshot_download} makes, over plain HTTP/1.1:
 * <ol>
 *   <li>{@code GET {endpoint}/api/models/{repo}/revision/{rev}} → {@code sha} (the commit) and {@code siblings[].rfilename};</li>
 *   <li>{@code HEAD {endpoint}/{repo}/resolve/{commit}/{path}} with {@code Accept-Encoding: identity}, redirects not
 *       followed (relative ones are: renamed repos) → {@code X-Repo-Commit}, the etag ({@code X-Linked-Etag}, else
 *       {@code ETag}, quotes and {@code W/} removed), the size ({@code X-Linked-Size}, else {@code Content-Length}) and
 *       the {@code Location} of an LFS file on the CDN;</li>
 *   <li>{@code GET} of that location, with {@code Range: bytes=N-} to resume; the token is sent only to the endpoint's
 *       host, never to the CDN a redirect leads to.</li>
 * </ol>
 * Refusals become {@link HubException}s of one line (401/403: token and licence; 404: what was not found); other
 * failures are {@link IOException}s.
 */
public final class HubClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REDIRECTS = 10;

    private final HubEnv env;
    private final Optional<String> token;
    private final HttpClient http;

    public HubClient(HubEnv env, Optional<String> token) {
        if (env.offline()) throw new IllegalStateException("HF_HUB_OFFLINE is set: no Hub requests may be made");
        this.env = env;
        this.token = token;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** What {@code /api/models/{repo}/revision/{rev}} says: the commit and every file path of the repo at it. */
    public record RepoInfo(String commit, List<String> files) {}

    /** What the HEAD of one file says. {@code lfs}: the etag is the sha256 of the content (64 hex digits). */
    public record FileMeta(String path, String commit, String etag, long size, URI location) {
        public boolean lfs() {
            return etag.matches("[0-9a-f]{64}");
        }
    }

    public RepoInfo repoInfo(RepoId repo, String revision) throws IOException {
        URI uri = URI.create(env.endpoint() + "/api/models/" + repo.id() + "/revision/" + encode(revision, false));
        HttpResponse<byte[]> r = send(request(uri, true).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        check(r, repo, "revision " + revision);
        JsonNode j = JSON.readTree(r.body());
        String sha = j.path("sha").asText("");
        if (!HubCache.COMMIT.matcher(sha).matches()) throw new IOException(uri + ": the answer has no commit sha; is " + env.endpoint() + " a Hugging Face Hub?");
        List<String> files = new ArrayList<>();
        for (JsonNode s : j.path("siblings")) {
            String f = s.path("rfilename").asText();
            if (!safePath(f)) throw new IOException(uri + ": refusing the file name '" + f + "' (it would land outside the snapshot folder)");
            files.add(f);
        }
        return new RepoInfo(sha, files);
    }

    public FileMeta head(RepoId repo, String commit, String path) throws IOException {
        URI uri = URI.create(env.endpoint() + "/" + repo.id() + "/resolve/" + encode(commit, false) + "/" + encode(path, true));
        for (int hop = 0; hop < MAX_REDIRECTS; hop++) {
            HttpRequest req = request(uri, true).method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Accept-Encoding", "identity").build();
            HttpResponse<Void> r = send(req, HttpResponse.BodyHandlers.discarding());
            int code = r.statusCode();
            Optional<String> location = r.headers().firstValue("Location");
            if (code >= 300 && code < 400 && location.isPresent() && URI.create(location.get()).getHost() == null) {
                uri = uri.resolve(location.get()); // relative redirect: a renamed repo, same host
                continue;
            }
            check(r, repo, "file " + path);
            URI at = uri;
            String etag = r.headers().firstValue("X-Linked-Etag").or(() -> r.headers().firstValue("ETag")).map(HubClient::normalizeEtag)
                    .orElseThrow(() -> new IOException(at + ": no ETag in the answer; cannot name the file in the cache"));
            if (!etag.matches("[A-Za-z0-9_-]{1,128}")) throw new IOException(at + ": refusing the etag '" + etag + "' as a cache file name");
            String c = r.headers().firstValue("X-Repo-Commit").orElseThrow(() -> new IOException(at + ": no X-Repo-Commit in the answer; is "
                    + env.endpoint() + " a Hugging Face Hub?"));
            long size = r.headers().firstValue("X-Linked-Size").or(() -> r.headers().firstValue("Content-Length")).map(Long::parseLong).orElse(-1L);
            URI loc = code >= 300 && code < 400 && location.isPresent() ? uri.resolve(location.get()) : uri;
            return new FileMeta(path, c, etag, size, loc);
        }
        throw new IOException(uri + ": more than " + MAX_REDIRECTS + " redirects");
    }

    /** An open download: the body from {@code offset} on ({@code offset} is 0 when the server ignored the range). */
    public record Body(InputStream in, long offset) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** GETs a file's content from {@code offset} on, following redirects; the token goes only to the endpoint's host. */
    public Body open(RepoId repo, FileMeta meta, long offset) throws IOException {
        URI uri = meta.location();
        for (int hop = 0; hop < MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = request(uri, sameHost(uri)).GET();
            if (offset > 0) b.header("Range", "bytes=" + offset + "-");
            HttpResponse<InputStream> r = send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            int code = r.statusCode();
            Optional<String> location = r.headers().firstValue("Location");
            if (code >= 300 && code < 400 && location.isPresent()) {
                r.body().close();
                uri = uri.resolve(location.get());
                continue;
            }
            if (code == 206 || code == 200) {
                InputStream in = new StallGuard(r.body(), env.downloadTimeout(), meta.path() + " from " + uri.getHost());
                return new Body(in, code == 206 ? offset : 0);
            }
            r.body().close();
            check(r, repo, "file " + meta.path());
            throw new IOException(uri + ": HTTP " + code);
        }
        throw new IOException(meta.location() + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private boolean sameHost(URI uri) {
        URI ep = URI.create(env.endpoint());
        return ep.getHost() != null && ep.getHost().equalsIgnoreCase(uri.getHost()) && ep.getPort() == uri.getPort();
    }

    private HttpRequest.Builder request(URI uri, boolean withToken) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("User-Agent", "cdiffset/0.1.0; hf_hub-compatible");
        if (withToken) token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot reach " + req.uri().getScheme() + "://" + req.uri().getAuthority()
                    + " (connection refused); check the network, or set HF_HUB_OFFLINE=1 to use what is cached", e);
        }
    }

    /** 401 / 403 / 404 as one-line {@link HubException}s; other non-2xx/3xx as IOException. */
    private void check(HttpResponse<?> r, RepoId repo, String what) throws IOException {
        int code = r.statusCode();
        if (code < 400) return;
        String errorCode = r.headers().firstValue("X-Error-Code").orElse("");
        String page = env.endpoint() + "/" + repo.id();
        if (code == 401 || code == 403 || errorCode.equals("GatedRepo")) {
            throw new HubException(repo + ": the Hub refused access (HTTP " + code + (errorCode.isEmpty() ? "" : " " + errorCode)
                    + "): the repo is gated or private, or does not exist; accept its licence on " + page
                    + " while logged in, then give a token with read access: --token-file FILE, HF_TOKEN=..., or " + env.tokenPath()
                    + (token.isPresent() ? " (the token sent was refused)" : " (no token was sent)"));
        }
        if (code == 404) {
            String m = switch (errorCode) {
                case "RevisionNotFound" -> repo + ": " + what + " not found on " + env.endpoint() + " (HTTP 404); check --revision";
                case "EntryNotFound" -> repo + ": " + what + " not found at this revision (HTTP 404); check the file name";
                default -> repo + ": not found on " + env.endpoint() + " (HTTP 404" + (errorCode.isEmpty() ? "" : " " + errorCode)
                        + "); check the repo id on " + page;
            };
            throw new HubException(m);
        }
        throw new IOException(r.uri() + ": HTTP " + code + r.headers().firstValue("X-Error-Message").map(m -> " (" + oneLine(m) + ")").orElse(""));
    }

    /** A relative path of plain parts: no leading /, no backslash, no empty, . or .. part. */
    static boolean safePath(String p) {
        if (p.isEmpty() || p.startsWith("/") || p.contains("\\")) return false;
        for (String part : p.split("/", -1)) if (part.isEmpty() || part.equals(".") || part.equals("..")) return false;
        return true;
    }

    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        return e.replace("\"", "");
    }

    /** Percent-encodes like Python's {@code quote}: unreserved characters kept, {@code /} kept only in paths. */
    static String encode(String s, boolean keepSlash) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~'
                    || (keepSlash && c == '/')) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return sb.toString();
    }

    private static String oneLine(String s) {
        return s.strip().lines().findFirst().orElse("");
    }

    static UncheckedIOException unchecked(IOException e) {
        return new UncheckedIOException(e.getMessage(), e);
    }
}
