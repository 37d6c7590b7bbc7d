package io.cdiffset.io;

import io.cdiffset.engine.Tensors;
import io.cdiffset.io.TorchPickle.StorageRef;
import io.cdiffset.io.TorchPickle.TensorRef;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A {@code torch.save} checkpoint ({@code .pth .pt .ckpt .bin}) read safely: the object is rebuilt by
 * {@link TorchPickle} (tensors and plain containers only; any other global is refused), then tensor data is read from
 * the storages on demand. Both layouts torch writes are understood:
 * <ul>
 *   <li>zip (torch ≥ 1.6): {@code <name>/data.pkl}, {@code <name>/data/<key>} per storage (stored, not compressed),
 *       {@code <name>/byteorder};</li>
 *   <li>legacy ({@code _use_new_zipfile_serialization=False}): pickled magic number, protocol 1001 and sys_info,
 *       the object, the list of storage keys, then per storage an int64 element count and its raw bytes.</li>
 * </ul>
 * The tensors are those of the state dict, found under nested {@code state_dict} / {@code model} entries as
 * training frameworks (Lightning, LDM) wrap it; other values (e.g. {@code global_step}) stay in {@link #root()}.
 * Every offset and size is checked against the file before anything is allocated.
 */
public final class TorchCheckpoint implements WeightFile {
    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long LEGACY_PROTOCOL = 1001;
    /** Largest data.pkl read (a state dict of 100k tensors pickles to about 15 MB). */
    static final int MAX_PICKLE = 64 << 20;
    /** Wrapper keys under which training code stores the state dict, tried in this order. */
    static final List<String> WRAPPERS = List.of("state_dict", "model", "module");

    /** Where storage bytes live: opened at a byte offset into the storage, with its size in bytes. */
    private interface Storages extends AutoCloseable {
        /** Bytes on disk for the storage {@code key}, or -1 if there is none. */
        long bytes(String key);

        InputStream open(String key, long start) throws IOException;

        @Override
        void close();
    }

    private final Path path;
    private final Object root;
    private final Map<String, TensorRef> refs;
    private final Storages storages;

    private TorchCheckpoint(Path path, Object root, Map<String, TensorRef> refs, Storages storages) {
        this.path = path;
        this.root = root;
        this.refs = refs;
        this.storages = storages;
    }

    /** True for the first bytes of a zip archive or of a pickle (protocol 2–5), as torch.save starts its files. */
    public static boolean looksLike(byte[] head) {
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return true;
        return head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5;
    }

    public static TorchCheckpoint open(Path path) {
        byte[] head = new byte[4];
        FileChannel ch = WeightFiles.openChannel(path);
        try {
            ByteBuffer hb = ByteBuffer.wrap(head);
            while (hb.hasRemaining() && ch.read(hb) >= 0) {
                // fill the head
            }
            if (head[0] == 'P' && head[1] == 'K') {
                ch.close();
                return openZip(path);
            }
            if (looksLike(head)) return openLegacy(path, ch);
            throw new WeightsException(path + ": not a PyTorch checkpoint (neither a torch.save zip nor a pickle)");
        } catch (IOException e) {
            closeQuietly(ch);
            throw new WeightsException(path + ": read failed (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    // ------------------------------------------------------------------------------------------------- zip

    private static TorchCheckpoint openZip(Path path) {
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (IOException | RuntimeException e) {
            throw new WeightsException(path + ": not a readable zip archive (" + TorchPickle.printable(String.valueOf(e.getMessage())) + "); the file is damaged or truncated");
        }
        try {
            String prefix = null;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                String n = en.nextElement().getName();
                int slash = n.indexOf('/');
                if (slash > 0 && n.substring(slash).equals("/data.pkl")) {
                    if (prefix != null) throw new WeightsException(path + ": zip holds more than one data.pkl; not a single torch.save checkpoint");
                    prefix = n.substring(0, slash + 1);
                }
            }
            if (prefix == null) throw new WeightsException(path + ": zip archive without <name>/data.pkl; not a torch.save checkpoint");
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null) {
                String bo = new String(readEntry(zip, order, 16, path), StandardCharsets.US_ASCII).trim();
                if (!bo.equals("little")) throw new WeightsException(path + ": saved with byte order '" + TorchPickle.printable(bo) + "'; only little-endian checkpoints are read");
            }
            byte[] pkl = readEntry(zip, zip.getEntry(prefix + "data.pkl"), MAX_PICKLE, path);
            String dataPrefix = prefix + "data/";
            ZipFile z = zip;
            Storages storages = new Storages() {
                @Override
                public long bytes(String key) {
                    ZipEntry e = z.getEntry(dataPrefix + key);
                    if (e == null) return -1;
                    if (e.getMethod() != ZipEntry.STORED) {
                        throw new WeightsException(path + ": storage " + TorchPickle.printable(key) + " is compressed, which torch.save never does; re-save the file with torch.save");
                    }
                    return e.getSize();
                }

                @Override
                public InputStream open(String key, long start) throws IOException {
                    InputStream in = z.getInputStream(z.getEntry(dataPrefix + key));
                    in.skipNBytes(start);
                    return in;
                }

                @Override
                public void close() {
                    try {
                        z.close();
                    } catch (IOException ignored) {
                        // read-only
                    }
                }
            };
            Map<String, String> dtypes = new HashMap<>();
            Object root = TorchPickle.load(ByteBuffer.wrap(pkl), path.toString(), pid -> storageRef(path, pid, dtypes, false));
            return checked(path, root, storages);
        } catch (RuntimeException e) {
            closeQuietly(zip);
            if (e instanceof WeightsException) throw e;
            throw new WeightsException(path + ": the zip archive is damaged (" + e.getClass().getSimpleName() + "); re-download or re-save it");
        }
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry e, int max, Path path) {
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes(max + 1);
            if (b.length > max) throw new WeightsException(path + ": " + TorchPickle.printable(e.getName()) + " is larger than " + max + " bytes; not a plausible checkpoint");
            return b;
        } catch (IOException ex) {
            throw new WeightsException(path + ": cannot read " + TorchPickle.printable(e.getName()) + " (" + TorchPickle.printable(String.valueOf(ex.getMessage())) + "); the file is damaged");
        }
    }

    // ------------------------------------------------------------------------------------------------- legacy

    private static TorchCheckpoint openLegacy(Path path, FileChannel ch) throws IOException {
        long size = ch.size();
        ByteBuffer head = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE));
        String src = path.toString();
        Object magic = TorchPickle.load(head, src, null);
        if (!LEGACY_MAGIC.equals(magic)) throw new WeightsException(path + ": a pickle, but not a torch.save checkpoint (no torch magic number)");
        Object protocol = TorchPickle.load(head, src, null);
        if (!Long.valueOf(LEGACY_PROTOCOL).equals(protocol)) throw new WeightsException(path + ": torch.save protocol " + (protocol instanceof Long l ? l.toString() : "?") + " is not supported (expected 1001)");
        Object sys = TorchPickle.load(head, src, null);
        if (sys instanceof Map<?, ?> m && Boolean.FALSE.equals(m.get("little_endian"))) {
            throw new WeightsException(path + ": saved on a big-endian machine; only little-endian checkpoints are read");
        }
        Map<String, String> dtypes = new HashMap<>();
        Object root = TorchPickle.load(head, src, pid -> storageRef(path, pid, dtypes, true));
        Object keys = TorchPickle.load(head, src, null);
        if (!(keys instanceof List<?> keyList)) throw new WeightsException(path + ": storage key list is missing; the file is damaged");
        Map<String, long[]> where = new HashMap<>(); // key → {absolute data offset, bytes}
        long pos = head.position();
        ByteBuffer count = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (Object k : keyList) {
            String key = String.valueOf(k);
            String dtype = dtypes.get(key);
            if (dtype == null || where.containsKey(key)) throw new WeightsException(path + ": storage '" + TorchPickle.printable(key) + "' is listed but not used once by the object; the file is damaged");
            if (pos + 8 > size) throw truncated(path, size);
            count.clear();
            while (count.hasRemaining()) {
                if (ch.read(count, pos + count.position()) < 0) throw truncated(path, size);
            }
            long n = count.getLong(0);
            long bytes = n < 0 ? -1 : multiply(path, n, elementSize(dtype));
            if (bytes < 0 || bytes > size - pos - 8) throw truncated(path, size);
            where.put(key, new long[]{pos + 8, bytes});
            pos += 8 + bytes;
        }
        Storages storages = new Storages() {
            @Override
            public long bytes(String key) {
                long[] w = where.get(key);
                return w == null ? -1 : w[1];
            }

            @Override
            public InputStream open(String key, long start) {
                long[] pos = {where.get(key)[0] + start};
                return new InputStream() { // positional reads: closing it leaves the file open for the next tensor
                    @Override
                    public int read() throws IOException {
                        byte[] one = new byte[1];
                        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        int n = ch.read(ByteBuffer.wrap(b, off, len), pos[0]);
                        if (n > 0) pos[0] += n;
                        return n;
                    }
                };
            }

            @Override
            public void close() {
                closeQuietly(ch);
            }
        };
        return checked(path, root, storages);
    }

    private static WeightsException truncated(Path path, long size) {
        return new WeightsException(path + ": storage data runs past the end of the file (" + size + " bytes); the file is truncated");
    }

    // ------------------------------------------------------------------------------------------------- shared

    /**
     * A persistent id {@code ('storage', StorageClass, key, location, numel)} (legacy adds {@code view_metadata}:
     * None or {@code (view_key, offset, size)}), recorded so the key's dtype is known.
     */
    private static StorageRef storageRef(Path path, List<Object> pid, Map<String, String> dtypes, boolean legacy) {
        if (pid.size() < 5 || !"storage".equals(pid.get(0)) || !(pid.get(1) instanceof TorchPickle.Global g)
                || !(pid.get(2) instanceof String key) || !(pid.get(4) instanceof Long numel) || numel < 0) {
            throw new WeightsException(path + ": a storage reference is malformed; the file is damaged");
        }
        String dtype = TorchPickle.STORAGES.get(g.name());
        if (dtype == null) throw new WeightsException(path + ": storage type " + TorchPickle.printable(g.qualified()) + " carries no dtype; re-save the file with torch.save");
        String prev = dtypes.putIfAbsent(key, dtype);
        if (prev != null && !prev.equals(dtype)) throw new WeightsException(path + ": storage '" + TorchPickle.printable(key) + "' is used as both " + prev + " and " + dtype);
        if (legacy && pid.size() > 5 && pid.get(5) != null) {
            if (!(pid.get(5) instanceof List<?> view) || view.size() != 3 || !(view.get(1) instanceof Long off) || !(view.get(2) instanceof Long n)
                    || off < 0 || n < 0) {
                throw new WeightsException(path + ": a storage view is malformed; the file is damaged");
            }
            return new StorageRef(key, dtype, n, off);
        }
        return new StorageRef(key, dtype, numel, 0);
    }

    /** The state dict's tensors, each checked to lie inside its storage on disk. */
    private static TorchCheckpoint checked(Path path, Object root, Storages storages) {
        try {
            Map<String, TensorRef> refs = stateDict(path, root);
            for (Map.Entry<String, TensorRef> e : refs.entrySet()) check(path, e.getKey(), e.getValue(), storages);
            return new TorchCheckpoint(path, root, Collections.unmodifiableMap(refs), storages);
        } catch (RuntimeException e) {
            storages.close();
            throw e;
        }
    }

    /** The tensors of the (possibly wrapped) state dict, in pickle order. */
    static Map<String, TensorRef> stateDict(Path path, Object root) {
        Object cur = root;
        for (int depth = 0; depth < 4 && cur instanceof Map<?, ?> m && !hasTensor(m); depth++) {
            Object next = null;
            for (String w : WRAPPERS) {
                if (m.get(w) instanceof Map<?, ?> inner) {
                    next = inner;
                    break;
                }
            }
            if (next == null) break;
            cur = next;
        }
        Map<String, TensorRef> out = new LinkedHashMap<>();
        if (cur instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getKey() instanceof String k && e.getValue() instanceof TensorRef t) out.put(k, t);
            }
        }
        if (out.isEmpty()) {
            throw new WeightsException(path + ": holds no tensors (expected a state dict, or one under 'state_dict' / 'model'); save weights with torch.save(model.state_dict())");
        }
        return out;
    }

    private static boolean hasTensor(Map<?, ?> m) {
        for (Object v : m.values()) if (v instanceof TensorRef) return true;
        return false;
    }

    private static void check(Path path, String name, TensorRef t, Storages storages) {
        StorageRef s = t.storage();
        long es = elementSize(s.dtype());
        if (t.shape().length != t.stride().length) throw bad(path, name, "has " + t.shape().length + " sizes but " + t.stride().length + " strides");
        long onDisk = storages.bytes(s.key());
        if (onDisk < 0) throw bad(path, name, "uses storage '" + TorchPickle.printable(s.key()) + "', which is not in the file");
        long storageEnd = multiply(path, Math.addExact(s.base(), s.numel()), es);
        if (storageEnd > onDisk) throw bad(path, name, "storage '" + TorchPickle.printable(s.key()) + "' needs " + storageEnd + " bytes but the file holds " + onDisk);
        long numel = 1;
        long extent = 1;
        try {
            for (int i = 0; i < t.shape().length; i++) {
                numel = Math.multiplyExact(numel, t.shape()[i]);
                if (t.shape()[i] > 0) extent = Math.addExact(extent, Math.multiplyExact(t.shape()[i] - 1, t.stride()[i]));
            }
            if (numel > 0 && Math.addExact(t.offset(), extent) > s.numel()) {
                throw bad(path, name, "reaches element " + (t.offset() + extent) + " of a storage of " + s.numel());
            }
        } catch (ArithmeticException overflow) {
            throw bad(path, name, "has a shape or stride beyond 2^63 elements; the file is corrupt or crafted");
        }
    }

    private static WeightsException bad(Path path, String name, String what) {
        return new WeightsException(path + ": tensor '" + TorchPickle.printable(name) + "' " + what + "; the file is damaged");
    }

    private static long multiply(Path path, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new WeightsException(path + ": a storage size beyond 2^63 bytes; the file is corrupt or crafted");
        }
    }

    static int elementSize(String dtype) {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            default -> 1;
        };
    }

    // ------------------------------------------------------------------------------------------------- access

    @Override
    public Path path() {
        return path;
    }

    /** The whole unpickled object: maps, lists, Long / Double / String / Boolean / null, and {@link TensorRef}s. */
    public Object root() {
        return root;
    }

    @Override
    public Map<String, Info> tensors() {
        Map<String, Info> out = new LinkedHashMap<>();
        refs.forEach((k, t) -> out.put(k, new Info(t.storage().dtype(), t.shape().clone())));
        return out;
    }

    /**
     * One tensor, contiguous, with its own memory: only the storage bytes it spans are read, so views into a shared
     * storage cost their own size.
     */
    @Override
    public Tensor load(String name) {
        TensorRef t = refs.get(name);
        if (t == null) throw new WeightsException(path + ": no tensor named '" + TorchPickle.printable(name) + "'");
        ScalarType type = SafeTensors.scalarType(t.storage().dtype());
        if (t.numel() == 0) return torch.empty(t.shape(), Tensors.options(type), new org.bytedeco.pytorch.MemoryFormatOptional());
        long es = elementSize(t.storage().dtype());
        long extent = 1;
        for (int i = 0; i < t.shape().length; i++) extent += (t.shape()[i] - 1) * t.stride()[i];
        long start = (t.storage().base() + t.offset()) * es, bytes = extent * es;
        Tensor raw = torch.empty(new long[]{bytes}, Tensors.options(ScalarType.Byte), new org.bytedeco.pytorch.MemoryFormatOptional());
        try (InputStream in = storages.open(t.storage().key(), start)) {
            BytePointer dst = new BytePointer(raw.data_ptr()).capacity(bytes);
            byte[] chunk = new byte[(int) Math.min(bytes, 1 << 20)];
            for (long done = 0; done < bytes; ) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, bytes - done));
                if (n < 0) throw new IOException("unexpected end of storage data");
                dst.position(done).put(chunk, 0, n);
                done += n;
            }
        } catch (IOException e) {
            throw new WeightsException(path + ": cannot read tensor '" + TorchPickle.printable(name) + "' (" + TorchPickle.printable(String.valueOf(e.getMessage())) + "); the file is damaged");
        }
        return raw.view(type).as_strided(t.shape(), t.stride()).contiguous();
    }

    @Override
    public void close() {
        storages.close();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // read-only
        }
    }
}
