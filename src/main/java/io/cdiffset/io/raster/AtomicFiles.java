package io.cdiffset.io.raster;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Atomic file replacement: the content is written to a temporary file in the target's directory, flushed to disk,
 * then moved over the target with {@code ATOMIC_MOVE, REPLACE_EXISTING}. If the writer throws (any exception or
 * error), the temporary file is deleted and the target is left untouched, so readers never see partial output.
 * Missing parent directories are created. Reusable for checkpoints, reports, images.
 */
public final class AtomicFiles {

    /** An I/O action that may throw {@link IOException}. */
    @FunctionalInterface
    public interface IOConsumer<T> {
        void accept(T t) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Writes {@code target} through an {@link OutputStream} (buffered; do not close it yourself, closing is
     * harmless though).
     */
    public static void write(Path target, IOConsumer<OutputStream> writer) throws IOException {
        writeVia(target, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream raw = Channels.newOutputStream(ch)) {
                BufferedOutputStream out = new BufferedOutputStream(new NonClosing(raw), 1 << 16);
                writer.accept(out);
                out.flush();
                ch.force(true);
            }
        });
    }

    /** Writes the whole byte array atomically. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    /**
     * For writers that need a path (random access, third-party libraries): {@code writer} receives the path of an
     * existing empty temporary file in the target directory and must write the complete content to it.
     */
    public static void writeVia(Path target, IOConsumer<Path> writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        boolean ok = false;
        try {
            writer.accept(tmp);
            publish(tmp, abs);
            ok = true;
        } finally {
            if (!ok) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort; the original failure is what matters
                }
            }
        }
    }

    /**
     * Gives a finished temporary file ordinary permissions (rw-r--r--; temp files are created private) and renames
     * it over the target atomically where the file system allows.
     */
    public static void publish(Path tmp, Path target) throws IOException {
        try {
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static final class NonClosing extends OutputStream {
        private final OutputStream out;

        NonClosing(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
