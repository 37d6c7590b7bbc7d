package io.cdiffset.io.raster;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Fuzzing (issue #13): PNG files with hostile IHDR fields (sizes to 2^31-1, every colour type / bit depth, invalid
 * ones, interlacing), zlib data that is valid for the declared size, truncated, random or missing, and bad CRCs.
 * Every file must read (header, size check, pixels) or fail with one {@link RasterException} /
 * IllegalArgumentException line; nothing else. Bounded: a few hundred tries, a few seconds.
 */
class PngFuzzTest {
    record Case(int width, int height, int depth, int colour, int interlace, int dataMode, int cut, boolean badCrc) {}

    @Provide
    Arbitrary<Case> pngs() {
        Arbitrary<Integer> size = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.integers().between(1, 40)),
                Tuple.of(1, Arbitraries.of(0, -1, 46_000, 100_000, Integer.MAX_VALUE)));
        return Combinators.combine(List.of(size.asGeneric(), size.asGeneric(), Arbitraries.of(1, 2, 4, 8, 8, 16, 3).asGeneric(),
                        Arbitraries.of(0, 0, 2, 3, 4, 6, 1, 7).asGeneric(), Arbitraries.of(0, 0, 1, 2).asGeneric(),
                        Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(1, 3))).asGeneric(),
                        Arbitraries.integers().between(0, 64).asGeneric(), Arbitraries.of(false, false, false, true).asGeneric()))
                .as(v -> new Case((Integer) v.get(0), (Integer) v.get(1), (Integer) v.get(2), (Integer) v.get(3), (Integer) v.get(4),
                        (Integer) v.get(5), (Integer) v.get(6), (Boolean) v.get(7)));
    }

    @Property(tries = 500, edgeCases = EdgeCasesMode.NONE, seed = "13")
    void everyPngReadsOrFailsInOneLine(@ForAll("pngs") Case c) throws Exception {
        Path f = Files.createTempFile("fuzz", ".png");
        try {
            Files.write(f, build(c));
            try {
                RasterHeader h = Rasters.readHeader(f);
                Rasters.checkPixels(f, h, null);
                Raster r = Rasters.read(f);
                assertEquals((long) r.width() * r.height() * r.bands(), r.data().length);
                Statistics.collect("read");
            } catch (RasterException | IllegalArgumentException e) {
                Statistics.collect("refused");
                assertNotNull(e.getMessage(), c.toString());
                assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }

    static byte[] build(Case c) throws Exception {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunk(o, "IHDR", ByteBuffer.allocate(13).putInt(c.width()).putInt(c.height()).put((byte) c.depth()).put((byte) c.colour())
                .put((byte) 0).put((byte) 0).put((byte) c.interlace()).array(), c.badCrc());
        if (c.colour() == 3) chunk(o, "PLTE", new byte[]{0, 0, 0, (byte) 255, (byte) 255, (byte) 255, 10, 20, 30}, false);
        int channels = switch (c.colour()) { case 2 -> 3; case 4 -> 2; case 6 -> 4; default -> 1; };
        long rowBytes = 1 + ((long) Math.max(0, c.width()) * channels * c.depth() + 7) / 8;
        long raw = rowBytes > (1 << 20) ? 1 << 20 : rowBytes * Math.max(0, c.height()); // no overflow for 2^31-wide images
        byte[] idat;
        if (c.dataMode() == 3) {
            idat = new byte[c.cut()];
            for (int i = 0; i < idat.length; i++) idat[i] = (byte) (i * 73 + 5);    // not zlib
        } else {
            byte[] rows = new byte[(int) Math.min(raw, 1 << 20)];
            for (int i = 0; i < rows.length; i++) rows[i] = (byte) (i % rowBytes == 0 ? i % 5 : i * 31); // filter bytes 0-4
            Deflater d = new Deflater();
            d.setInput(rows);
            d.finish();
            byte[] buf = new byte[rows.length + 1024];
            int n = d.deflate(buf);
            d.end();
            if (c.dataMode() == 1) n = Math.max(0, n - 1 - c.cut());                  // truncated stream
            idat = java.util.Arrays.copyOf(buf, n);
        }
        if (c.dataMode() != 2) chunk(o, "IDAT", idat, false);                            // 2: no IDAT at all
        chunk(o, "IEND", new byte[0], false);
        return o.toByteArray();
    }

    static void chunk(ByteArrayOutputStream o, String type, byte[] data, boolean badCrc) throws Exception {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        o.write(ByteBuffer.allocate(4).putInt(data.length).array());
        o.write(t);
        o.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        o.write(ByteBuffer.allocate(4).putInt((int) crc.getValue() ^ (badCrc ? 1 : 0)).array());
    }
}
