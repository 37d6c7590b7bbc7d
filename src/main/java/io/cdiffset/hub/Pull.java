package io.cdiffset.hub;

import io.cdiffset.engine.Progress;
import io.cdiffset.io.FileDigest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code cdiffset pull}: puts a model repo (or the files of it that {@code --include} selects) into the
 * huggingface_hub cache ({@link HubCache}), as {@code snapshot_download} does, and answers the snapshot folder.
 *
 * <p>Per file: HEAD for the etag and size; a blob already in the cache is checked (size, and the SHA-256 for LFS
 * files) and kept when it is right, fetched again when not; a missing one is downloaded into
 * {@code blobs/{etag}.incomplete} (appended to with {@code Range} when a previous pull stopped part-way), checked, and
 * moved into place atomically; then the snapshot symlink. LFS files are checked against their SHA-256 (the etag);
 * small git files only against their size, as their etag is a git blob SHA-1 that huggingface_hub does not check
 * either. {@code refs/{revision}} is written when every file is in place. Concurrent pulls of the same repo are not
 * locked against each other.
 *
 * <p>With {@code HF_HUB_OFFLINE=1} nothing is requested: the answer comes from the cache or is a one-line error.
 */
public final class Pull {
    public static final String DEFAULT_REVISION = "main";
    private static final int BUFFER = 1 << 16;

    private final HubEnv env;
    private final HubCache cache;
    private final Consumer<String> log;

    public Pull(HubEnv env, Consumer<String> log) {
        this.env = env;
        this.cache = new HubCache(env.cache());
        this.log = log;
    }

    /** What a pull did. {@code downloaded}: bytes received over the network in this run. */
    public record Result(RepoId repo, String commit, Path snapshot, int files, int fetched, long downloaded) {}

    /**
     * Pulls {@code repo} at {@code revision}.
     *
     * @param include   fnmatch patterns ({@link Glob}); empty = every file
     * @param token     the file named by {@code --token-file}, or null for {@code HF_TOKEN} / the stored token
     * @param progress  a progress bar per downloaded file, in bytes (called with the file's path)
     */
    public Result pull(RepoId repo, String revision, List<String> include, Path token, Function<String, Progress> progress) {
        List<Glob> globs = include.stream().map(Glob::of).toList();
        if (env.offline()) return offline(repo, revision, globs);
        HubClient client = new HubClient(env, env.token(token));
        try {
            HubClient.RepoInfo info = client.repoInfo(repo, revision);
            List<String> files = info.files().stream().filter(f -> Glob.any(globs, f)).sorted().toList();
            if (files.isEmpty()) {
                throw new HubException(repo + " has " + info.files().size() + " files at " + revision + " but none matches --include "
                        + String.join(" ", include) + " (patterns match whole paths, e.g. 'unet/*')");
            }
            int fetched = 0;
            long bytes = 0;
            for (String f : files) {
                HubClient.FileMeta meta = client.head(repo, info.commit(), f);
                long got = ensureBlob(client, repo, meta, progress);
                if (got >= 0) {
                    fetched++;
                    bytes += got;
                }
                cache.link(repo, info.commit(), f, meta.etag());
            }
            cache.writeRef(repo, revision, info.commit());
            return new Result(repo, info.commit(), cache.snapshot(repo, info.commit()), files.size(), fetched, bytes);
        } catch (IOException e) {
            throw HubClient.unchecked(e);
        }
    }

    private Result offline(RepoId repo, String revision, List<Glob> globs) {
        String commit = cache.commit(repo, revision).orElseThrow(() -> new HubException("HF_HUB_OFFLINE is set and " + repo + " at " + revision
                + " is not in the cache (" + env.cache() + "); unset HF_HUB_OFFLINE and run: cdiffset pull " + repo));
        Path snap = cache.snapshot(repo, commit);
        List<Path> present;
        try (var s = Files.walk(snap)) {
            present = s.filter(Files::isRegularFile).filter(p -> Glob.any(globs, snap.relativize(p).toString().replace('\\', '/'))).toList();
        } catch (IOException e) {
            present = List.of();
        }
        if (present.isEmpty()) {
            throw new HubException("HF_HUB_OFFLINE is set and the cached snapshot of " + repo + " (" + snap + ") has no file matching the request; "
                    + "unset HF_HUB_OFFLINE and pull again");
        }
        log.accept("HF_HUB_OFFLINE is set: answering from the cache, " + present.size() + " file(s) not checked against the Hub");
        return new Result(repo, commit, snap, present.size(), 0, 0);
    }

    /** Makes {@code blobs/{etag}} right; answers the bytes downloaded, or -1 when the cached blob was already right. */
    private long ensureBlob(HubClient client, RepoId repo, HubClient.FileMeta meta, Function<String, Progress> progress) throws IOException {
        Path blob = cache.blob(repo, meta.etag());
        if (Files.isRegularFile(blob)) {
            String bad = problem(blob, meta);
            if (bad == null) return -1;
            log.accept(meta.path() + ": the cached blob " + blob.getFileName() + " is damaged (" + bad + "); fetching it again");
            Files.delete(blob);
        }
        Files.createDirectories(blob.getParent());
        Path part = blob.resolveSibling(meta.etag() + ".incomplete");
        long total = 0;
        for (int attempt = 1; ; attempt++) {
            total += download(client, repo, meta, part, progress.apply(meta.path()));
            String bad = problem(part, meta);
            if (bad == null) break;
            Files.deleteIfExists(part);
            if (attempt == 2) throw new IOException(meta.path() + ": downloaded twice and still wrong (" + bad + "); try again later");
            log.accept(meta.path() + ": the download is wrong (" + bad + "); fetching it again");
        }
        Files.move(part, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return total;
    }

    /** Appends the rest of the file to {@code part} (resuming from its length); answers the bytes received. */
    private long download(HubClient client, RepoId repo, HubClient.FileMeta meta, Path part, Progress bar) throws IOException {
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (meta.size() >= 0 && have > meta.size()) { // longer than the file: not a prefix of it
            Files.delete(part);
            have = 0;
        }
        if (meta.size() >= 0 && have == meta.size()) return 0;
        if (have > 0) log.accept(meta.path() + ": resuming at " + have + " of " + meta.size() + " bytes");
        long received = 0;
        try (HubClient.Body body = client.open(repo, meta, have)) {
            boolean append = body.offset() == have && have > 0; // else the server sent the whole file
            long done = append ? have : 0;
            try (InputStream in = body.in();
                 OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[BUFFER];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    received += n;
                    done += n;
                    bar.update(done, Math.max(done, meta.size()), mb(done) + "/" + mb(meta.size()) + " MB");
                }
            }
        } finally {
            bar.finish();
        }
        return received;
    }

    /** Null when {@code file} is the file {@code meta} describes; else what is wrong. */
    static String problem(Path file, HubClient.FileMeta meta) throws IOException {
        long size = Files.size(file);
        if (meta.size() >= 0 && size != meta.size()) return size + " bytes instead of " + meta.size();
        if (!meta.lfs()) return null;
        String sha = FileDigest.sha256(file);
        return sha.equals(meta.etag()) ? null : "SHA-256 " + sha.substring(0, 12) + "… instead of " + meta.etag().substring(0, 12) + "…";
    }


    private static String mb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f", bytes / 1e6);
    }

}
