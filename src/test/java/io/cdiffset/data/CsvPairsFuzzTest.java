package io.cdiffset.data;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Fuzzing (issue #13): structurally valid but hostile pairs.csv files (BOMs, quotes, empty fields, duplicate and
 * unknown columns, absolute and {@code ..} paths, NUL bytes, very long lines, odd split values, malformed UTF-8).
 * Every file opens (and splits by its column when it has one) or fails with one {@link DataException} /
 * IllegalArgumentException line; nothing else. Bounded: a few hundred tries, a few seconds.
 */
class CsvPairsFuzzTest {
    static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("csvfuzz");
            Files.createDirectories(DIR.resolve("sub"));
            for (String f : List.of("a.png", "b.png", "sub/c.png")) Files.write(DIR.resolve(f), new byte[]{1});
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Provide
    Arbitrary<String> csvs() {
        Arbitrary<String> field = Arbitraries.oneOf(
                Arbitraries.of("a.png", "b.png", "sub/c.png", "./a.png", "sub/../a.png", "../" + DIR.getFileName() + "/b.png",
                        DIR.resolve("a.png").toString(), "/etc/passwd", "/", "..", "", " ", "\"a.png\"", "\"a,png\"", "\"\"\"\"",
                        "\"unterminated", "x\u0000y", "\uFEFFa.png", "train", "test", "TRAIN", "val", "id1", "id1", "é√∂",
                        "NaN", "-1", "1e309", "\t", "\"a.png\"\"x\""),
                Arbitraries.strings().ofMaxLength(8),
                Arbitraries.strings().withChars('a', ',', '"', '/', '.', ' ').ofMaxLength(12),
                Arbitraries.integers().between(1000, 20000).map("x"::repeat));
        Arbitrary<String> headerCol = Arbitraries.of("id", "sar", "eo", "split", "group", "scene", "ID", " Sar ", "\"eo\"", "extra", "", "id");
        Arbitrary<String> header = headerCol.list().ofMinSize(0).ofMaxSize(6).map(l -> String.join(",", l));
        Arbitrary<String> line = field.list().ofMaxSize(7).map(l -> String.join(",", l));
        return Combinators.combine(Arbitraries.of("", "\uFEFF", "\n", "\n\uFEFF", "  \n"), header, line.list().ofMaxSize(6),
                        Arbitraries.of("\n", "\r\n", "\r"))
                .as((bom, h, ls, nl) -> bom + h + nl + String.join(nl, ls) + nl);
    }

    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE, seed = "13")
    void hostileCsvOpensOrFailsInOneLine(@ForAll("csvs") String csv) throws IOException {
        check(csv.getBytes(StandardCharsets.UTF_8));
    }

    /** Valid header and rows around one hostile byte sequence (malformed UTF-8, NUL, lone CR). */
    @Property(tries = 100, edgeCases = EdgeCasesMode.NONE, seed = "13")
    void hostileBytes(@ForAll("bytes") byte[] junk) throws IOException {
        byte[] head = "id,sar,eo,split\np1,a.png,b.png,train\np2,".getBytes(StandardCharsets.UTF_8);
        byte[] tail = ",b.png,test\n".getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + junk.length + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(junk, 0, all, head.length, junk.length);
        System.arraycopy(tail, 0, all, head.length + junk.length, tail.length);
        check(all);
    }

    @Provide
    Arbitrary<byte[]> bytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(16);
    }

    @Example
    void goodCsvStillOpens() throws IOException {
        Files.writeString(DIR.resolve(CsvPairs.FILE_NAME), "\uFEFFid,sar,eo,split\np1,a.png,\"sub/c.png\",train\np2," + DIR.resolve("a.png") + ",b.png,test\n");
        CsvPairs ds = CsvPairs.open(DIR);
        assertEquals(2, ds.size());
        assertEquals(DIR.resolve("sub/c.png"), ds.ref(0).eo());
        assertEquals(1, Splits.fromColumn(ds).test().length);
    }

    static void check(byte[] csv) throws IOException {
        Files.write(DIR.resolve(CsvPairs.FILE_NAME), csv);
        String shown = new String(csv, StandardCharsets.UTF_8);
        shown = shown.length() > 300 ? shown.substring(0, 300) + "..." : shown;
        try {
            CsvPairs ds = CsvPairs.open(DIR);
            assertTrue(ds.size() > 0);
            for (int i = 0; i < ds.size(); i++) {
                assertTrue(Files.isRegularFile(ds.ref(i).sar()) && Files.isRegularFile(ds.ref(i).eo()), shown);
                assertNotNull(ds.ref(i).group(), shown);
            }
            if (Splits.hasColumn(ds)) Splits.fromColumn(ds);
        } catch (DataException | IllegalArgumentException e) {
            assertNotNull(e.getMessage(), shown);
            assertFalse(e.getMessage().isBlank(), shown);
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            assertFalse(e instanceof NumberFormatException, "raw parse error for " + shown + ": " + e);
        } catch (Throwable t) {
            throw new AssertionError("crash on pairs.csv " + shown.replace("\n", "\\n") + ": " + t, t);
        }
    }
}
