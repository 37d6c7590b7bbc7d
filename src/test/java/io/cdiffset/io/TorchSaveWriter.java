package io.cdiffset.io;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test helper: writes what {@code torch.save(obj)} writes (zip layout, pickle protocol 2) for a nested map of
 * tensors and plain values, so tests can make checkpoints (LDM .ckpt, hostile variants) without Python.
 */
public final class TorchSaveWriter {
    private final ByteArrayOutputStream pkl = new ByteArrayOutputStream();
    private final List<byte[]> storages = new ArrayList<>();

    /** The zip bytes of {@code torch.save(obj)}; {@code obj} holds maps, Tensors, String, Long, Double, Boolean. */
    public static byte[] zip(Map<String, ?> obj, String archive) {
        TorchSaveWriter w = new TorchSaveWriter();
        w.pkl.write(0x80);
        w.pkl.write(2);
        w.value(obj);
        w.pkl.write('.');
        return w.archive(w.pkl.toByteArray(), archive);
    }

    /** A zip checkpoint whose data.pkl is {@code pickle} verbatim (storages from an earlier {@link #zip} are not kept). */
    public static byte[] zipWithPickle(byte[] pickle, String archive) {
        return new TorchSaveWriter().archive(pickle, archive);
    }

    public static void write(Path file, Map<String, ?> obj) throws IOException {
        Files.write(file, zip(obj, "archive"));
    }

    private void value(Object v) {
        if (v instanceof Map<?, ?> m) {
            pkl.write('}');
            pkl.write('(');
            for (Map.Entry<?, ?> e : m.entrySet()) {
                value(e.getKey());
                value(e.getValue());
            }
            pkl.write('u');
        } else if (v instanceof Tensor t) {
            tensor(t);
        } else if (v instanceof String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            pkl.write('X');
            int4(b.length);
            pkl.writeBytes(b);
        } else if (v instanceof Long l) {
            pkl.write(0x8a); // LONG1, 8 bytes little-endian
            pkl.write(8);
            for (int i = 0; i < 8; i++) pkl.write((int) (l >>> (8 * i)) & 0xff);
        } else if (v instanceof Double d) {
            pkl.write('G');
            long bits = Double.doubleToLongBits(d);
            for (int i = 7; i >= 0; i--) pkl.write((int) (bits >>> (8 * i)) & 0xff);
        } else if (v instanceof Boolean b) {
            pkl.write(b ? 0x88 : 0x89);
        } else if (v == null) {
            pkl.write('N');
        } else {
            throw new IllegalArgumentException(v.getClass().toString());
        }
    }

    private void tensor(Tensor t) {
        Tensor c = t.contiguous();
        String key = Integer.toString(storages.size());
        byte[] data = new byte[(int) c.nbytes()];
        if (data.length > 0) Tensors.bytes(c).get(data);
        storages.add(data);
        global("torch._utils", "_rebuild_tensor_v2");
        pkl.write('(');
        pkl.write('(');
        value("storage");
        global("torch", storageClass(SafeTensors.dtypeName(Tensors.dtype(c))));
        value(key);
        value("cpu");
        value(c.numel());
        pkl.write('t');
        pkl.write('Q');
        value(0L);
        long[] shape = Tensors.shape(c);
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        tupleOf(shape);
        tupleOf(stride);
        pkl.write(0x89);
        global("collections", "OrderedDict");
        pkl.write(')');
        pkl.write('R');
        pkl.write('t');
        pkl.write('R');
    }

    private void tupleOf(long[] v) {
        pkl.write('(');
        for (long x : v) value(x);
        pkl.write('t');
    }

    private void global(String module, String name) {
        pkl.write('c');
        pkl.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private void int4(int n) {
        for (int i = 0; i < 4; i++) pkl.write((n >>> (8 * i)) & 0xff);
    }

    static String storageClass(String dtype) {
        for (Map.Entry<String, String> e : TorchPickle.STORAGES.entrySet()) {
            if (e.getValue().equals(dtype) && !e.getKey().equals("UntypedStorage")) return e.getKey();
        }
        throw new IllegalArgumentException(dtype);
    }

    private byte[] archive(byte[] pickle, String archive) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            stored(z, archive + "/data.pkl", pickle);
            stored(z, archive + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < storages.size(); i++) stored(z, archive + "/data/" + i, storages.get(i));
            stored(z, archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }
}
