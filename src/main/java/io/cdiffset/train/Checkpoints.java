package io.cdiffset.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.io.AtomicFile;
import io.cdiffset.io.FileDigest;
import io.cdiffset.io.raster.AtomicFiles;
import io.cdiffset.model.ConfigJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Checkpoint folders under {@code OUT/checkpoints/}: each is written completely into a hidden temporary folder,
 * then renamed into place; the {@code latest} pointer is replaced atomically afterwards. A crash at any moment
 * leaves the previous checkpoint and pointer intact. Each folder carries {@link #MANIFEST} (size and SHA-256 of
 * every file, written last), checked before a run resumes from it ({@link #forResume}).
 */
public final class Checkpoints {
    public static final String STATE_FILE = "trainer_state.json";
    /** Size and SHA-256 of every other file of the folder, written last (checkpoints and best/). */
    public static final String MANIFEST = "manifest.json";
    private final Path root;

    @FunctionalInterface
    public interface Writer {
        void write(Path dir) throws IOException;
    }

    public Checkpoints(Path outDir) {
        this.root = outDir.resolve("checkpoints");
    }

    public Path root() {
        return root;
    }

    public static String name(long step) {
        return String.format("step-%07d", step);
    }

    /** Writes a checkpoint for {@code step}; {@code writer} must write {@link #STATE_FILE} last. */
    public Path save(long step, Writer writer, int keep) {
        Path finalDir = root.resolve(name(step));
        Path tmp = root.resolve("." + name(step) + ".tmp");
        try {
            Files.createDirectories(root);
            deleteTree(tmp);
            AtomicFiles.register(tmp); // deleted at JVM shutdown (SIGTERM) if still here
            Files.createDirectories(tmp);
            writer.write(tmp);
            if (!Files.exists(tmp.resolve(STATE_FILE))) throw new IOException("checkpoint writer did not write " + STATE_FILE);
            writeManifest(tmp);
            deleteTree(finalDir);
            Files.move(tmp, finalDir, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.unregister(tmp);
            AtomicFile.writeString(root.resolve("latest"), finalDir.getFileName().toString() + "\n");
            prune(keep, finalDir);
            return finalDir;
        } catch (IOException | UncheckedIOException e) { // (disk full) reported as what failed, not just the file system's words
            throw new IllegalStateException("checkpoint at step " + step + " failed (the previous checkpoint is intact): " + e.getMessage(), e);
        } finally {
            AtomicFiles.discard(tmp);
        }
    }

    /** The newest complete checkpoint, or null. */
    public Path latest() {
        Path ptr = root.resolve("latest");
        try {
            if (Files.exists(ptr)) {
                Path d = root.resolve(Files.readString(ptr).trim());
                if (Files.exists(d.resolve(STATE_FILE))) return d;
            }
            if (!Files.isDirectory(root)) return null;
            try (Stream<Path> s = Files.list(root)) {
                return s.filter(p -> p.getFileName().toString().startsWith("step-") && Files.exists(p.resolve(STATE_FILE)))
                        .max(Comparator.comparing(p -> p.getFileName().toString())).orElse(null);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Replaces {@code OUT/best} with a real copy of the checkpoint (no file shared with it, so damaging one cannot
     * damage the other) and its own manifest, written beside it first, then swapped in.
     */
    public void markBest(Path checkpoint, String note) {
        Path best = root.getParent().resolve("best");
        Path tmp = root.getParent().resolve(".best.tmp");
        Path old = root.getParent().resolve(".best.old");
        try {
            deleteTree(tmp);
            AtomicFiles.register(tmp);
            copyFiles(checkpoint, tmp);
            Files.deleteIfExists(tmp.resolve(MANIFEST));
            AtomicFile.writeString(tmp.resolve("BEST.txt"), note + "\n");
            writeManifest(tmp);
            deleteTree(old);
            if (Files.exists(best)) Files.move(best, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, best, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.unregister(tmp);
            deleteTree(old);
        } catch (IOException e) {
            throw new IllegalStateException("cannot update best/ (the previous best/ is intact): " + e.getMessage(), e);
        } finally {
            AtomicFiles.discard(tmp);
        }
    }

    /**
     * Removes what an interrupted run left in {@code OUT} ({@code kill -9} while writing): the hidden temporary
     * checkpoint folders {@code checkpoints/.step-NNNNNNN.tmp}, {@code .best.tmp}, and our temporary files
     * ({@code .NAME.<digits>.tmp}) in OUT, checkpoints/ and samples/. A {@code .best.old} with no {@code best/}
     * (killed between the two renames of {@link #markBest}) is moved back to {@code best/}. Only names of our own
     * temporary pattern are touched.
     */
    public void removeDebris() {
        Path out = root.getParent();
        try {
            if (Files.isDirectory(root)) {
                try (Stream<Path> s = Files.list(root)) {
                    for (Path p : s.toList()) {
                        if (p.getFileName().toString().matches("\\.step-[0-9]{7,}\\.tmp") && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) deleteTree(p);
                    }
                }
            }
            deleteTree(out.resolve(".best.tmp"));
            Path best = out.resolve("best"), old = out.resolve(".best.old");
            if (Files.isDirectory(old)) {
                if (!Files.exists(best)) Files.move(old, best, StandardCopyOption.ATOMIC_MOVE);
                else deleteTree(old);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the debris of an interrupted run in " + out + ": " + e.getMessage(), e);
        }
        for (Path d : List.of(out, root, out.resolve("samples"))) AtomicFiles.removeStale(d, n -> true);
    }

    /**
     * Deletes the oldest checkpoints beyond {@code keep}, but never {@code newest} (the one just written, whatever its
     * step: a run started over may sit beside higher-numbered ones), the one {@code latest} names, or the one
     * {@code best/} was copied from.
     */
    private void prune(int keep, Path newest) throws IOException {
        if (keep <= 0) return;
        List<Path> all;
        try (Stream<Path> s = Files.list(root)) {
            all = s.filter(p -> p.getFileName().toString().startsWith("step-")).sorted().toList();
        }
        Set<Path> protect = new HashSet<>();
        protect.add(newest);
        Path ptr = root.resolve("latest");
        if (Files.isRegularFile(ptr)) protect.add(root.resolve(Files.readString(ptr).trim()));
        Path bestState = root.getParent().resolve("best").resolve(STATE_FILE);
        if (Files.isRegularFile(bestState)) {
            try {
                JsonNode step = ConfigJson.read(bestState).root().get("step");
                if (step != null && step.canConvertToLong()) protect.add(root.resolve(name(step.asLong())));
            } catch (RuntimeException e) {
                // an unreadable best/ names no checkpoint
            }
        }
        int excess = all.size() - keep;
        for (Path p : all) {
            if (excess <= 0) break;
            if (protect.contains(p)) continue;
            deleteTree(p);
            excess--;
        }
    }

    /** Hard-links files where possible (unchanged frozen weights cost no space), copies otherwise. */
    public static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    try {
                        Files.createLink(t, p);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
    }

    /** Copies every file (a real copy: no hard link) of {@code from} into {@code to}. */
    static void copyFiles(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                    continue;
                }
                try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(p);
                     java.nio.channels.FileChannel o = AtomicFiles.open(t)) { // (the disk-full test hook applies)
                    long size = in.size();
                    for (long pos = 0; pos < size; ) pos += o.transferFrom(in, pos, size - pos);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ manifests

    /** Every file of a checkpoint folder (relative, '/'-separated, sorted), the manifest itself excepted. */
    static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .filter(n -> !n.equals(MANIFEST)).sorted().toList();
        }
    }

    /** Writes {@code dir/manifest.json}: the size and SHA-256 of every other file (atomically, after all of them). */
    static void writeManifest(Path dir) throws IOException {
        ObjectNode m = ConfigJson.JSON.createObjectNode();
        m.put("format", "cdiffset-checkpoint-manifest/1");
        ObjectNode files = m.putObject("files");
        for (String f : files(dir)) {
            ObjectNode e = files.putObject(f);
            e.put("size", Files.size(dir.resolve(f)));
            e.put("sha256", FileDigest.sha256(dir.resolve(f)));
        }
        AtomicFile.writeString(dir.resolve(MANIFEST), m.toPrettyString() + "\n");
    }


    /**
     * Checks a checkpoint folder against its manifest. Returns null if every file listed is there with its size and
     * SHA-256, else what is wrong, e.g. {@code model.safetensors: 1,234 bytes, expected 5,678}. Sizes are checked
     * for all files before any is hashed.
     */
    public static String damage(Path dir) {
        Path mf = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(mf)) return Files.isDirectory(dir) ? "no " + MANIFEST : "missing";
        JsonNode files;
        try {
            files = ConfigJson.JSON.readTree(Files.readAllBytes(mf)).get("files");
        } catch (IOException | RuntimeException e) {
            return MANIFEST + " unreadable";
        }
        if (files == null || !files.isObject() || files.isEmpty()) return MANIFEST + " lists no files";
        List<String> names = new ArrayList<>();
        files.fieldNames().forEachRemaining(names::add);
        try {
            for (String n : names) {
                Path f = dir.resolve(n).normalize();
                if (!f.startsWith(dir.normalize())) return MANIFEST + " names " + n + " outside the checkpoint";
                long want = files.get(n).path("size").asLong(-1);
                if (!Files.isRegularFile(f)) return n + ": missing";
                long got = Files.size(f);
                if (got != want) return String.format(Locale.ROOT, "%s: %,d bytes, expected %,d", n, got, want);
            }
            for (String n : names) {
                if (!FileDigest.sha256(dir.resolve(n)).equals(files.get(n).path("sha256").asText())) {
                    return n + ": content differs from " + MANIFEST + " (SHA-256)";
                }
            }
        } catch (IOException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
        return null;
    }

    /** The checkpoint folders step-N, newest (highest step) first. */
    public List<Path> all() {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().matches("step-[0-9]+") && Files.isDirectory(p))
                    .sorted(Comparator.comparing((Path p) -> Long.parseLong(p.getFileName().toString().substring(5))).reversed()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The checkpoint to resume from, verified against its manifest: {@code step} is null or empty for the one
     * {@code latest} names (else the newest), or "step-0000400" / "400". A missing or damaged one is refused with
     * an {@link IllegalArgumentException} (exit 2) naming the newest intact checkpoint, before anything is changed.
     */
    public Path forResume(String step) {
        Path cp;
        String rel = root.getParent().relativize(root).toString();
        if (step == null || step.isBlank()) {
            cp = null;
            Path ptr = root.resolve("latest");
            try {
                if (Files.isRegularFile(ptr)) {
                    String n = Files.readString(ptr).trim();
                    if (n.matches("step-[0-9]+")) cp = root.resolve(n);
                }
            } catch (IOException e) {
                // fall back to the newest folder
            }
            List<Path> all = all();
            if (cp == null || (!all.isEmpty() && !Files.isDirectory(cp))) cp = all.isEmpty() ? null : all.get(0);
            if (cp == null) throw new IllegalArgumentException("--resume: no checkpoint in " + root + "; start without --resume");
        } else {
            String s = step.trim();
            if (s.matches("[0-9]{1,18}")) s = name(Long.parseLong(s));
            if (!s.matches("step-[0-9]{1,18}")) {
                throw new IllegalArgumentException("--resume " + step + ": give a checkpoint as step-0004000 or 4000, or --resume alone for the latest");
            }
            cp = root.resolve(name(Long.parseLong(s.substring(5))));
            if (!Files.isDirectory(cp)) {
                Path newest = newestIntact(null);
                throw new IllegalArgumentException("--resume " + step + ": there is no checkpoint " + cp.getFileName() + " in " + root
                        + (newest != null ? "; the newest intact one is " + newest.getFileName() + " (--resume " + newest.getFileName() + ")"
                        : "; there is no intact checkpoint, start over with --overwrite"));
            }
        }
        // a checkpoint without any manifest was written by a cdiffset from before manifests (a new one always has it:
        // it is written into the temporary folder before that is renamed): resumed unverified, the caller says so
        if (isUnverified(cp)) return cp;
        String bad = damage(cp);
        if (bad == null) return cp;
        Path newest = newestIntact(cp);
        throw new IllegalArgumentException(root.getFileName() + "/" + cp.getFileName() + " is damaged (" + bad + "); "
                + (newest != null ? "resume from the newest intact one with --resume " + newest.getFileName()
                : "no other checkpoint in " + root + " is intact; start over with --overwrite"));
    }

    /** A checkpoint folder from before manifests: no manifest.json, but a trainer state. */
    public static boolean isUnverified(Path cp) {
        return Files.isDirectory(cp) && !Files.exists(cp.resolve(MANIFEST)) && Files.isRegularFile(cp.resolve(STATE_FILE));
    }

    /** The newest checkpoint other than {@code except} that matches its manifest, or null. */
    private Path newestIntact(Path except) {
        for (Path p : all()) {
            if (!p.equals(except) && damage(p) == null) return p;
        }
        return null;
    }

    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
