package io.cdiffset.hub;

import io.cdiffset.io.AtomicFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The huggingface_hub cache layout, so that files pulled by cdiffset and by Python tools are shared:
 * <pre>
 * {cache}/models--ORG--NAME/
 *     blobs/{etag}                     file contents, named by the Hub's etag (sha256 for LFS files, git sha1 else)
 *     blobs/{etag}.incomplete          a download in progress (resumed from its length)
 *     snapshots/{commit}/{path}        relative symlink to ../../blobs/{etag} (one more ../ per folder level)
 *     refs/{revision}                  the 40-hex commit a branch or tag pointed to (no newline)
 * </pre>
 */
public record HubCache(Path root) {
    static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    public Path repoDir(RepoId repo) {
        return root.resolve(repo.folderName());
    }

    public Path blob(RepoId repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    public Path snapshot(RepoId repo, String commit) {
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    public Path ref(RepoId repo, String revision) {
        return repoDir(repo).resolve("refs").resolve(revision);
    }

    /** The cached commit of a revision: itself when it is a commit hash, else what {@code refs/{revision}} says. */
    public Optional<String> commit(RepoId repo, String revision) {
        if (COMMIT.matcher(revision).matches()) return Optional.of(revision);
        Path ref = ref(repo, revision);
        if (!Files.isRegularFile(ref)) return Optional.empty();
        try {
            String c = Files.readString(ref).strip();
            return COMMIT.matcher(c).matches() ? Optional.of(c) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ref + ": " + e.getMessage(), e);
        }
    }

    /** The snapshot folder of a revision, if that revision was pulled. */
    public Optional<Path> snapshotOf(RepoId repo, String revision) {
        return commit(repo, revision).map(c -> snapshot(repo, c)).filter(Files::isDirectory);
    }

    /** Records which commit a branch or tag names (nothing for a commit hash), written atomically. */
    void writeRef(RepoId repo, String revision, String commit) {
        if (revision.equals(commit)) return;
        Path ref = ref(repo, revision);
        try {
            if (Files.isRegularFile(ref) && Files.readString(ref).equals(commit)) return;
            Files.createDirectories(ref.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + ref + ": " + e.getMessage(), e);
        }
        AtomicFile.writeString(ref, commit);
    }

    /** Points {@code snapshots/{commit}/{path}} at the blob with a relative symlink (replacing a stale one). */
    Path link(RepoId repo, String commit, String path, String etag) {
        Path pointer = snapshot(repo, commit).resolve(path);
        Path target = pointer.getParent().relativize(blob(repo, etag));
        try {
            Files.createDirectories(pointer.getParent());
            if (Files.isSymbolicLink(pointer)) {
                if (Files.readSymbolicLink(pointer).equals(target)) return pointer;
                Files.delete(pointer);
            } else if (Files.exists(pointer, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(pointer);
            }
            Files.createSymbolicLink(pointer, target);
            return pointer;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot link " + pointer + " to " + target + ": " + e.getMessage(), e);
        }
    }
}
