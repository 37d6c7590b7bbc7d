package io.cdiffset.io;

import io.cdiffset.engine.InputException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.statistics.Statistics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Fuzzing the PyTorch checkpoint reader like the other parsers: real torch.save files (fixtures/pth) with bytes
 * flipped, overwritten or cut off — in the whole file, or only inside data.pkl (re-zipped, so the pickle interpreter
 * itself meets the damage rather than the zip reader). Every case must open and read, or fail with one
 * {@link WeightsException} / {@link InputException} line; any other exception, a hang or an allocation beyond the
 * file fails the property. Bounded: a few hundred tries per property, seconds in all.
 */
class TorchCheckpointFuzzTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/pth");
    static final Path FILE;
    static final byte[] ZIP, LEGACY, PICKLE;

    static {
        try {
            FILE = Files.createTempFile("fuzz", ".pth");
            ZIP = Files.readAllBytes(FIXTURE.resolve("state_dict.pth"));
            LEGACY = Files.readAllBytes(FIXTURE.resolve("legacy.pth"));
            try (ZipFile z = new ZipFile(FIXTURE.resolve("state_dict.pth").toFile())) {
                PICKLE = z.getInputStream(z.getEntry("state_dict/data.pkl")).readAllBytes();
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    @AfterProperty
    void cleanup() throws Exception {
        Files.deleteIfExists(FILE);
    }

    /** A mutation: {@code n} bytes at positions derived from {@code seed} set to hostile values, then an optional cut. */
    record Mutation(long seed, int n, int cutPercent) {
        byte[] apply(byte[] in) {
            byte[] b = in.clone();
            java.util.Random r = new java.util.Random(seed);
            byte[] hostile = {0, (byte) 0xff, (byte) 0x80, 0x7f, 'R', 'c', 'Q', '.', '(', 'h', 'q', 'K', 'J', (byte) 0x8a, (byte) 0x95};
            for (int i = 0; i < n; i++) {
                int at = r.nextInt(b.length);
                b[at] = r.nextBoolean() ? hostile[r.nextInt(hostile.length)] : (byte) r.nextInt(256);
            }
            int len = cutPercent >= 100 ? b.length : (int) ((long) b.length * cutPercent / 100);
            return java.util.Arrays.copyOf(b, len);
        }
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.integers().between(0, 8),
                Arbitraries.oneOf(Arbitraries.just(100), Arbitraries.integers().between(0, 99))).as(Mutation::new);
    }

    @Property(tries = 300, edgeCases = EdgeCasesMode.NONE, seed = "18")
    void mutatedZipFilesReadOrFailInOneLine(@ForAll("mutations") Mutation m) throws Exception {
        readOrRefuse(m.apply(ZIP));
    }

    @Property(tries = 300, edgeCases = EdgeCasesMode.NONE, seed = "18")
    void mutatedLegacyFilesReadOrFailInOneLine(@ForAll("mutations") Mutation m) throws Exception {
        readOrRefuse(m.apply(LEGACY));
    }

    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE, seed = "18")
    void mutatedPicklesReadOrFailInOneLine(@ForAll("mutations") Mutation m) throws Exception {
        readOrRefuse(rezip(m.apply(PICKLE)));
    }

    /** The fixture's storages with another data.pkl (storage entries copied verbatim). */
    static byte[] rezip(byte[] pickle) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (ZipFile z = new ZipFile(FIXTURE.resolve("state_dict.pth").toFile());
             java.util.zip.ZipOutputStream zo = new java.util.zip.ZipOutputStream(out)) {
            for (var en = z.entries(); en.hasMoreElements(); ) {
                java.util.zip.ZipEntry e = en.nextElement();
                byte[] data = e.getName().endsWith("/data.pkl") ? pickle : z.getInputStream(e).readAllBytes();
                java.util.zip.ZipEntry n = new java.util.zip.ZipEntry(e.getName());
                n.setMethod(java.util.zip.ZipEntry.STORED);
                n.setSize(data.length);
                n.setCompressedSize(data.length);
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(data);
                n.setCrc(crc.getValue());
                zo.putNextEntry(n);
                zo.write(data);
                zo.closeEntry();
            }
        }
        return out.toByteArray();
    }

    static void readOrRefuse(byte[] bytes) throws Exception {
        Files.write(FILE, bytes);
        try (WeightFile f = WeightFiles.open(FILE)) {
            for (String k : List.copyOf(f.tensors().keySet())) {
                WeightFile.Info i = f.tensors().get(k);
                long n = TorchCheckpoint.elementSize(i.dtype());
                for (long s : i.shape()) n = Math.multiplyExact(n, s);
                assertTrue(n <= Files.size(FILE), "a tensor never claims more than the file: " + k);
                f.load(k).close();
            }
            Statistics.collect("opened");
        } catch (InputException e) {
            Statistics.collect(e instanceof WeightsException ? "refused" : "input error");
            assertNotNull(e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }
}
