package io.cdiffset.io.raster;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Fuzzing (issue #13): JPEG files whose start-of-frame header lies (dimensions up to 65,535 x 65,535, zero,
 * precision, component count and sampling factors, the SOF type: progressive, lossless, arithmetic), with the scan
 * data kept, truncated or cut off. Every file must read (header, size check, pixels) or fail with one
 * {@link RasterException} / IllegalArgumentException line; nothing else, and a file is never decoded at a size its
 * data cannot hold. Bounded: a few hundred tries, a few seconds.
 */
class JpegFuzzTest {
    static final byte[] GREY = encode(BufferedImage.TYPE_BYTE_GRAY), RGB = encode(BufferedImage.TYPE_3BYTE_BGR);

    static byte[] encode(int type) {
        BufferedImage img = new BufferedImage(24, 16, type);
        for (int y = 0; y < 16; y++) for (int x = 0; x < 24; x++) img.setRGB(x, y, (x * 10) << 16 | (y * 15) << 8 | (x + y) * 5);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            assertTrue(ImageIO.write(img, "jpg", out));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Offset of the SOF0 marker (FF C0) in a JPEG written by javax.imageio. */
    static int sof(byte[] b) {
        for (int i = 2; i + 1 < b.length; i++) if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xC0) return i;
        throw new AssertionError("no SOF0");
    }

    record Case(boolean rgb, int width, int height, int sofType, int precision, int sampling, int cut) {}

    @Provide
    Arbitrary<Case> jpegs() {
        Arbitrary<Integer> size = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.integers().between(1, 64)),
                Tuple.of(3, Arbitraries.of(0, 1, 8, 2400, 4096, 12_000, 46_000, 65_535)));
        return Combinators.combine(List.of(Arbitraries.of(false, true).asGeneric(), size.asGeneric(), size.asGeneric(),
                        Arbitraries.of(0xC0, 0xC0, 0xC0, 0xC1, 0xC2, 0xC3, 0xC9, 0xCF).asGeneric(), Arbitraries.of(8, 8, 8, 12, 16, 0).asGeneric(),
                        Arbitraries.of(-1, -1, 0x11, 0x22, 0x44, 0x41, 0x00, 0xFF).asGeneric(),
                        Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(1, 400))).asGeneric()))
                .as(v -> new Case((Boolean) v.get(0), (Integer) v.get(1), (Integer) v.get(2), (Integer) v.get(3), (Integer) v.get(4),
                        (Integer) v.get(5), (Integer) v.get(6)));
    }

    static byte[] build(Case c) {
        byte[] b = (c.rgb() ? RGB : GREY).clone();
        int s = sof(b);
        b[s + 1] = (byte) c.sofType();
        b[s + 4] = (byte) c.precision();
        b[s + 5] = (byte) (c.height() >> 8);
        b[s + 6] = (byte) c.height();
        b[s + 7] = (byte) (c.width() >> 8);
        b[s + 8] = (byte) c.width();
        if (c.sampling() >= 0) b[s + 11] = (byte) c.sampling(); // first component's HxV sampling factors
        int keep = Math.max(s + 12, b.length - c.cut());
        return java.util.Arrays.copyOf(b, keep);
    }

    @Property(tries = 300, edgeCases = EdgeCasesMode.NONE, seed = "13")
    void everyJpegReadsOrFailsInOneLine(@ForAll("jpegs") Case c) throws Exception {
        Path f = Files.createTempFile("fuzz", ".jpg");
        try {
            byte[] bytes = build(c);
            Files.write(f, bytes);
            try {
                RasterHeader h = Rasters.readHeader(f);
                Rasters.checkPixels(f, h, null);
                assertTrue((long) h.width() * h.height() <= bytes.length * Rasters.JPEG_MAX_PIXELS_PER_BYTE + 65536,
                        "passed the size check with too little data: " + c);
                Raster r = Rasters.read(f);
                assertEquals((long) r.width() * r.height() * r.bands(), r.data().length);
                Statistics.collect("read");
            } catch (RasterException | IllegalArgumentException e) {
                Statistics.collect("refused");
                assertNotNull(e.getMessage(), c.toString());
                assertEquals(1, e.getMessage().lines().count(), e.getMessage());
            } catch (Throwable t) {
                throw new AssertionError("crash on " + c + ": " + t, t);
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /** A few hundred bytes declaring 12,000 x 12,000 (under the pixel limit) are refused before anything is decoded. */
    @Example
    void aSmallFileDeclaringAHugeImageIsRefusedBeforeDecoding() throws Exception {
        Path f = Files.createTempFile("huge", ".jpg");
        try {
            Files.write(f, build(new Case(true, 12_000, 12_000, 0xC0, 8, -1, 0)));
            RasterHeader h = Rasters.readHeader(f);
            assertEquals(12_000, h.width());
            RasterException e = assertThrows(RasterException.class, () -> Rasters.checkPixels(f, h, null));
            assertTrue(e.getMessage().contains("too little data") && e.getMessage().contains("12000x12000"), e.getMessage());
            e = assertThrows(RasterException.class, () -> Rasters.read(f));
            assertTrue(e.getMessage().contains("too little data"), e.getMessage());
            // an honest JPEG still reads
            Files.write(f, RGB);
            assertEquals(24, Rasters.read(f).width());
            // and so does the most compressible one: a flat 2048 x 2048 image (the smallest data per pixel a real encoder writes)
            BufferedImage flat = new BufferedImage(2048, 2048, BufferedImage.TYPE_BYTE_GRAY);
            assertTrue(ImageIO.write(flat, "jpg", f.toFile()));
            System.out.println("flat 2048x2048 JPEG: " + Files.size(f) + " bytes, " + (2048L * 2048 / Files.size(f)) + " pixels per byte (limit "
                    + Rasters.JPEG_MAX_PIXELS_PER_BYTE + ")");
            Rasters.checkPixels(f, Rasters.readHeader(f), null);
            assertEquals(2048, Rasters.read(f).height());
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
