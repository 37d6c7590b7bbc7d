package io.cdiffset.io;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {
    @TempDir
    Path tmp;

    @Test
    void roundTripsEveryDtypeAndShape() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("f32", Tensors.fromFloats(new float[]{1.5f, -2f, 3.25f, 4f, 5f, 6f}, 2, 3));
        m.put("f16", Tensors.fromFloats(new float[]{0.5f, -1.25f, 1000f}, 3).to(ScalarType.Half));
        m.put("bf16", Tensors.fromFloats(new float[]{0.5f, -1.25f, 3f}, 3).to(ScalarType.BFloat16));
        m.put("i64", Tensors.fromLongs(new long[]{49406, 7, -1}, 1, 3));
        m.put("scalar", Tensors.fromFloats(new float[]{7f}));
        Path f = tmp.resolve("a.safetensors");
        SafeTensors.write(f, m, Map.of("format", "pt"));
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals("F32", st.entries().get("f32").dtype());
            assertEquals("F16", st.entries().get("f16").dtype());
            assertEquals("BF16", st.entries().get("bf16").dtype());
            assertEquals("I64", st.entries().get("i64").dtype());
            assertEquals(0, st.entries().get("scalar").shape().length);
            assertEquals("pt", st.metadata().get("format"));
            for (String k : m.keySet()) {
                assertEquals(0.0, Tensors.maxAbsDiff(st.load(k).to(ScalarType.Double), m.get(k).to(ScalarType.Double)), k);
            }
            assertEquals(ScalarType.Half, Tensors.dtype(st.load("f16")));
            assertEquals(ScalarType.Float, Tensors.dtype(st.loadFloat("bf16")));
        }
        // data starts 8-byte aligned in our own files
        assertEquals(0, (readHeaderLength(f)) % 8);
        assertFalse(Files.exists(tmp.resolve(".a.safetensors.tmp")));
    }

    @Test
    void readsUnalignedHeaders() throws Exception {
        // a hand-made file whose header length is odd (like the 2022 SD 2.1 files)
        String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        assertNotEquals(0, h.length % 8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).putFloat(1.5f).putFloat(-3f);
        Path f = tmp.resolve("u.safetensors");
        Files.write(f, b.array());
        float[] v = Tensors.toFloats(SafeTensors.read(f).get("x"));
        assertArrayEquals(new float[]{1.5f, -3f}, v);
    }

    @Test
    void truncatedAndCorruptFilesGiveOneLineErrorsNamingTheFile() throws Exception {
        Path f = tmp.resolve("w.safetensors");
        SafeTensors.write(f, Map.of("w", torch.ones(4, 4)), Map.of());
        Path cut = tmp.resolve("cut.safetensors");
        byte[] all = Files.readAllBytes(f);
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 10));
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(cut));
        assertTrue(e.getMessage().contains("cut.safetensors") && e.getMessage().contains("truncated"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());

        Path junk = tmp.resolve("junk.safetensors");
        Files.write(junk, "hello world, not a model".getBytes(StandardCharsets.UTF_8));
        e = assertThrows(WeightsException.class, () -> SafeTensors.open(junk));
        assertTrue(e.getMessage().contains("junk.safetensors"), e.getMessage());

        Path badJson = tmp.resolve("badjson.safetensors");
        ByteBuffer b = ByteBuffer.allocate(8 + 5).order(ByteOrder.LITTLE_ENDIAN).putLong(5).put("{oops".getBytes(StandardCharsets.UTF_8));
        Files.write(badJson, b.array());
        e = assertThrows(WeightsException.class, () -> SafeTensors.open(badJson));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());

        e = assertThrows(WeightsException.class, () -> SafeTensors.open(tmp.resolve("missing.safetensors")));
        assertTrue(e.getMessage().contains("missing.safetensors") && e.getMessage().contains("not found"));
    }

    /** Issue #13: a shape whose product wraps around 64 bits to 0 passed the size check, then libtorch failed (exit 1). */
    @Test
    void aShapeWhoseByteCountOverflows64BitsIsRefusedInOneLine() throws Exception {
        for (String shape : List.of("[4294967296, 4294967296]", "[4294967296, 4294967296, 4]", "[3037000500, 3037000500, 2]",
                "[9223372036854775807, 2]", "[1e30]", "[\"7\"]", "[1.5]", "[18446744073709551616]")) {
            String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,0]}}";
            byte[] h = json.getBytes(StandardCharsets.UTF_8);
            Path f = tmp.resolve("overflow.safetensors");
            Files.write(f, ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array());
            WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(f).close(), shape);
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            assertTrue(e.getMessage().contains("overflow.safetensors"), e.getMessage());
            System.out.println(shape + " -> " + e.getMessage());
        }
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[9223372036854775000,9223372036854775004]}}";
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        Path f = tmp.resolve("far.safetensors");
        Files.write(f, ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array());
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(f).close());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void rejectsOverlappingOffsets() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).putFloat(1f);
        Path f = tmp.resolve("o.safetensors");
        Files.write(f, b.array());
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(f));
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }

    @Test
    void readsTensorsPastTheFirstTwoGibibytes() throws Exception {
        // a sparse 2.5 GiB file: a huge first tensor (never loaded) and a small one whose offset needs 64 bits
        long big = 640L * 1024 * 1024; // floats: 2.5 GiB
        String header = "{\"big\":{\"dtype\":\"F32\",\"shape\":[" + big + "],\"data_offsets\":[0," + big * 4 + "]},"
                + "\"small\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + big * 4 + "," + (big * 4 + 8) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path f = tmp.resolve("huge.safetensors");
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length);
            r.write(b.array());
            r.write(h);
            long smallAt = 8 + h.length + big * 4;
            r.setLength(smallAt + 8);
            r.seek(smallAt);
            ByteBuffer v = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(2.5f).putFloat(-7f);
            r.write(v.array());
        }
        try (SafeTensors st = SafeTensors.open(f)) {
            assertTrue(st.entries().get("small").offset() > Integer.MAX_VALUE);
            assertArrayEquals(new float[]{2.5f, -7f}, Tensors.toFloats(st.load("small")));
        }
    }

    private static long readHeaderLength(Path f) {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "r")) {
            byte[] b = new byte[8];
            r.readFully(b);
            return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
