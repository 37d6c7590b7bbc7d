package io.cdiffset.pipeline;

import io.cdiffset.engine.InputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An output folder that is checked for writability up front and leaves nothing behind on failure: if this run
 * created it (and any missing parents) and it is still empty when the run ends, {@link #close()} removes it again.
 */
public final class OutputFolder implements AutoCloseable {
    private final Path dir;
    /** The topmost folder this run created (dir or one of its parents), or null if dir already existed. */
    private final Path created;

    private OutputFolder(Path dir, Path created) {
        this.dir = dir;
        this.created = created;
    }

    /** Creates {@code out} (and its parents) if missing and checks that files can be written in it. */
    public static OutputFolder prepare(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        Path created = null;
        for (Path p = abs; p != null && !Files.exists(p); p = p.getParent()) created = p;
        OutputFolder f = new OutputFolder(abs, created);
        try {
            Files.createDirectories(abs);
            Path probe = Files.createTempFile(abs, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            f.close();
            throw new InputException("output folder " + out + " is not writable (" + e.getClass().getSimpleName() + "); choose another -o");
        }
        return f;
    }

    /** Removes the folders this run created, innermost first, as long as they are empty. */
    @Override
    public void close() {
        if (created == null) return;
        for (Path p = dir; p != null && p.startsWith(created); p = p.getParent()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException | SecurityException e) {
                return; // not empty (outputs were written) or not ours to remove
            }
        }
    }
}
