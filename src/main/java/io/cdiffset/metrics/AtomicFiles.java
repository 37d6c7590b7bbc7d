package io.cdiffset.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Atomic text-file writes: a temp file in the same folder, then {@code Files.move(ATOMIC_MOVE)}. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /**
     * Writes {@code content} as UTF-8 to {@code target} atomically (readers see the old file or the complete new
     * one). Creates the parent folder if needed; deletes the temp file on any failure.
     */
    public static void writeString(Path target, String content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        boolean moved = false;
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
