package io.cdiffset.io.raster;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Little-endian classic TIFF writer: U8 (values rounded and clamped to 0..255) or F32 samples, N bands
 * pixel-interleaved, strips, no compression or Deflate, with GeoTIFF tags written back verbatim.
 */
final class TiffWriter {

    private TiffWriter() {
    }

    private record Entry(int tag, int type, int count, byte[] data) {
    }

    static void write(Path file, Raster r, GeoInfo geo, TiffCompression comp) throws IOException {
        boolean u8 = r.sampleType() == SampleType.U8;
        int bps = u8 ? 1 : 4;
        int w = r.width();
        int h = r.height();
        int nb = r.bands();
        long rowBytesL = (long) w * nb * bps;
        if (rowBytesL > Integer.MAX_VALUE / 2) {
            throw new IOException("row of " + rowBytesL + " bytes is too large");
        }
        int rowBytes = (int) rowBytesL;
        int rps = (int) Math.max(1, Math.min(h, (256 * 1024) / Math.max(1, rowBytes)));
        int strips = (h + rps - 1) / rps;
        long[] offs = new long[strips];
        long[] cnts = new long[strips];
        float[] d = r.data();
        int plane = w * h;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.CREATE)) {
            ByteBuffer hdr = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            hdr.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(0).flip();
            writeFully(ch, hdr, 0);
            long pos = 8;
            for (int s = 0; s < strips; s++) {
                int y0 = s * rps;
                int rows = Math.min(rps, h - y0);
                ByteBuffer buf = ByteBuffer.allocate(rows * rowBytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int y = y0; y < y0 + rows; y++) {
                    int rowBase = y * w;
                    for (int x = 0; x < w; x++) {
                        for (int b = 0; b < nb; b++) {
                            float v = d[b * plane + rowBase + x];
                            if (u8) {
                                buf.put(toU8(v));
                            } else {
                                buf.putFloat(v);
                            }
                        }
                    }
                }
                byte[] bytes = buf.array();
                if (comp == TiffCompression.DEFLATE) {
                    bytes = Codecs.deflate(bytes, 0, bytes.length);
                }
                offs[s] = pos;
                cnts[s] = bytes.length;
                writeFully(ch, ByteBuffer.wrap(bytes), pos);
                pos += bytes.length;
                if (pos > 0xFFFFFFFFL - 1_000_000) {
                    throw new IOException("output exceeds 4 GB, too large for classic TIFF; write smaller tiles");
                }
            }
            if ((pos & 1) != 0) {
                writeFully(ch, ByteBuffer.wrap(new byte[1]), pos);
                pos++;
            }
            List<Entry> es = new ArrayList<>();
            es.add(longs(256, w));
            es.add(longs(257, h));
            short[] bpsArr = new short[nb];
            short[] fmt = new short[nb];
            for (int b = 0; b < nb; b++) {
                bpsArr[b] = (short) (bps * 8);
                fmt[b] = (short) (u8 ? 1 : 3);
            }
            es.add(shorts(258, bpsArr));
            es.add(shorts(259, (short) (comp == TiffCompression.DEFLATE ? 8 : 1)));
            boolean rgb = u8 && nb == 3;
            es.add(shorts(262, (short) (rgb ? 2 : 1)));
            es.add(longs(273, offs));
            es.add(shorts(277, (short) nb));
            es.add(longs(278, rps));
            es.add(longs(279, cnts));
            es.add(shorts(284, (short) 1));
            int extra = nb - (rgb ? 3 : 1);
            if (extra > 0) {
                es.add(shorts(338, new short[extra]));
            }
            es.add(shorts(339, fmt));
            if (geo != null) {
                if (geo.pixelScale() != null) {
                    es.add(doubles(GeoInfo.TAG_MODEL_PIXEL_SCALE, geo.pixelScale()));
                }
                if (geo.tiePoints() != null) {
                    es.add(doubles(GeoInfo.TAG_MODEL_TIEPOINT, geo.tiePoints()));
                }
                if (geo.modelTransformation() != null) {
                    es.add(doubles(GeoInfo.TAG_MODEL_TRANSFORMATION, geo.modelTransformation()));
                }
                if (geo.geoKeyDirectory() != null) {
                    es.add(shorts(GeoInfo.TAG_GEO_KEY_DIRECTORY, geo.geoKeyDirectory()));
                }
                if (geo.geoDoubleParams() != null) {
                    es.add(doubles(GeoInfo.TAG_GEO_DOUBLE_PARAMS, geo.geoDoubleParams()));
                }
                if (geo.geoAsciiParams() != null) {
                    es.add(ascii(GeoInfo.TAG_GEO_ASCII_PARAMS, geo.geoAsciiParams()));
                }
                if (geo.noData() != null) {
                    es.add(ascii(GeoInfo.TAG_GDAL_NODATA, geo.noData()));
                }
            }
            es.sort(Comparator.comparingInt(Entry::tag));
            long ifdOff = pos;
            int ifdSize = 2 + es.size() * 12 + 4;
            long extraOff = ifdOff + ifdSize;
            ByteBuffer ifd = ByteBuffer.allocate(ifdSize).order(ByteOrder.LITTLE_ENDIAN);
            List<byte[]> overflow = new ArrayList<>();
            ifd.putShort((short) es.size());
            for (Entry e : es) {
                ifd.putShort((short) e.tag).putShort((short) e.type).putInt(e.count);
                if (e.data.length <= 4) {
                    byte[] v = new byte[4];
                    System.arraycopy(e.data, 0, v, 0, e.data.length);
                    ifd.put(v);
                } else {
                    ifd.putInt((int) extraOff);
                    overflow.add(e.data);
                    extraOff += e.data.length + (e.data.length & 1);
                }
            }
            ifd.putInt(0);
            ifd.flip();
            writeFully(ch, ifd, ifdOff);
            long p = ifdOff + ifdSize;
            for (byte[] o : overflow) {
                writeFully(ch, ByteBuffer.wrap(o), p);
                p += o.length;
                if ((o.length & 1) != 0) {
                    writeFully(ch, ByteBuffer.wrap(new byte[1]), p);
                    p++;
                }
            }
            ByteBuffer off = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            off.putInt((int) ifdOff).flip();
            writeFully(ch, off, 4);
            ch.force(true);
        }
    }

    static byte toU8(float v) {
        if (!(v > 0)) {
            return 0; // also NaN
        }
        if (v >= 255) {
            return (byte) 255;
        }
        return (byte) Math.round(v);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    private static Entry shorts(int tag, short... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : v) {
            b.putShort(s);
        }
        return new Entry(tag, 3, v.length, b.array());
    }

    private static Entry longs(int tag, long... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long s : v) {
            b.putInt((int) s);
        }
        return new Entry(tag, 4, v.length, b.array());
    }

    private static Entry doubles(int tag, double[] v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double s : v) {
            b.putDouble(s);
        }
        return new Entry(tag, 12, v.length, b.array());
    }

    private static Entry ascii(int tag, String s) {
        byte[] str = s.getBytes(StandardCharsets.ISO_8859_1);
        byte[] z = new byte[str.length + 1];
        System.arraycopy(str, 0, z, 0, str.length);
        return new Entry(tag, 2, z.length, z);
    }
}
