package io.cdiffset.io.raster;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The project's one atomic writer: the content is written to a temporary file in the target's directory, flushed to
 * disk, then moved over the target with {@code ATOMIC_MOVE, REPLACE_EXISTING}. If the writer throws (any exception or
 * error), the temporary file is deleted and the target is left untouched, so readers never see partial output.
 * Missing parent directories are created. Reusable for checkpoints, reports, images.
 * <p>
 * Temporary files are named {@code .NAME.<digits>.tmp} (see {@link #isTemp}) and registered while they exist: a JVM
 * shutdown hook (SIGTERM, SIGINT, normal exit) deletes whatever is still registered, and {@link #removeStale}
 * removes what a {@code kill -9} left behind on the next start.
 */
public final class AtomicFiles {

    /** An I/O action that may throw {@link IOException}. */
    @FunctionalInterface
    public interface IOConsumer<T> {
        void accept(T t) throws IOException;
    }

    /** Temporary files and folders that exist right now and are deleted if the JVM shuts down. */
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean hooked;
    /** Set by the shutdown hook: no new temporary file may be started (it could outlive the cleanup). */
    private static volatile boolean closing;
    /** Our temporary names: .NAME.&lt;digits&gt;.tmp or .NAME.&lt;digits&gt;.raw.tmp (Files.createTempFile with our prefix). */
    private static final Pattern TEMP = Pattern.compile("\\..+\\.-?[0-9]+(\\.raw)?\\.tmp");
    /** Test hook: bytes that may still be written through {@link #open} before "No space left on device"; -1: no limit. */
    private static final AtomicLong DISK_LEFT = new AtomicLong(-1);

    private AtomicFiles() {
    }

    /**
     * Writes {@code target} through an {@link OutputStream} (buffered; do not close it yourself, closing is
     * harmless though).
     */
    public static void write(Path target, IOConsumer<OutputStream> writer) throws IOException {
        writeChannel(target, ch -> {
            OutputStream raw = Channels.newOutputStream(ch);
            BufferedOutputStream out = new BufferedOutputStream(new NonClosing(raw), 1 << 16);
            writer.accept(out);
            out.flush();
        });
    }

    /** Writes {@code target} through a {@link FileChannel} on the temporary file (forced to disk before the rename). */
    public static void writeChannel(Path target, IOConsumer<FileChannel> writer) throws IOException {
        writeVia(target, tmp -> {
            try (FileChannel ch = open(tmp)) {
                writer.accept(ch);
                ch.force(true);
            }
        });
    }

    /** Writes {@code text} as UTF-8 atomically. */
    public static void writeString(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
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
        Path tmp = createTemp(abs, ".tmp");
        boolean ok = false;
        try {
            writer.accept(tmp);
            publish(tmp, abs);
            ok = true;
        } finally {
            if (!ok) discard(tmp);
        }
    }

    /**
     * Creates an empty registered temporary file {@code .NAME.<digits><suffix>} beside {@code target} (creating its
     * folder if missing). Publish it with {@link #publish} or delete it with {@link #discard}.
     */
    public static Path createTemp(Path target, String suffix) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        checkOpen();
        if (dir != null) Files.createDirectories(dir);
        hook();
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", suffix);
        LIVE.add(tmp);
        return tmp;
    }

    /** Registers a temporary file or folder (created by the caller) for deletion at JVM shutdown. */
    public static void register(Path tmp) {
        if (closing) throw new java.io.UncheckedIOException(new IOException("shutting down: not starting " + tmp));
        hook();
        LIVE.add(tmp.toAbsolutePath());
    }

    /** Forgets a temporary file or folder (it was renamed into place or deleted). */
    public static void unregister(Path tmp) {
        LIVE.remove(tmp.toAbsolutePath());
    }

    /** Deletes a temporary file or folder (best effort) and forgets it. */
    public static void discard(Path tmp) {
        try {
            deleteTree(tmp);
        } catch (IOException ignored) {
            // best effort; the original failure is what matters
        }
        unregister(tmp);
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
        unregister(tmp);
    }

    /** Whether {@code name} is one of our temporary file names ({@code .NAME.<digits>.tmp}). */
    public static boolean isTemp(String name) {
        return TEMP.matcher(name).matches();
    }

    /** The temporary name pattern of files written to {@code target}: whether {@code name} is one of them. */
    public static boolean isTempOf(String name, Path target) {
        String t = "." + target.getFileName() + ".";
        return name.startsWith(t) && isTemp(name) && name.substring(t.length()).matches("-?[0-9]+(\\.raw)?\\.tmp");
    }

    /**
     * Deletes, in {@code dir} only (not below it), the temporary files an earlier run killed mid-write left behind
     * ({@code kill -9}, power loss) whose names match our pattern and that {@code ours} accepts. Returns how many.
     */
    public static int removeStale(Path dir, java.util.function.Predicate<String> ours) {
        if (!Files.isDirectory(dir)) return 0;
        int n = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (isTemp(name) && ours.test(name) && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        && !LIVE.contains(p.toAbsolutePath())) {
                    Files.deleteIfExists(p);
                    n++;
                }
            }
        } catch (IOException ignored) {
            // best effort: a leftover temporary file is debris, not a reason to stop
        }
        return n;
    }

    /** Opens a temporary file for writing (through the disk-full test hook when it is set). */
    public static FileChannel open(Path tmp) throws IOException {
        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.CREATE);
        return DISK_LEFT.get() < 0 ? ch : new Limited(ch);
    }

    /**
     * Test hook: after {@code bytes} more bytes written through {@link #open} every write fails with "No space
     * left on device", as on a full disk; a negative value lifts the limit.
     */
    public static void simulateDiskFullAfter(long bytes) {
        DISK_LEFT.set(bytes);
    }

    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        if (!Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(p);
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }

    private static void checkOpen() throws IOException {
        if (closing) throw new IOException("shutting down: no new file is started");
    }

    private static void hook() {
        if (hooked) return;
        synchronized (LIVE) {
            if (hooked) return;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                closing = true;
                for (Path p : List.copyOf(LIVE)) {
                    try {
                        deleteTree(p);
                    } catch (IOException | RuntimeException ignored) {
                        // best effort at shutdown
                    }
                }
            }, "cdiffset-temp-cleanup"));
            hooked = true;
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

    /** A channel whose writes draw on {@link #DISK_LEFT} and fail once it is spent (the disk-full test hook). */
    private static final class Limited extends FileChannel {
        private final FileChannel ch;

        Limited(FileChannel ch) {
            this.ch = ch;
        }

        private static void take(int n) throws IOException {
            long left = DISK_LEFT.get();
            if (left >= 0 && DISK_LEFT.addAndGet(-n) < 0) {
                DISK_LEFT.set(0);
                throw new IOException("No space left on device (simulated)");
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return ch.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return ch.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            take(src.remaining());
            return ch.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long n = 0;
            for (int i = offset; i < offset + length; i++) n += write(srcs[i]);
            return n;
        }

        @Override
        public long position() throws IOException {
            return ch.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            ch.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            ch.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            ch.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return ch.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            take((int) Math.min(count, Integer.MAX_VALUE));
            return ch.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            take(src.remaining());
            return ch.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return ch.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return ch.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return ch.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            ch.close();
        }
    }
}
