package io.cdiffset.hub;

import io.cdiffset.TestModels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** cdiffset pull against a fake Hub on 127.0.0.1 serving the tiny test model with the real Hub's endpoints and headers. */
class HubPullTest {
    static final String REPO = "acme/tiny-cdiffset";
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final String UNET = "unet/diffusion_pytorch_model.safetensors";
    static final String VAE = "vae/diffusion_pytorch_model.safetensors";

    @TempDir
    static Path shared;
    /** The tiny model's files by repo path, plus a README the include tests leave out. */
    static Map<String, byte[]> files;

    @TempDir
    Path tmp;
    FakeHub hub;
    Path cacheDir;

    @BeforeAll
    static void model() throws Exception {
        Path dir = TestModels.tinyModel(shared.resolve("model"));
        files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) files.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
        }
        files.put("README.md", "# tiny C-DiffSET test model\n".getBytes());
    }

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub(REPO, COMMIT, files);
        cacheDir = tmp.resolve("hf/hub");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubEnv env(String... extra) {
        Map<String, String> m = new HashMap<>();
        m.put("HF_HOME", tmp.resolve("hf").toString());
        m.put("HF_ENDPOINT", hub.endpoint() + "/");
        for (int i = 0; i < extra.length; i += 2) m.put(extra[i], extra[i + 1]);
        return HubEnv.from(m);
    }

    Pull.Result pull(HubEnv env, List<String> include, Path tokenFile) {
        return new Pull(env, m -> System.err.println("pull: " + m)).pull(new RepoId(REPO), "main", include, tokenFile, p -> io.cdiffset.engine.Progress.NONE);
    }

    Path repoDir() {
        return cacheDir.resolve("models--acme--tiny-cdiffset");
    }

    List<FakeHub.Request> downloads() {
        return hub.requests().stream().filter(r -> r.method().equals("GET") && !r.path().startsWith("/api/")).toList();
    }

    static long sent(List<FakeHub.Request> rs) {
        return rs.stream().mapToLong(FakeHub.Request::sent).sum();
    }

    @Test
    void wholePullBuildsTheHuggingfaceHubCacheLayout() throws Exception {
        Pull.Result r = pull(env("HF_TOKEN", "tok-123"), List.of(), null);
        assertEquals(COMMIT, r.commit());
        assertEquals(repoDir().resolve("snapshots").resolve(COMMIT), r.snapshot());
        assertEquals(files.size(), r.files());
        assertEquals(files.size(), r.fetched());
        long total = files.values().stream().mapToLong(b -> b.length).sum();
        assertEquals(total, r.downloaded());
        assertEquals(total, sent(downloads()), "every byte crossed the network once");

        // refs/main holds the commit, nothing else (no newline)
        assertEquals(COMMIT, Files.readString(repoDir().resolve("refs/main")));
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            String path = e.getKey(), etag = FakeHub.etag(path, e.getValue());
            assertEquals(FakeHub.lfs(path) ? 64 : 40, etag.length());
            Path blob = repoDir().resolve("blobs").resolve(etag);
            assertTrue(Files.isRegularFile(blob, java.nio.file.LinkOption.NOFOLLOW_LINKS), "blob named by etag: " + blob);
            assertArrayEquals(e.getValue(), Files.readAllBytes(blob), path);
            Path pointer = r.snapshot().resolve(path);
            assertTrue(Files.isSymbolicLink(pointer), path + " is a symlink");
            Path target = Files.readSymbolicLink(pointer);
            assertFalse(target.isAbsolute(), path + " links relatively");
            int depth = path.split("/").length - 1;
            assertEquals("../".repeat(2 + depth) + "blobs/" + etag, target.toString().replace('\\', '/'));
            assertArrayEquals(e.getValue(), Files.readAllBytes(pointer));
        }
        try (Stream<Path> s = Files.list(repoDir().resolve("blobs"))) {
            assertEquals(files.size(), s.count(), "only finished blobs, no .incomplete left");
        }
        try (Stream<Path> s = Files.list(repoDir())) {
            assertEquals(List.of("blobs", "refs", "snapshots"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // the token goes to the Hub, never to the CDN the LFS files are redirected to
        for (FakeHub.Request q : hub.requests()) {
            if (q.server().equals("hub")) assertEquals("Bearer tok-123", q.auth(), q.path());
            else assertNull(q.auth(), "token sent to the CDN: " + q.path());
        }
        assertTrue(hub.requests().stream().anyMatch(q -> q.server().equals("cdn")), "LFS files came from the CDN");
        HubClient client = new HubClient(env(), java.util.Optional.empty());
        for (String f : List.of("unet/config.json", UNET)) { // the fake answers HEAD as the Hub does: etag and size of the content
            HubClient.FileMeta m = client.head(new RepoId(REPO), COMMIT, f);
            assertEquals(files.get(f).length, m.size(), f);
            assertEquals(FakeHub.etag(f, files.get(f)), m.etag(), f);
            assertEquals(COMMIT, m.commit());
            assertEquals(FakeHub.lfs(f), m.lfs());
        }
        assertTrue(hub.requests().stream().anyMatch(q -> q.method().equals("HEAD") && q.path().equals("/" + REPO + "/resolve/" + COMMIT + "/" + UNET)),
                "files are resolved at the commit, as snapshot_download does");
    }

    @Test
    void includeSelectsFilesAsFnmatch() throws Exception {
        Pull.Result r = pull(env(), List.of("unet/*", "*.json"), null);
        List<String> got;
        try (Stream<Path> s = Files.walk(r.snapshot())) {
            got = s.filter(p -> !Files.isDirectory(p)).map(p -> r.snapshot().relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
        assertEquals(List.of("unet/config.json", UNET, "vae/config.json"), got);
        HubException e = assertThrows(HubException.class, () -> pull(env(), List.of("nothing/*"), null));
        assertTrue(e.getMessage().contains("none matches --include"), e.getMessage());
    }

    @Test
    void secondPullTransfersNothing() {
        pull(env(), List.of(), null);
        hub.clearLog();
        Pull.Result r = pull(env(), List.of(), null);
        assertEquals(0, r.fetched());
        assertEquals(0, r.downloaded());
        assertEquals(List.of(), downloads(), "no file GET on the second pull");
        List<FakeHub.Request> all = hub.requests();
        assertEquals(1 + files.size(), all.size(), "one repo-info GET and one HEAD per file: " + all);
        assertEquals(0, sent(all.stream().filter(q -> !q.path().startsWith("/api/")).toList()));
    }

    @Test
    void interruptedDownloadResumesWithRange() throws Exception {
        byte[] unet = files.get(UNET);
        int cut = unet.length / 3;
        hub.cutOnce(UNET, cut);
        assertThrows(UncheckedIOException.class, () -> pull(env(), List.of(), null));
        String sha = FakeHub.sha256(unet);
        Path part = repoDir().resolve("blobs").resolve(sha + ".incomplete");
        long kept = Files.size(part); // what reached the client before the cut (its HTTP stack may drop the last buffer)
        assertTrue(kept > 0 && kept <= cut, "the bytes received before the cut are kept: " + kept + " of " + cut);
        assertFalse(Files.exists(repoDir().resolve("blobs").resolve(sha)));
        assertFalse(Files.exists(repoDir().resolve("refs/main")), "a failed pull names no revision");

        hub.clearLog();
        Pull.Result r = pull(env(), List.of(), null);
        List<FakeHub.Request> unetGets = downloads().stream().filter(q -> q.path().endsWith(sha)).toList();
        assertEquals(1, unetGets.size(), unetGets.toString());
        assertEquals("bytes=" + kept + "-", unetGets.get(0).range(), "resumed where the kept part ends");
        assertEquals(206, unetGets.get(0).status());
        assertEquals(unet.length - kept, unetGets.get(0).sent(), "only the rest was sent");
        assertArrayEquals(unet, Files.readAllBytes(r.snapshot().resolve(UNET)));
        assertFalse(Files.exists(part));
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 90, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD) // without the guard, the pull would wait forever
    void stalledDownloadFailsAfterTheTimeoutAndTheNextPullResumes() throws Exception {
        byte[] unet = files.get(UNET);
        int sent = unet.length / 4;
        hub.stallOnce(UNET, sent);
        long t0 = System.nanoTime();
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> pull(env("HF_HUB_DOWNLOAD_TIMEOUT", "0.5"), List.of(), null));
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("stalled download: failed after %.2f s: %s%n", secs, e.getMessage());
        assertTrue(secs < 8, "a stall must end the pull soon after the timeout, took " + secs + " s");
        assertTrue(e.getMessage().contains("no data for 0.5 s (HF_HUB_DOWNLOAD_TIMEOUT)") && e.getMessage().contains("run the same pull again"), e.getMessage());
        String sha = FakeHub.sha256(unet);
        Path part = repoDir().resolve("blobs").resolve(sha + ".incomplete");
        long kept = Files.size(part);
        assertTrue(kept > 0 && kept <= sent, "the bytes received before the stall are kept: " + kept + " of " + sent);
        assertFalse(Files.exists(repoDir().resolve("refs/main")), "a failed pull names no revision");

        hub.clearLog();
        Pull.Result r = pull(env(), List.of(), null);
        List<FakeHub.Request> unetGets = downloads().stream().filter(q -> q.path().endsWith(sha)).toList();
        assertEquals("bytes=" + kept + "-", unetGets.get(0).range(), "resumed where the kept part ends");
        assertArrayEquals(unet, Files.readAllBytes(r.snapshot().resolve(UNET)));
    }

    @Test
    void aBadDownloadTimeoutIsRefusedInOneLine() {
        HubException e = assertThrows(HubException.class, () -> env("HF_HUB_DOWNLOAD_TIMEOUT", "soon"));
        assertEquals("HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds between 0 and 86400, got 'soon'; unset it for the default of 10", e.getMessage());
        assertEquals(java.time.Duration.ofSeconds(10), env().downloadTimeout());
        assertEquals(java.time.Duration.ofMillis(2500), env("HF_HUB_DOWNLOAD_TIMEOUT", "2.5").downloadTimeout());
    }

    @Test
    void corruptedBlobInTheCacheIsDetectedAndFetchedAgain() throws Exception {
        pull(env(), List.of(), null);
        byte[] vae = files.get(VAE);
        Path blob = repoDir().resolve("blobs").resolve(FakeHub.sha256(vae));
        byte[] bad = vae.clone();
        bad[100] ^= 1;
        Files.write(blob, bad);
        hub.clearLog();
        Pull.Result r = pull(env(), List.of(), null);
        assertEquals(1, r.fetched());
        assertEquals(vae.length, r.downloaded());
        assertEquals(1, downloads().size(), downloads().toString());
        assertArrayEquals(vae, Files.readAllBytes(r.snapshot().resolve(VAE)));
    }

    @Test
    void corruptedDownloadIsDetectedAndFetchedAgain() throws Exception {
        byte[] unet = files.get(UNET);
        hub.corruptOnce(UNET);
        Pull.Result r = pull(env(), List.of(UNET), null);
        List<FakeHub.Request> gets = downloads().stream().filter(q -> q.path().endsWith(FakeHub.sha256(unet))).toList();
        assertEquals(2, gets.size(), "fetched again after the SHA-256 check failed");
        assertNull(gets.get(1).range(), "a wrong file is not resumed but fetched whole");
        assertArrayEquals(unet, Files.readAllBytes(r.snapshot().resolve(UNET)));
    }

    @Test
    void offlineAnswersFromTheCacheOrFailsInOneLine() {
        HubException e = assertThrows(HubException.class, () -> pull(env("HF_HUB_OFFLINE", "1"), List.of(), null));
        assertOneLine(e.getMessage());
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE") && e.getMessage().contains("cdiffset pull " + REPO), e.getMessage());
        assertEquals(List.of(), hub.requests());

        Pull.Result online = pull(env(), List.of(), null);
        hub.close();
        hub.clearLog();
        Pull.Result off = pull(env("HF_HUB_OFFLINE", "1"), List.of(), null);
        assertEquals(online.snapshot(), off.snapshot());
        assertEquals(files.size(), off.files());
        assertEquals(0, off.downloaded());
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void unauthorizedSaysHowToSupplyAToken() throws Exception {
        hub.requireToken("s3cret");
        HubException e = assertThrows(HubException.class, () -> pull(env(), List.of(), null));
        assertOneLine(e.getMessage());
        assertTrue(e.getMessage().contains("HTTP 401") && e.getMessage().contains("--token-file") && e.getMessage().contains("HF_TOKEN")
                && e.getMessage().contains("licence"), e.getMessage());
        assertFalse(Files.exists(repoDir().resolve("blobs")), "nothing written");

        Path tokenFile = tmp.resolve("token.txt");
        Files.writeString(tokenFile, "s3cret\n");
        hub.clearLog();
        Pull.Result r = pull(env("HF_TOKEN", "wrong"), List.of(), tokenFile); // --token-file wins over HF_TOKEN
        assertEquals(files.size(), r.files());

        Files.writeString(tmp.resolve("hf/token"), "s3cret"); // $HF_HOME/token when nothing else is given
        assertEquals(files.size(), pull(env(), List.of(), null).files());
    }

    @Test
    void notFoundIsOneLine() {
        HubException e = assertThrows(HubException.class,
                () -> new Pull(env(), m -> {}).pull(new RepoId("acme/nope"), "main", List.of(), null, p -> io.cdiffset.engine.Progress.NONE));
        assertOneLine(e.getMessage());
        assertTrue(e.getMessage().contains("not found") && e.getMessage().contains("404"), e.getMessage());
        HubException rev = assertThrows(HubException.class,
                () -> new Pull(env(), m -> {}).pull(new RepoId(REPO), "v9", List.of(), null, p -> io.cdiffset.engine.Progress.NONE));
        assertTrue(rev.getMessage().contains("revision v9"), rev.getMessage());
    }

    @Test
    void modelArgumentsResolveFromTheCacheWithoutDownloading() throws Exception {
        HubEnv env = env();
        HubException missing = assertThrows(HubException.class, () -> HubModels.resolve(Path.of(REPO), env));
        assertOneLine(missing.getMessage());
        assertTrue(missing.getMessage().contains("run: cdiffset pull " + REPO), missing.getMessage());
        assertEquals(List.of(), hub.requests(), "resolving never talks to the Hub");

        Pull.Result r = pull(env, List.of(), null);
        assertEquals(r.snapshot(), HubModels.resolve(Path.of(REPO), env));
        assertEquals(r.snapshot().resolve(UNET), HubModels.resolve(Path.of(REPO + "/" + UNET), env));
        assertEquals(r.snapshot(), HubModels.resolve(Path.of(REPO + "@" + COMMIT), env));
        HubException noFile = assertThrows(HubException.class, () -> HubModels.resolve(Path.of(REPO + "/unet/other.safetensors"), env));
        assertTrue(noFile.getMessage().contains("--include 'unet/other.safetensors'"), noFile.getMessage());
        Path local = Files.createDirectories(tmp.resolve("acme/tiny-cdiffset"));
        assertEquals(local, HubModels.resolve(local, env), "an existing path wins");
        Path notRepo = Path.of("no/such/../thing");
        assertEquals(notRepo, HubModels.resolve(notRepo, env), "paths that are no repo id are left to the caller");
    }

    @Test
    void fileNamesThatWouldLeaveTheSnapshotAreRefused() throws Exception {
        Map<String, byte[]> evil = new LinkedHashMap<>(files);
        evil.put("../../outside.txt", "x".getBytes());
        try (FakeHub bad = new FakeHub(REPO, COMMIT, evil)) {
            Map<String, String> m = Map.of("HF_HOME", tmp.resolve("hf").toString(), "HF_ENDPOINT", bad.endpoint());
            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> new Pull(HubEnv.from(m), x -> {}).pull(new RepoId(REPO), "main", List.of(), null, p -> io.cdiffset.engine.Progress.NONE));
            assertTrue(e.getMessage().contains("refusing the file name '../../outside.txt'"), e.getMessage());
        }
        assertFalse(Files.exists(cacheDir.resolve("outside.txt")));
        assertFalse(Files.exists(repoDir().resolve("blobs")), "nothing fetched");
    }

    static void assertOneLine(String m) {
        assertFalse(m.contains("\n"), "one line: " + m);
    }
}
