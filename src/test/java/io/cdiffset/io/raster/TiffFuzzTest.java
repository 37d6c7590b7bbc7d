package io.cdiffset.io.raster;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Fuzzing (issue #13): structurally valid but hostile TIFF / GeoTIFF files (sizes up to 2^32-1, odd bit depths and
 * sample counts, every compression and predictor, strips/tiles that overlap, point past the end or at one row, lying
 * byte counts, NaN geotags, random payload). Every file must give a header and pixels or one {@link RasterException} /
 * IllegalArgumentException line; nothing else, no OutOfMemoryError. Bounded: a few hundred tries, a few seconds.
 */
class TiffFuzzTest {
    record Tag(int tag, int type, long[] values) {}

    record Case(long width, long height, int bits, int spp, int compression, int predictor, int planar, long rowsPerStrip,
                long tile, int blocks, int offsetMode, int countMode, int payload, boolean geoNaN) {}

    @Provide
    Arbitrary<Case> tiffs() {
        Arbitrary<Long> size = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.longs().between(1, 40)),
                Tuple.of(1, Arbitraries.of(0L, 46_000L, 100_000L, 65_536L, 4_294_967_295L)));
        Arbitrary<Integer> bits = Arbitraries.of(1, 8, 8, 8, 16, 32, 64, 12);
        Arbitrary<Integer> spp = Arbitraries.of(1, 1, 1, 3, 4, 0, 5000);
        Arbitrary<Integer> comp = Arbitraries.of(1, 1, 5, 8, 32946, 32773, 7, 50000);
        Arbitrary<Integer> pred = Arbitraries.of(1, 1, 1, 2, 3, 9);
        Arbitrary<Integer> planar = Arbitraries.of(1, 1, 2, 3);
        Arbitrary<Long> rps = Arbitraries.oneOf(Arbitraries.longs().between(1, 16), Arbitraries.of(0L, 4_294_967_295L));
        Arbitrary<Long> tile = Arbitraries.of(0L, 0L, 16L, 1L, 65_536L, 70_000L);
        Arbitrary<Integer> blocks = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(-1)), Tuple.of(1, Arbitraries.integers().between(0, 64))); // -1: as many as the image needs
        Arbitrary<Integer> mode = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(1, 4)));
        Arbitrary<Integer> payload = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just(-1)), Tuple.of(1, Arbitraries.integers().between(0, 4096))); // -1: what the size needs uncompressed
        List<Arbitrary<Object>> all = List.of(size.asGeneric(), size.asGeneric(), bits.asGeneric(), spp.asGeneric(), comp.asGeneric(), pred.asGeneric(), planar.asGeneric(),
                rps.asGeneric(), tile.asGeneric(), blocks.asGeneric(), mode.asGeneric(), mode.asGeneric(), payload.asGeneric(), Arbitraries.of(false, true).asGeneric());
        return Combinators.combine(all)
                .as(v -> new Case((Long) v.get(0), (Long) v.get(1), (Integer) v.get(2), (Integer) v.get(3), (Integer) v.get(4),
                        (Integer) v.get(5), (Integer) v.get(6), (Long) v.get(7), (Long) v.get(8), (Integer) v.get(9), (Integer) v.get(10),
                        (Integer) v.get(11), (Integer) v.get(12), (Boolean) v.get(13)));
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE, seed = "13")
    void everyTiffReadsOrFailsInOneLine(@ForAll("tiffs") Case c) throws Exception {
        Path f = Files.createTempFile("fuzz", ".tif");
        try {
            Files.write(f, build(c));
            try {
                RasterHeader h = Rasters.readHeader(f);
                Rasters.checkPixels(f, h, null);
                int w = (int) Math.min(h.width(), 64), hh = (int) Math.min(h.height(), 64);
                Raster r = Rasters.readWindow(f, 0, 0, w, hh);
                assertEquals(w * hh * r.bands(), r.data().length);
                if ((long) h.width() * h.height() <= 4096) Rasters.read(f);
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

    static byte[] build(Case c) {
        int payloadAt = 8;
        long rps = c.rowsPerStrip() <= 0 || c.rowsPerStrip() > c.height() ? Math.max(1, c.height()) : c.rowsPerStrip();
        long bw = c.tile() > 0 ? c.tile() : Math.max(1, c.width()), bh = c.tile() > 0 ? c.tile() : rps;
        long needed = ((Math.max(1, c.width()) + bw - 1) / bw) * ((Math.max(1, c.height()) + bh - 1) / bh) * (c.planar() == 2 ? Math.max(1, c.spp()) : 1);
        int nBlocks = c.blocks() >= 0 ? c.blocks() : (int) Math.min(needed, 4096);
        long raw = (long) nBlocks * bw * bh * Math.max(1, Math.min(c.spp(), 8)) * Math.max(1, c.bits()) / 8;
        byte[] payload = new byte[c.payload() >= 0 ? c.payload() : (int) Math.min(raw, 1 << 20)];
        for (int i = 0; i < payload.length; i++) payload[i] = (byte) (i * 131 + (i >> 3));
        List<Tag> tags = new ArrayList<>();
        tags.add(new Tag(256, 4, new long[]{c.width()}));
        tags.add(new Tag(257, 4, new long[]{c.height()}));
        long[] bps = new long[Math.max(1, Math.min(c.spp(), 8))];
        java.util.Arrays.fill(bps, c.bits());
        tags.add(new Tag(258, 3, bps));
        tags.add(new Tag(259, 3, new long[]{c.compression()}));
        tags.add(new Tag(262, 3, new long[]{c.spp() >= 3 ? 2 : 1}));
        tags.add(new Tag(277, 3, new long[]{c.spp()}));
        tags.add(new Tag(284, 3, new long[]{c.planar()}));
        tags.add(new Tag(317, 3, new long[]{c.predictor()}));
        if (c.bits() == 32 || c.bits() == 64) tags.add(new Tag(339, 3, new long[]{c.predictor() == 3 ? 3 : 1}));
        long[] offs = new long[nBlocks], counts = new long[nBlocks];
        int per = nBlocks == 0 ? 0 : Math.max(1, payload.length / nBlocks);
        for (int i = 0; i < nBlocks; i++) {
            offs[i] = switch (c.offsetMode()) {
                case 0 -> payloadAt + (long) i * per;    // consecutive
                case 1 -> payloadAt;                     // all on one place
                case 2 -> 0;                             // sparse
                case 3 -> 1L << 31;                      // past the end
                default -> payloadAt + (i * 7919L) % Math.max(1, payload.length);
            };
            counts[i] = switch (c.countMode()) {
                case 0 -> per;
                case 1 -> 0;
                case 2 -> payload.length;
                case 3 -> 4_294_967_295L;
                default -> (i * 104729L) % (payload.length + 1);
            };
        }
        boolean tiled = c.tile() > 0;
        if (tiled) {
            tags.add(new Tag(322, 4, new long[]{c.tile()}));
            tags.add(new Tag(323, 4, new long[]{c.tile()}));
            tags.add(new Tag(324, 4, offs));
            tags.add(new Tag(325, 4, counts));
        } else {
            tags.add(new Tag(273, 4, offs));
            tags.add(new Tag(278, 4, new long[]{c.rowsPerStrip()}));
            tags.add(new Tag(279, 4, counts));
        }
        if (c.geoNaN()) {
            tags.add(new Tag(33550, 12, new long[]{Double.doubleToLongBits(Double.NaN), Double.doubleToLongBits(10), 0}));
            tags.add(new Tag(33922, 12, new long[]{0, 0, 0, Double.doubleToLongBits(5e5), Double.doubleToLongBits(4e6), 0}));
        }
        tags.sort((a, b) -> Integer.compare(a.tag(), b.tag()));
        int ifdAt = payloadAt + payload.length;
        ifdAt += ifdAt & 1;
        int extAt = ifdAt + 2 + tags.size() * 12 + 4;
        int ext = 0;
        for (Tag t : tags) {
            int bytes = t.values().length * typeSize(t.type());
            if (bytes > 4) ext += bytes;
        }
        ByteBuffer b = ByteBuffer.allocate(extAt + ext).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifdAt);
        b.position(payloadAt);
        b.put(payload);
        b.position(ifdAt);
        b.putShort((short) tags.size());
        int next = extAt;
        for (Tag t : tags) {
            int bytes = t.values().length * typeSize(t.type());
            b.putShort((short) t.tag()).putShort((short) t.type()).putInt(t.values().length);
            if (bytes <= 4) {
                int pos = b.position();
                putValues(b, t);
                b.position(pos + 4);
            } else {
                b.putInt(next);
                int pos = b.position();
                b.position(next);
                putValues(b, t);
                next = b.position();
                b.position(pos);
            }
        }
        b.putInt(0);
        return b.array();
    }

    static int typeSize(int type) {
        return type == 3 ? 2 : type == 12 ? 8 : 4;
    }

    static void putValues(ByteBuffer b, Tag t) {
        for (long v : t.values()) {
            if (t.type() == 3) b.putShort((short) v);
            else if (t.type() == 12) b.putLong(v);
            else b.putInt((int) v);
        }
    }
}
