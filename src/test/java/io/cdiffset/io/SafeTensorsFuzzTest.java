package io.cdiffset.io;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Fuzzing (issue #13): structurally valid but hostile safetensors headers (huge, negative, overflowing, fractional or
 * non-numeric dimensions, lying offsets and header lengths, unknown dtypes). Every file must open and read, or fail
 * with one {@link WeightsException} / IllegalArgumentException line; nothing else, and nothing allocated beyond the
 * file's own size. Bounded: a few hundred tries, a few seconds.
 */
class SafeTensorsFuzzTest {
    static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("fuzz", ".safetensors");
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
    }

    @AfterProperty
    void cleanup() throws Exception {
        Files.deleteIfExists(FILE);
    }

    record Case(String header, long lengthField, int payload) {}

    @Provide
    Arbitrary<Case> files() {
        Arbitrary<String> dim = Arbitraries.oneOf(
                Arbitraries.longs().between(0, 8).map(Object::toString),
                Arbitraries.of("4294967296", "3037000500", "9223372036854775807", "-1", "-9223372036854775808",
                        "18446744073709551616", "1e30", "1.5", "\"7\"", "null", "[]", "{}"));
        Arbitrary<String> shape = dim.list().ofMaxSize(5).map(l -> "[" + String.join(",", l) + "]");
        Arbitrary<String> off = Arbitraries.oneOf(Arbitraries.longs().between(0, 64).map(Object::toString),
                Arbitraries.of("-1", "9223372036854775807", "9223372036854775000", "1e3", "\"0\""));
        Arbitrary<String> dtype = Arbitraries.of("F32", "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL", "X9", "");
        Arbitrary<String> tensor = Combinators.combine(Arbitraries.of("w", "b", "x.y", "__metadata__"), dtype, shape, off, off)
                .as((n, d, s, a, b) -> "\"" + n + "\":{\"dtype\":\"" + d + "\",\"shape\":" + s + ",\"data_offsets\":[" + a + "," + b + "]}");
        Arbitrary<String> header = tensor.list().ofMaxSize(3).map(l -> "{" + String.join(",", l) + "}");
        return Combinators.combine(header, Arbitraries.of(0L, -1L, 1L, 7L, 1L << 40, Long.MAX_VALUE), Arbitraries.integers().between(0, 96))
                .as((h, lie, p) -> new Case(h, lie, p));
    }

    /**
     * A consistent file (1-3 F32/F16/U8 tensors of small shapes, consecutive offsets, the payload they need) with one
     * hostile mutation: a dimension, an offset, the header length or the payload size.
     */
    @Provide
    Arbitrary<Case> mutated() {
        Arbitrary<long[]> shape = Arbitraries.longs().between(0, 5).array(long[].class).ofMaxSize(4);
        Arbitrary<String> hostile = Arbitraries.of("4294967296", "3037000500", "9223372036854775807", "-1", "1e30", "2.5", "\"3\"", "null");
        return Combinators.combine(shape.list().ofMinSize(1).ofMaxSize(3), Arbitraries.of("F32", "F16", "U8"), Arbitraries.integers().between(0, 5),
                hostile, Arbitraries.integers().between(-3, 3)).as((shapes, dtype, what, bad, delta) -> {
            int es = dtype.equals("F32") ? 4 : dtype.equals("F16") ? 2 : 1;
            StringBuilder sb = new StringBuilder("{");
            long at = 0;
            for (int t = 0; t < shapes.size(); t++) {
                long[] sh = shapes.get(t);
                long n = es;
                for (long d : sh) n *= d;
                String[] dims = new String[sh.length];
                for (int i = 0; i < sh.length; i++) dims[i] = Long.toString(sh[i]);
                if (what == 1 && t == 0 && dims.length > 0) dims[0] = bad;            // hostile dimension
                String begin = Long.toString(at), end = Long.toString(at + n);
                if (what == 2 && t == shapes.size() - 1) end = bad;                    // hostile offset
                if (t > 0) sb.append(',');
                sb.append("\"t").append(t).append("\":{\"dtype\":\"").append(dtype).append("\",\"shape\":[")
                        .append(String.join(",", dims)).append("],\"data_offsets\":[").append(begin).append(',').append(end).append("]}");
                at += n;
            }
            sb.append('}');
            long lie = what == 3 ? (delta == 0 ? 1 : Long.MAX_VALUE) : 0;          // header length lies
            int payload = (int) Math.max(0, at + (what == 4 ? delta : 0));          // payload too short / long
            return new Case(sb.toString(), lie, payload);
        });
    }

    @Property(tries = 500, edgeCases = EdgeCasesMode.NONE, seed = "13")
    void everyMutatedFileOpensOrFailsInOneLine(@ForAll("mutated") Case c) throws Exception {
        everyHeaderOpensOrFailsInOneLine(c);
    }

    @Property(tries = 500, edgeCases = EdgeCasesMode.NONE, seed = "13")
    void everyHeaderOpensOrFailsInOneLine(@ForAll("files") Case c) throws Exception {
        byte[] h = c.header().getBytes(StandardCharsets.UTF_8);
        long len = c.lengthField() == 0 ? h.length : c.lengthField() == 1 ? h.length + 1 : c.lengthField();
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + c.payload()).order(ByteOrder.LITTLE_ENDIAN).putLong(len).put(h);
        for (int i = 0; i < c.payload(); i++) b.put((byte) (i * 31));
        Files.write(FILE, b.array());
        try (SafeTensors st = SafeTensors.open(FILE)) {
            for (SafeTensors.Entry e : List.copyOf(st.entries().values())) {
                assertTrue(e.length() >= 0 && e.length() <= Files.size(FILE), "an entry never claims more than the file: " + c);
                st.load(e.name()).close();
            }
            Statistics.collect("opened");
        } catch (WeightsException | IllegalArgumentException e) {
            Statistics.collect("refused");
            assertNotNull(e.getMessage(), c.toString());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }
}
