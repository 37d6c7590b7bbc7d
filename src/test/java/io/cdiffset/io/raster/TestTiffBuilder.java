package io.cdiffset.io.raster;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.zip.Deflater;

/**
 * Independent tiny TIFF encoder used only by tests to produce layouts the production writer never emits
 * (tiles, big-endian, predictors, planar 2, 16-bit, PackBits, BigTIFF).
 */
final class TestTiffBuilder {
    ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    boolean bigTiff;
    int width, height, spp = 1, bits = 8, format = 1; // 1 uint, 2 int, 3 float
    int compression = 1; // 1, 8, 32946, 32773
    int predictor = 1;
    int planar = 1;
    int tileW, tileH; // 0 = strips
    int rowsPerStrip;
    int[] extraSamples;
    float[] data; // band-sequential raw values
    TreeMap<Integer, Object[]> extraTags = new TreeMap<>(); // tag -> {type, value array}

    TestTiffBuilder(int w, int h, int spp, int bits, int format, float[] data) {
        this.width = w;
        this.height = h;
        this.spp = spp;
        this.bits = bits;
        this.format = format;
        this.data = data;
        this.rowsPerStrip = h;
    }

    private int bps() {
        return bits / 8;
    }

    private void putSample(ByteBuffer b, long v) {
        switch (bits) {
            case 8 -> b.put((byte) v);
            case 16 -> b.putShort((short) v);
            case 32 -> b.putInt((int) v);
            default -> b.putLong(v);
        }
    }

    private long rawBits(float v) {
        if (format == 3) {
            return bits == 32 ? Float.floatToRawIntBits(v) & 0xFFFFFFFFL : Double.doubleToRawLongBits(v);
        }
        return (long) v;
    }

    /** Encodes one block (cols x rows of stored samples; tiles are padded). */
    private byte[] block(int plane, int x0, int y0, int cols, int rows) {
        int spb = planar == 1 ? spp : 1;
        int rowSamples = cols * spb;
        ByteBuffer out = ByteBuffer.allocate(rows * rowSamples * bps()).order(order);
        for (int r = 0; r < rows; r++) {
            long[] row = new long[rowSamples];
            for (int c = 0; c < cols; c++) {
                for (int s = 0; s < spb; s++) {
                    int band = planar == 1 ? s : plane;
                    int x = x0 + c;
                    int y = y0 + r;
                    float v = x < width && y < height ? data[band * width * height + y * width + x] : 0f;
                    row[c * spb + s] = rawBits(v);
                }
            }
            if (predictor == 2) {
                long mask = bits == 64 ? -1L : (1L << bits) - 1;
                for (int i = rowSamples - 1; i >= spb; i--) {
                    row[i] = (row[i] - row[i - spb]) & mask;
                }
            }
            if (predictor == 3) {
                // byte-plane shuffle (big-endian byte order of each value), then byte differencing with stride spb
                int bps = bps();
                byte[] tmp = new byte[rowSamples * bps];
                for (int i = 0; i < rowSamples; i++) {
                    for (int k = 0; k < bps; k++) {
                        tmp[k * rowSamples + i] = (byte) (row[i] >>> (8 * (bps - 1 - k)));
                    }
                }
                for (int i = tmp.length - 1; i >= spb; i--) {
                    tmp[i] = (byte) (tmp[i] - tmp[i - spb]);
                }
                out.put(tmp);
            } else {
                for (long v : row) {
                    putSample(out, v);
                }
            }
        }
        return compress(out.array());
    }

    private byte[] compress(byte[] raw) {
        switch (compression) {
            case 1:
                return raw;
            case 8:
            case 32946: {
                Deflater d = new Deflater();
                d.setInput(raw);
                d.finish();
                ByteArrayOutputStream bo = new ByteArrayOutputStream();
                byte[] buf = new byte[4096];
                while (!d.finished()) {
                    bo.write(buf, 0, d.deflate(buf));
                }
                d.end();
                return bo.toByteArray();
            }
            case 32773: {
                ByteArrayOutputStream bo = new ByteArrayOutputStream();
                int i = 0;
                while (i < raw.length) {
                    // runs of >= 3 equal bytes as repeat packets, the rest as literals
                    int run = 1;
                    while (i + run < raw.length && run < 128 && raw[i + run] == raw[i]) {
                        run++;
                    }
                    if (run >= 3) {
                        bo.write(1 - run);
                        bo.write(raw[i]);
                        i += run;
                    } else {
                        int n = Math.min(128, raw.length - i);
                        int lit = 0;
                        while (lit < n) {
                            if (i + lit + 2 < raw.length && raw[i + lit] == raw[i + lit + 1]
                                    && raw[i + lit] == raw[i + lit + 2]) {
                                break;
                            }
                            lit++;
                        }
                        lit = Math.max(lit, 1);
                        bo.write(lit - 1);
                        bo.write(raw, i, lit);
                        i += lit;
                    }
                }
                return bo.toByteArray();
            }
            default:
                throw new IllegalArgumentException("test builder cannot compress " + compression);
        }
    }

    byte[] build() {
        boolean tiled = tileW > 0;
        int bw = tiled ? tileW : width;
        int bh = tiled ? tileH : rowsPerStrip;
        int across = (width + bw - 1) / bw;
        int down = (height + bh - 1) / bh;
        int planes = planar == 1 ? 1 : spp;
        List<byte[]> blocks = new ArrayList<>();
        for (int p = 0; p < planes; p++) {
            for (int by = 0; by < down; by++) {
                for (int bx = 0; bx < across; bx++) {
                    int rows = tiled ? bh : Math.min(bh, height - by * bh);
                    blocks.add(block(p, bx * bw, by * bh, bw, rows));
                }
            }
        }
        int headerSize = bigTiff ? 16 : 8;
        long pos = headerSize;
        long[] offs = new long[blocks.size()];
        long[] cnts = new long[blocks.size()];
        for (int i = 0; i < blocks.size(); i++) {
            offs[i] = pos;
            cnts[i] = blocks.get(i).length;
            pos += cnts[i];
        }
        TreeMap<Integer, Object[]> tags = new TreeMap<>(extraTags);
        tags.put(256, new Object[]{4, new long[]{width}});
        tags.put(257, new Object[]{4, new long[]{height}});
        long[] bpsArr = new long[spp];
        long[] fmtArr = new long[spp];
        java.util.Arrays.fill(bpsArr, bits);
        java.util.Arrays.fill(fmtArr, format);
        tags.put(258, new Object[]{3, bpsArr});
        tags.put(259, new Object[]{3, new long[]{compression}});
        tags.put(262, new Object[]{3, new long[]{1}});
        tags.put(277, new Object[]{3, new long[]{spp}});
        tags.put(284, new Object[]{3, new long[]{planar}});
        if (predictor != 1) {
            tags.put(317, new Object[]{3, new long[]{predictor}});
        }
        tags.put(339, new Object[]{3, fmtArr});
        if (extraSamples != null) {
            long[] e = new long[extraSamples.length];
            for (int i = 0; i < e.length; i++) {
                e[i] = extraSamples[i];
            }
            tags.put(338, new Object[]{3, e});
        }
        int offType = bigTiff ? 16 : 4;
        if (tiled) {
            tags.put(322, new Object[]{3, new long[]{tileW}});
            tags.put(323, new Object[]{3, new long[]{tileH}});
            tags.put(324, new Object[]{offType, offs});
            tags.put(325, new Object[]{offType, cnts});
        } else {
            tags.put(273, new Object[]{offType, offs});
            tags.put(278, new Object[]{4, new long[]{rowsPerStrip}});
            tags.put(279, new Object[]{offType, cnts});
        }
        // IFD
        int entrySize = bigTiff ? 20 : 12;
        int inline = bigTiff ? 8 : 4;
        long ifdOff = pos + (pos & 1);
        long ifdSize = (bigTiff ? 8 : 2) + (long) tags.size() * entrySize + (bigTiff ? 8 : 4);
        long extraOff = ifdOff + ifdSize;
        ByteBuffer ifd = ByteBuffer.allocate((int) ifdSize).order(order);
        ByteArrayOutputStream overflow = new ByteArrayOutputStream();
        if (bigTiff) {
            ifd.putLong(tags.size());
        } else {
            ifd.putShort((short) tags.size());
        }
        for (var e : tags.entrySet()) {
            int type = (Integer) e.getValue()[0];
            byte[] val = encode(type, e.getValue()[1]);
            int count = type == 2 ? val.length : Array.count(e.getValue()[1]);
            ifd.putShort((short) (int) e.getKey()).putShort((short) type);
            if (bigTiff) {
                ifd.putLong(count);
            } else {
                ifd.putInt(count);
            }
            if (val.length <= inline) {
                byte[] pad = new byte[inline];
                System.arraycopy(val, 0, pad, 0, val.length);
                ifd.put(pad);
            } else {
                long o = extraOff + overflow.size();
                if (bigTiff) {
                    ifd.putLong(o);
                } else {
                    ifd.putInt((int) o);
                }
                overflow.writeBytes(val);
                if ((val.length & 1) == 1) {
                    overflow.write(0);
                }
            }
        }
        if (bigTiff) {
            ifd.putLong(0);
        } else {
            ifd.putInt(0);
        }
        ByteBuffer all = ByteBuffer.allocate((int) (extraOff + overflow.size())).order(order);
        all.put((byte) (order == ByteOrder.LITTLE_ENDIAN ? 'I' : 'M'));
        all.put((byte) (order == ByteOrder.LITTLE_ENDIAN ? 'I' : 'M'));
        if (bigTiff) {
            all.putShort((short) 43).putShort((short) 8).putShort((short) 0).putLong(ifdOff);
        } else {
            all.putShort((short) 42).putInt((int) ifdOff);
        }
        for (byte[] b : blocks) {
            all.put(b);
        }
        all.position((int) ifdOff);
        all.put(ifd.array());
        all.put(overflow.toByteArray());
        return all.array();
    }

    private static final class Array {
        static int count(Object o) {
            if (o instanceof long[] l) {
                return l.length;
            }
            if (o instanceof double[] d) {
                return d.length;
            }
            return ((String) o).length() + 1;
        }
    }

    private byte[] encode(int type, Object v) {
        if (type == 2) {
            byte[] s = ((String) v).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            return java.util.Arrays.copyOf(s, s.length + 1);
        }
        if (type == 12) {
            double[] d = (double[]) v;
            ByteBuffer b = ByteBuffer.allocate(8 * d.length).order(order);
            for (double x : d) {
                b.putDouble(x);
            }
            return b.array();
        }
        long[] l = (long[]) v;
        int size = type == 3 ? 2 : type == 4 ? 4 : 8;
        ByteBuffer b = ByteBuffer.allocate(size * l.length).order(order);
        for (long x : l) {
            if (size == 2) {
                b.putShort((short) x);
            } else if (size == 4) {
                b.putInt((int) x);
            } else {
                b.putLong(x);
            }
        }
        return b.array();
    }
}
