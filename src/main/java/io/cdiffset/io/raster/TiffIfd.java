package io.cdiffset.io.raster;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A little-endian classic-TIFF image file directory, as both TIFF writers ({@link TiffStreamWriter},
 * {@link CogWriter}) emit it: entries sorted by tag, values of more than 4 bytes after the directory, each padded to
 * an even length.
 */
final class TiffIfd {
    private TiffIfd() {}

    /** One directory entry: tag, TIFF field type, value count and the value bytes. */
    record Entry(int tag, int type, int count, byte[] data) {}

    static Entry shorts(int tag, short... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : v) b.putShort(s);
        return new Entry(tag, 3, v.length, b.array());
    }

    static Entry longs(int tag, long... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long s : v) b.putInt((int) s);
        return new Entry(tag, 4, v.length, b.array());
    }

    static Entry doubles(int tag, double[] v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double s : v) b.putDouble(s);
        return new Entry(tag, 12, v.length, b.array());
    }

    static Entry ascii(int tag, String s) {
        byte[] str = s.getBytes(StandardCharsets.ISO_8859_1);
        byte[] z = new byte[str.length + 1];
        System.arraycopy(str, 0, z, 0, str.length);
        return new Entry(tag, 2, z.length, z);
    }

    /** Bytes of the directory and its overflow values. */
    static long size(List<Entry> es) {
        long n = 2 + 12L * es.size() + 4;
        for (Entry e : es) if (e.data().length > 4) n += e.data().length + (e.data().length & 1);
        return n;
    }

    /** The directory written at file offset {@code at}, pointing to the next one at {@code nextIfd} (0: the last). */
    static ByteBuffer encode(List<Entry> es, long at, long nextIfd) {
        ByteBuffer b = ByteBuffer.allocate((int) size(es)).order(ByteOrder.LITTLE_ENDIAN);
        long extra = at + 2 + 12L * es.size() + 4;
        List<byte[]> overflow = new ArrayList<>();
        b.putShort((short) es.size());
        for (Entry e : es) {
            b.putShort((short) e.tag()).putShort((short) e.type()).putInt(e.count());
            if (e.data().length <= 4) {
                byte[] v = new byte[4];
                System.arraycopy(e.data(), 0, v, 0, e.data().length);
                b.put(v);
            } else {
                b.putInt((int) extra);
                overflow.add(e.data());
                extra += e.data().length + (e.data().length & 1);
            }
        }
        b.putInt((int) nextIfd);
        for (byte[] o : overflow) {
            b.put(o);
            if ((o.length & 1) != 0) b.put((byte) 0);
        }
        return b.flip();
    }
}
