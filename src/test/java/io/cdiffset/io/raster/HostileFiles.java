package io.cdiffset.io.raster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Crafted images of issue #13: tiny files whose headers declare gigapixels. */
public final class HostileFiles {
    private HostileFiles() {}

    /** A valid PNG header declaring {@code w x h} grey 8-bit pixels and a tiny IDAT (a few hundred bytes in all). */
    public static Path png(Path file, int w, int h) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(o, "IHDR", ihdr.array());
        Deflater d = new Deflater(9);
        d.setInput(new byte[200_000]);
        d.finish();
        byte[] buf = new byte[4096];
        int n = d.deflate(buf);
        d.end();
        byte[] idat = java.util.Arrays.copyOf(buf, n);
        chunk(o, "IDAT", idat);
        chunk(o, "IEND", new byte[0]);
        Files.write(file, o.toByteArray());
        return file;
    }

    private static void chunk(ByteArrayOutputStream o, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        o.write(ByteBuffer.allocate(4).putInt(data.length).array());
        o.write(t);
        o.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        o.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /**
     * An uncompressed 8-bit grey TIFF declaring {@code size x size} pixels in strips of one row, every strip pointing
     * at the same single row of data (for 100,000: about 900 KB).
     */
    public static Path tiffStripsOnOneRow(Path file, int size) throws IOException {
        int entries = 9;
        int ifd = 8;
        int ifdLen = 2 + entries * 12 + 4;
        int offsetsAt = ifd + ifdLen;
        int countsAt = offsetsAt + 4 * size;
        int rowAt = countsAt + 4 * size;
        ByteBuffer b = ByteBuffer.allocate(rowAt + size).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifd);
        b.putShort((short) entries);
        entry(b, 256, 4, 1, size);
        entry(b, 257, 4, 1, size);
        entry(b, 258, 3, 1, 8);
        entry(b, 259, 3, 1, 1);
        entry(b, 262, 3, 1, 1);
        entry(b, 273, 4, size, offsetsAt);
        entry(b, 277, 3, 1, 1);
        entry(b, 278, 4, 1, 1);
        entry(b, 279, 4, size, countsAt);
        b.putInt(0);
        for (int i = 0; i < size; i++) b.putInt(rowAt);
        for (int i = 0; i < size; i++) b.putInt(size);
        Files.write(file, b.array());
        return file;
    }

    private static void entry(ByteBuffer b, int tag, int type, int count, int value) {
        b.putShort((short) tag).putShort((short) type).putInt(count);
        if (type == 3 && count == 1) b.putShort((short) value).putShort((short) 0);
        else b.putInt(value);
    }
}
