package io.cdiffset.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdiffset.io.AtomicFile;
import io.cdiffset.model.ConfigJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Checkpoint folders under {@code OUT/checkpoints/}: each is written completely into a hidden temporary folder,
 * then renamed into place; the {@code latest} pointer is replaced atomically afterwards. A crash at any moment
 * leaves the previous checkpoint and pointer intact.
 */
public final class Checkpoints {
    public static final String STATE_FILE = "trainer_state.json";
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
            Files.createDirectories(tmp);
            writer.write(tmp);
            if (!Files.exists(tmp.resolve(STATE_FILE))) throw new IOException("checkpoint writer did not write " + STATE_FILE);
            deleteTree(finalDir);
            Files.move(tmp, finalDir, StandardCopyOption.ATOMIC_MOVE);
            AtomicFile.writeString(root.resolve("latest"), finalDir.getFileName().toString() + "\n");
            prune(keep, finalDir);
            return finalDir;
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint at step " + step + " failed (the previous checkpoint is intact): " + e.getMessage(), e);
        } finally {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // best effort
            }
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

    /** Replaces {@code OUT/best} with a copy of the checkpoint (written beside it first, then swapped in). */
    public void markBest(Path checkpoint, String note) {
        Path best = root.getParent().resolve("best");
        Path tmp = root.getParent().resolve(".best.tmp");
        try {
            deleteTree(tmp);
            copyTree(checkpoint, tmp);
            AtomicFile.writeString(tmp.resolve("BEST.txt"), note + "\n");
            Path old = root.getParent().resolve(".best.old");
            deleteTree(old);
            if (Files.exists(best)) Files.move(best, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, best, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update best/: " + e.getMessage(), e);
        }
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

    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
