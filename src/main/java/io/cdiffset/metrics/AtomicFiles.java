package io.cdiffset.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Atomic text-file writes for reports (delegates to the project's one atomic writer, {@link io.cdiffset.io.raster.AtomicFiles}). */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Writes {@code content} as UTF-8 to {@code target} atomically; deletes the temp file on any failure. */
    public static void writeString(Path target, String content) throws IOException {
        io.cdiffset.io.raster.AtomicFiles.writeBytes(target, content.getBytes(StandardCharsets.UTF_8));
    }
}
