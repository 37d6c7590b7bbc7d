package io.cdiffset.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reader and writer for the safetensors format: an 8-byte little-endian header length, a JSON header, and a
 * contiguous little-endian byte buffer. Files larger than 2 GiB are read per tensor through memory mapping;
 * headers need not be 8-byte aligned. Every problem is reported as a {@link WeightsException} naming the file.
 */
public final class SafeTensors implements WeightFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100_000_000L;

    /** One tensor's header entry. {@code offset} is absolute within the file. */
    public record Entry(String name, String dtype, long[] shape, long offset, long length) {
        public long numel() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path path, FileChannel channel, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafeTensors open(Path path) {
        FileChannel ch = WeightFiles.openChannel(path);
        try {
            return parse(path, ch);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static SafeTensors parse(Path path, FileChannel ch) {
        try {
            long size = ch.size();
            if (size < 8) throw bad(path, "file is " + size + " bytes, too short to hold a safetensors header (truncated download?)");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n <= 0 || n > MAX_HEADER) throw bad(path, "header length " + n + " is not plausible; this is not a safetensors file or it is corrupt");
            if (8 + n > size) throw bad(path, "header of " + n + " bytes runs past the end of the file (" + size + " bytes); the file is truncated");
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            String headerText = new String(hb.array(), StandardCharsets.UTF_8);
            JsonNode root;
            try {
                root = JSON.readTree(headerText);
            } catch (JsonProcessingException e) {
                throw bad(path, "header is not valid JSON (" + e.getOriginalMessage() + "); the file is corrupt");
            }
            if (root == null || !root.isObject()) throw bad(path, "header is not a JSON object; the file is corrupt");
            long base = 8 + n;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode v = f.getValue();
                String dtype = v.path("dtype").asText(null);
                JsonNode shapeNode = v.path("shape");
                JsonNode offs = v.path("data_offsets");
                if (dtype == null || !shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
                    throw bad(path, "tensor '" + f.getKey() + "' has a malformed header entry");
                }
                long[] shape = new long[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) shape[i] = integer(path, f.getKey(), "shape", shapeNode.get(i));
                long begin = integer(path, f.getKey(), "data_offsets", offs.get(0)), end = integer(path, f.getKey(), "data_offsets", offs.get(1));
                int es = elementSize(path, f.getKey(), dtype);
                long bytes = es;
                for (long s : shape) {
                    if (s < 0) throw bad(path, "tensor '" + f.getKey() + "' has a negative dimension");
                    try {
                        bytes = Math.multiplyExact(bytes, s); // a crafted shape must not wrap around to a small size
                    } catch (ArithmeticException overflow) {
                        throw bad(path, "tensor '" + f.getKey() + "' " + dtype + Tensors.shapeString(shape)
                                + " would need more than 2^63 bytes; the header is corrupt or crafted");
                    }
                }
                if (begin < 0 || end < begin || end - begin != bytes) {
                    throw bad(path, "tensor '" + f.getKey() + "' " + dtype + Tensors.shapeString(shape) + " needs "
                            + bytes + " bytes but its offsets [" + begin + ", " + end + "] span " + (end - begin));
                }
                if (end > size - base) {
                    throw bad(path, "tensor '" + f.getKey() + "' ends at byte " + (base + end) + " but the file has only "
                            + size + " bytes; the file is truncated (re-download or re-export it)");
                }
                entries.put(f.getKey(), new Entry(f.getKey(), dtype, shape, base + begin, end - begin));
            }
            List<Entry> sorted = new ArrayList<>(entries.values());
            sorted.sort(Comparator.comparingLong(Entry::offset));
            long expect = base;
            for (Entry e : sorted) {
                if (e.offset() != expect) {
                    throw bad(path, "tensor '" + e.name() + "' starts at " + (e.offset() - base) + " but the previous one ends at "
                            + (expect - base) + " (overlap or hole in the data buffer); the file is corrupt");
                }
                expect = e.offset() + e.length();
            }
            if (expect != size) {
                throw bad(path, "data buffer ends at byte " + expect + " but the file has " + size + " bytes; the file is corrupt");
            }
            return new SafeTensors(path, ch, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            throw bad(path, "read failed (" + e.getMessage() + ")");
        }
    }

    @Override
    public Path path() {
        return path;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    @Override
    public Map<String, WeightFile.Info> tensors() {
        Map<String, WeightFile.Info> out = new LinkedHashMap<>();
        entries.forEach((k, e) -> out.put(k, new WeightFile.Info(e.dtype(), e.shape())));
        return out;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** Loads one tensor with its stored dtype. */
    @Override
    public Tensor load(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new WeightsException(path + ": no tensor named '" + name + "'");
        try {
            ScalarType type = scalarType(e.dtype());
            if (e.length() == 0) return org.bytedeco.pytorch.global.torch.empty(e.shape(), Tensors.options(type), new org.bytedeco.pytorch.MemoryFormatOptional());
            // read straight into the tensor's memory: a mapped copy stayed resident (as file pages) until the GC
            // unmapped it, 1.9 GB of the full-size UNet's load peak
            Tensor t = org.bytedeco.pytorch.global.torch.empty(e.shape(), Tensors.options(type), new org.bytedeco.pytorch.MemoryFormatOptional());
            if (t.nbytes() != e.length()) throw new WeightsException(path + ": tensor '" + name + "' has " + e.length() + " bytes for " + t.nbytes() + " expected");
            ByteBuffer dst = Tensors.bytes(t);
            while (dst.hasRemaining()) {
                if (channel.read(dst, e.offset() + dst.position()) < 0) throw new WeightsException(path + ": tensor '" + name + "' is cut short; the file is truncated");
            }
            return t;
        } catch (IOException ex) {
            throw new WeightsException(path + ": cannot read tensor '" + name + "' (" + ex.getMessage() + ")");
        }
    }

    public static Map<String, Tensor> read(Path path) {
        try (SafeTensors st = open(path)) {
            return st.loadAll();
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    // ---------------------------------------------------------------------------------------------- writing

    /** Writes tensors (in map order) atomically: temp file in the same folder, then rename. */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        List<Tensor> contiguous = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue().detach().contiguous();
            contiguous.add(t);
            ObjectNode n = header.putObject(e.getKey());
            n.put("dtype", dtypeName(Tensors.dtype(t)));
            var shape = n.putArray("shape");
            for (long s : Tensors.shape(t)) shape.add(s);
            var offs = n.putArray("data_offsets");
            offs.add(offset);
            offset += t.nbytes();
            offs.add(offset);
        }
        byte[] hj;
        try {
            hj = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException ex) {
            throw new WeightsException(path + ": cannot encode header (" + ex.getMessage() + ")");
        }
        int padded = (hj.length + 7) / 8 * 8;
        byte[] h = new byte[padded];
        System.arraycopy(hj, 0, h, 0, hj.length);
        for (int i = hj.length; i < padded; i++) h[i] = ' ';
        AtomicFile.write(path, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(h));
            for (Tensor t : contiguous) {
                if (t.nbytes() > 0) writeFully(ch, Tensors.bytes(t));
            }
        });
    }

    // ---------------------------------------------------------------------------------------------- dtypes

    public static ScalarType scalarType(String dtype) {
        return switch (dtype) {
            case "F32" -> ScalarType.Float;
            case "F16" -> ScalarType.Half;
            case "BF16" -> ScalarType.BFloat16;
            case "F64" -> ScalarType.Double;
            case "I64" -> ScalarType.Long;
            case "I32" -> ScalarType.Int;
            case "I16" -> ScalarType.Short;
            case "I8" -> ScalarType.Char;
            case "U8" -> ScalarType.Byte;
            case "BOOL" -> ScalarType.Bool;
            default -> throw new WeightsException("unsupported safetensors dtype " + dtype);
        };
    }

    public static String dtypeName(ScalarType t) {
        return switch (t) {
            case Float -> "F32";
            case Half -> "F16";
            case BFloat16 -> "BF16";
            case Double -> "F64";
            case Long -> "I64";
            case Int -> "I32";
            case Short -> "I16";
            case Char -> "I8";
            case Byte -> "U8";
            case Bool -> "BOOL";
            default -> throw new WeightsException("cannot store tensors of type " + t + " in safetensors");
        };
    }

    private static int elementSize(Path path, String name, String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "U8", "I8", "BOOL", "F8_E5M2", "F8_E4M3" -> 1;
            default -> throw bad(path, "tensor '" + name + "' has unsupported dtype " + dtype);
        };
    }

    /** A non-negative whole number that fits 64 bits (not a string, fraction or 1e30), else a one-line error. */
    private static long integer(Path path, String tensor, String field, JsonNode n) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
            throw bad(path, "tensor '" + tensor + "' has " + field + " value " + n + ", not a whole number that fits 64 bits; the header is corrupt");
        }
        return n.asLong();
    }

    private static WeightsException bad(Path path, String what) {
        return new WeightsException(path + ": " + what);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }

    static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
