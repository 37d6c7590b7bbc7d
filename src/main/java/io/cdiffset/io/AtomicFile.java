package io.cdiffset.io;

import io.cdiffset.io.raster.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Writes a file so that readers see either the old complete file or the new complete file, never a partial one
 * (unchecked front of {@link AtomicFiles}, the project's one atomic writer: its temporary files are removed on
 * failure and at JVM shutdown).
 */
public final class AtomicFile {
    private AtomicFile() {}

    @FunctionalInterface
    public interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    public static void write(Path target, ChannelWriter writer) {
        try {
            AtomicFiles.writeChannel(target, writer::write);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    public static void writeString(Path target, String text) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        write(target, ch -> SafeTensors.writeFully(ch, java.nio.ByteBuffer.wrap(b)));
    }
}
