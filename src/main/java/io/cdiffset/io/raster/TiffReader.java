package io.cdiffset.io.raster;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Minimal baseline TIFF / GeoTIFF / BigTIFF reader (first image only). Supports strips and tiles, compression
 * none/LZW/Deflate/PackBits, predictors 2 (integers) and 3 (floats), planar configuration 1 and 2, 8/16/32-bit
 * (un)signed integers and 32/64-bit floats, any number of samples per pixel. Alpha extra samples are dropped.
 */
final class TiffReader implements Closeable {

    static final int WIDTH = 256, HEIGHT = 257, BITS = 258, COMPRESSION = 259, PHOTOMETRIC = 262, FILL_ORDER = 266,
            STRIP_OFFSETS = 273, SPP = 277, ROWS_PER_STRIP = 278, STRIP_BYTE_COUNTS = 279, PLANAR = 284,
            PREDICTOR = 317, TILE_WIDTH = 322, TILE_LENGTH = 323, TILE_OFFSETS = 324, TILE_BYTE_COUNTS = 325,
            EXTRA_SAMPLES = 338, SAMPLE_FORMAT = 339;

    private static final Set<Integer> KNOWN = Set.of(WIDTH, HEIGHT, BITS, COMPRESSION, PHOTOMETRIC, FILL_ORDER,
            STRIP_OFFSETS, SPP, ROWS_PER_STRIP, STRIP_BYTE_COUNTS, PLANAR, PREDICTOR, TILE_WIDTH, TILE_LENGTH,
            TILE_OFFSETS, TILE_BYTE_COUNTS, EXTRA_SAMPLES, SAMPLE_FORMAT, GeoInfo.TAG_MODEL_PIXEL_SCALE,
            GeoInfo.TAG_MODEL_TIEPOINT, GeoInfo.TAG_MODEL_TRANSFORMATION, GeoInfo.TAG_GEO_KEY_DIRECTORY,
            GeoInfo.TAG_GEO_DOUBLE_PARAMS, GeoInfo.TAG_GEO_ASCII_PARAMS, GeoInfo.TAG_GDAL_NODATA);

    private static final class Field {
        long[] longs;
        double[] doubles;
        String ascii;
    }

    private final Path path;
    private final String name;
    private final FileChannel ch;
    private final long size;
    private ByteOrder order;
    private boolean big;
    private final Map<Integer, Field> fields = new HashMap<>();

    // layout
    private int width, height, spp, bits, format, compression, planar, predictor;
    private boolean tiled;
    private int blockW, blockH; // tile size, or (width, rowsPerStrip) for strips
    private long[] offsets, counts;
    private int[] bandOf; // sample index -> output band, -1 = dropped alpha
    private int outBands;
    private SampleType sampleType;
    private GeoInfo geo;
    private String geoProblem;

    private TiffReader(Path path) throws IOException {
        this.path = path;
        this.name = path.toString();
        this.ch = FileChannel.open(path, StandardOpenOption.READ);
        this.size = ch.size();
    }

    static TiffReader open(Path path) throws IOException {
        TiffReader r = new TiffReader(path);
        try {
            r.parse();
            return r;
        } catch (RuntimeException | IOException e) {
            r.close();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    RasterHeader header() {
        return new RasterHeader(width, height, outBands, sampleType, big ? "BigTIFF" : "TIFF", geo);
    }

    private RasterException corrupt(String what) {
        return new RasterException("corrupt TIFF " + name + ": " + what + "; re-export or re-download the image");
    }

    private RasterException unsupported(String what, String todo) {
        return new RasterException("unsupported TIFF " + name + ": " + what + "; " + todo);
    }

    private byte[] readAt(long off, long len, String what) throws IOException {
        if (off < 0 || len < 0 || off > size) {
            throw corrupt(what + " offset " + off + " is past the end of the file (" + size + " bytes)");
        }
        if (off + len > size) {
            throw corrupt(what + " (offset " + off + ", " + len + " bytes) extends past the end of the file ("
                    + size + " bytes), the file is truncated");
        }
        if (len > Integer.MAX_VALUE - 16) {
            throw corrupt(what + " claims " + len + " bytes");
        }
        ByteBuffer bb = ByteBuffer.allocate((int) len);
        long p = off;
        while (bb.hasRemaining()) {
            int n = ch.read(bb, p);
            if (n < 0) {
                throw corrupt(what + " ends early at offset " + p + ", the file is truncated");
            }
            p += n;
        }
        return bb.array();
    }

    // ---------------------------------------------------------------- IFD parsing

    private void parse() throws IOException {
        if (size < 8) {
            throw corrupt("the file is only " + size + " bytes, too short for a TIFF header");
        }
        byte[] h = readAt(0, Math.min(16, size), "header");
        if (h[0] == 'I' && h[1] == 'I') {
            order = ByteOrder.LITTLE_ENDIAN;
        } else if (h[0] == 'M' && h[1] == 'M') {
            order = ByteOrder.BIG_ENDIAN;
        } else {
            throw corrupt("bad byte-order mark (expected II or MM)");
        }
        ByteBuffer hb = ByteBuffer.wrap(h).order(order);
        int magic = hb.getShort(2) & 0xFFFF;
        long ifd;
        if (magic == 42) {
            ifd = hb.getInt(4) & 0xFFFFFFFFL;
        } else if (magic == 43) {
            if (h.length < 16) {
                throw corrupt("the file is too short for a BigTIFF header");
            }
            big = true;
            ifd = hb.getLong(8);
        } else {
            throw corrupt("bad TIFF magic number " + magic + " (expected 42 or 43)");
        }
        if (ifd < 8 || ifd >= size) {
            throw corrupt("first IFD offset " + ifd + " is past the end of the file (" + size + " bytes)");
        }
        parseIfd(ifd);
        layout();
    }

    private void parseIfd(long off) throws IOException {
        int countSize = big ? 8 : 2;
        int entrySize = big ? 20 : 12;
        ByteBuffer cb = ByteBuffer.wrap(readAt(off, countSize, "IFD")).order(order);
        long n = big ? cb.getLong(0) : cb.getShort(0) & 0xFFFF;
        if (n <= 0 || n > 10000) {
            throw corrupt("IFD at offset " + off + " has " + n + " entries");
        }
        ByteBuffer eb = ByteBuffer.wrap(readAt(off + countSize, n * entrySize, "IFD")).order(order);
        for (int i = 0; i < n; i++) {
            int base = i * entrySize;
            int tag = eb.getShort(base) & 0xFFFF;
            int type = eb.getShort(base + 2) & 0xFFFF;
            long count = big ? eb.getLong(base + 4) : eb.getInt(base + 4) & 0xFFFFFFFFL;
            if (!KNOWN.contains(tag)) {
                continue;
            }
            int ts = typeSize(type);
            if (ts == 0) {
                continue; // unknown type: ignore per spec
            }
            if (count < 0 || count > size) {
                throw corrupt("tag " + tag + " has an impossible count " + count);
            }
            long total = count * ts;
            int inline = big ? 8 : 4;
            byte[] data;
            if (total <= inline) {
                data = new byte[(int) total];
                eb.get(base + (big ? 12 : 8), data);
            } else {
                long voff = big ? eb.getLong(base + 12) : eb.getInt(base + 8) & 0xFFFFFFFFL;
                data = readAt(voff, total, "tag " + tag + " data");
            }
            fields.put(tag, decodeField(type, (int) count, data));
        }
    }

    private static int typeSize(int type) {
        switch (type) {
            case 1: case 2: case 6: case 7: return 1;
            case 3: case 8: return 2;
            case 4: case 9: case 11: case 13: return 4;
            case 5: case 10: case 12: case 16: case 17: case 18: return 8;
            default: return 0;
        }
    }

    private Field decodeField(int type, int count, byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(order);
        Field f = new Field();
        if (type == 2) {
            int end = data.length;
            while (end > 0 && data[end - 1] == 0) {
                end--;
            }
            f.ascii = new String(data, 0, end, StandardCharsets.ISO_8859_1);
            return f;
        }
        long[] l = new long[count];
        double[] d = new double[count];
        for (int i = 0; i < count; i++) {
            switch (type) {
                case 1, 7 -> l[i] = data[i] & 0xFF;
                case 6 -> l[i] = data[i];
                case 3 -> l[i] = b.getShort(2 * i) & 0xFFFF;
                case 8 -> l[i] = b.getShort(2 * i);
                case 4, 13 -> l[i] = b.getInt(4 * i) & 0xFFFFFFFFL;
                case 9 -> l[i] = b.getInt(4 * i);
                case 16, 17, 18 -> l[i] = b.getLong(8 * i);
                case 5 -> {
                    long num = b.getInt(8 * i) & 0xFFFFFFFFL;
                    long den = b.getInt(8 * i + 4) & 0xFFFFFFFFL;
                    d[i] = den == 0 ? 0 : (double) num / den;
                }
                case 10 -> {
                    long num = b.getInt(8 * i);
                    long den = b.getInt(8 * i + 4);
                    d[i] = den == 0 ? 0 : (double) num / den;
                }
                case 11 -> d[i] = b.getFloat(4 * i);
                case 12 -> d[i] = b.getDouble(8 * i);
                default -> {
                }
            }
            if (type != 5 && type != 10 && type != 11 && type != 12) {
                d[i] = l[i];
            } else {
                l[i] = (long) d[i];
            }
        }
        f.longs = l;
        f.doubles = d;
        return f;
    }

    private long[] longs(int tag) {
        Field f = fields.get(tag);
        return f == null ? null : f.longs;
    }

    private long longOr(int tag, long dflt) {
        long[] v = longs(tag);
        return v == null || v.length == 0 ? dflt : v[0];
    }

    private double[] doubles(int tag) {
        Field f = fields.get(tag);
        return f == null ? null : f.doubles;
    }

    private String ascii(int tag) {
        Field f = fields.get(tag);
        return f == null ? null : f.ascii;
    }

    private void layout() {
        if (!fields.containsKey(WIDTH) || !fields.containsKey(HEIGHT)) {
            throw corrupt("missing ImageWidth/ImageLength tags");
        }
        long w = longOr(WIDTH, 0);
        long h = longOr(HEIGHT, 0);
        if (w <= 0 || h <= 0) {
            throw new RasterException("zero-size image in " + name + ": " + w + "x" + h
                    + " pixels; re-export the image");
        }
        if (w > Integer.MAX_VALUE / 4 || h > Integer.MAX_VALUE / 4) {
            throw unsupported("image size " + w + "x" + h + " is too large", "split the scene into smaller files");
        }
        width = (int) w;
        height = (int) h;
        long s = longOr(SPP, 1);
        if (s <= 0 || s > 4096) {
            throw corrupt("SamplesPerPixel is " + s);
        }
        spp = (int) s;
        long[] bps = longs(BITS);
        bits = bps == null || bps.length == 0 ? 1 : (int) bps[0];
        if (bps != null) {
            for (long b : bps) {
                if (b != bits) {
                    throw unsupported("mixed bits per sample " + java.util.Arrays.toString(bps),
                            "convert all bands to one data type");
                }
            }
        }
        long[] sf = longs(SAMPLE_FORMAT);
        format = sf == null || sf.length == 0 ? 1 : (int) sf[0];
        if (sf != null) {
            for (long v : sf) {
                if (v != format) {
                    throw unsupported("mixed sample formats", "convert all bands to one data type");
                }
            }
        }
        if (format == 4) {
            format = 1; // "undefined" -> treat as unsigned
        }
        sampleType = sampleTypeOf(bits, format);
        compression = (int) longOr(COMPRESSION, 1);
        if (compression != 1 && compression != 5 && compression != 8 && compression != 32946
                && compression != 32773) {
            throw unsupported("compression " + compressionName(compression) + " (" + compression + ")",
                    "re-save it uncompressed or with LZW/Deflate/PackBits (e.g. gdal_translate -co COMPRESS=DEFLATE)");
        }
        int photometric = (int) longOr(PHOTOMETRIC, 1);
        if (photometric == 3) {
            throw unsupported("palette (indexed colour) image", "expand it to RGB or grey (gdal_translate -expand rgb)");
        }
        if (longOr(FILL_ORDER, 1) != 1) {
            throw unsupported("FillOrder 2 (reversed bit order)", "re-save it with a standard writer");
        }
        planar = (int) longOr(PLANAR, 1);
        if (planar != 1 && planar != 2) {
            throw corrupt("PlanarConfiguration is " + planar);
        }
        if (spp == 1) {
            planar = 1;
        }
        predictor = (int) longOr(PREDICTOR, 1);
        if (predictor == 2 && sampleType.isFloatingPoint()) {
            throw unsupported("horizontal predictor (2) on floating-point samples",
                    "re-save with PREDICTOR=3 or no predictor");
        }
        if (predictor == 3 && !sampleType.isFloatingPoint()) {
            throw corrupt("floating-point predictor (3) on integer samples");
        }
        if (predictor != 1 && predictor != 2 && predictor != 3) {
            throw unsupported("predictor " + predictor, "re-save without a predictor");
        }
        tiled = fields.containsKey(TILE_WIDTH) || fields.containsKey(TILE_OFFSETS);
        if (tiled) {
            long tw = longOr(TILE_WIDTH, 0);
            long th = longOr(TILE_LENGTH, 0);
            if (tw <= 0 || th <= 0 || tw > 65536 || th > 65536) {
                throw corrupt("tile size is " + tw + "x" + th);
            }
            blockW = (int) tw;
            blockH = (int) th;
            offsets = longs(TILE_OFFSETS);
            counts = longs(TILE_BYTE_COUNTS);
        } else {
            long rps = longOr(ROWS_PER_STRIP, height);
            if (rps <= 0 || rps > height) {
                rps = height;
            }
            blockW = width;
            blockH = (int) rps;
            offsets = longs(STRIP_OFFSETS);
            counts = longs(STRIP_BYTE_COUNTS);
        }
        String kind = tiled ? "tile" : "strip";
        long needed = (long) blocksAcross() * blocksDown() * (planar == 2 ? spp : 1);
        if (offsets == null) {
            throw corrupt("missing " + kind + " offsets tag");
        }
        if (offsets.length < needed) {
            throw corrupt("has " + offsets.length + " " + kind + " offsets but the image needs " + needed);
        }
        if (counts == null) {
            if (compression != 1) {
                throw corrupt("missing " + kind + " byte counts tag");
            }
        } else if (counts.length < needed) {
            throw corrupt("has " + counts.length + " " + kind + " byte counts but the image needs " + needed);
        }
        checkBlocks(kind, needed);
        // alpha extra samples are dropped
        bandOf = new int[spp];
        long[] extra = longs(EXTRA_SAMPLES);
        int b = 0;
        for (int i = 0; i < spp; i++) {
            int ei = extra == null ? -1 : i - (spp - extra.length);
            boolean alpha = ei >= 0 && ei < extra.length && (extra[ei] == 1 || extra[ei] == 2) && spp > 1;
            bandOf[i] = alpha ? -1 : b++;
        }
        outBands = b;
        if (outBands == 0) {
            throw corrupt("all samples are alpha");
        }
        double[] scale = doubles(GeoInfo.TAG_MODEL_PIXEL_SCALE);
        double[] tie = doubles(GeoInfo.TAG_MODEL_TIEPOINT);
        double[] mt = doubles(GeoInfo.TAG_MODEL_TRANSFORMATION);
        long[] keys = longs(GeoInfo.TAG_GEO_KEY_DIRECTORY);
        double[] dp = doubles(GeoInfo.TAG_GEO_DOUBLE_PARAMS);
        String ap = ascii(GeoInfo.TAG_GEO_ASCII_PARAMS);
        String nd = ascii(GeoInfo.TAG_GDAL_NODATA);
        if (scale != null || tie != null || mt != null || keys != null || dp != null || ap != null || nd != null) {
            short[] k = null;
            if (keys != null) {
                k = new short[keys.length];
                for (int i = 0; i < keys.length; i++) {
                    k[i] = (short) keys[i];
                }
            }
            geo = GeoInfo.fromTags(scale, tie, mt, k, dp, ap, nd == null ? null : nd.trim());
            geoProblem = geo.problem();
            if (geoProblem != null) {
                geo = null; // no georeferencing rather than garbage; Rasters.readHeader warns
            }
        }
    }

    /**
     * Before any pixel memory is committed: every strip/tile the image needs must lie inside the file, hold enough
     * bytes for its rows (uncompressed) or at most the codec's largest expansion (compressed), and the bytes the
     * blocks cover together must be able to produce the declared image (a crafted file whose strips all point at one
     * row declares gigapixels in kilobytes). Sparse blocks (offset 0, count 0) decode to zeros and are exempt.
     */
    private void checkBlocks(String kind, long needed) {
        int bytesPerSample = bits / 8;
        int spb = planar == 1 ? spp : 1;
        long rowBytes = (long) blockW * spb * bytesPerSample;
        int across = blocksAcross();
        int down = blocksDown();
        long ratio = maxExpansion(compression);
        long[][] ranges = new long[(int) needed][];
        int nr = 0;
        long declared = 0;
        for (int index = 0; index < needed; index++) {
            int by = (index % (across * down)) / across;
            long storedRows = tiled ? blockH : Math.min(blockH, height - (long) by * blockH);
            long expected = storedRows * rowBytes;
            long off = offsets[index];
            long cnt = counts != null ? counts[index] : expected;
            if (off == 0 && cnt == 0) {
                continue; // sparse
            }
            if (off < 0 || off >= size) {
                throw corrupt(kind + " " + index + " offset " + off + " is past the end of the file (" + size
                        + " bytes)");
            }
            if (cnt < 0 || off + cnt > size) {
                throw corrupt(kind + " " + index + " (offset " + off + ", " + cnt
                        + " bytes) extends past the end of the file (" + size + " bytes), the file is truncated");
            }
            if (compression == 1 && cnt < expected) {
                throw corrupt(kind + " " + index + " has " + cnt + " bytes but needs " + expected
                        + " (truncated data)");
            }
            if (compression != 1 && (double) cnt * ratio + 1024 < expected) {
                throw corrupt(kind + " " + index + " holds " + cnt + " compressed bytes, too few for the "
                        + expected + " bytes it must decode to (" + compressionName(compression) + " expands at most "
                        + ratio + "x)");
            }
            ranges[nr++] = new long[]{off, off + Math.min(cnt, compression == 1 ? expected : cnt)};
            declared += expected;
        }
        java.util.Arrays.sort(ranges, 0, nr, (a, b) -> Long.compare(a[0], b[0]));
        long covered = 0;
        long end = -1;
        for (int i = 0; i < nr; i++) {
            long a = Math.max(ranges[i][0], end);
            if (ranges[i][1] > a) {
                covered += ranges[i][1] - a;
            }
            end = Math.max(end, ranges[i][1]);
        }
        if ((double) covered * ratio + 1024.0 * nr < declared) {
            throw corrupt("it declares " + width + "x" + height + " pixels (" + declared + " bytes of " + kind
                    + " data) but its " + nr + " " + kind + "s overlap and cover only " + covered + " bytes of the "
                    + size + "-byte file");
        }
    }

    /** Largest output/input size ratio of a TIFF codec (Deflate ~1032:1, LZW 12-bit codes of at most 4096 bytes, PackBits 2 bytes -> 128). */
    private static long maxExpansion(int compression) {
        return switch (compression) {
            case 1 -> 1;
            case 5 -> 3641;
            case 32773 -> 64;
            default -> 1032;
        };
    }

    private SampleType sampleTypeOf(int bits, int fmt) {
        if (fmt == 1 || fmt == 2) {
            switch (bits) {
                case 8: return fmt == 1 ? SampleType.U8 : SampleType.I16;
                case 16: return fmt == 1 ? SampleType.U16 : SampleType.I16;
                case 32: return fmt == 1 ? SampleType.U32 : SampleType.I32;
                default: break;
            }
        } else if (fmt == 3) {
            if (bits == 32) {
                return SampleType.F32;
            }
            if (bits == 64) {
                return SampleType.F64;
            }
        } else {
            throw unsupported("sample format " + fmt, "convert to integer or float samples");
        }
        throw unsupported(bits + "-bit " + (fmt == 3 ? "floating-point" : fmt == 2 ? "signed" : "unsigned")
                + " samples", "convert to 8/16/32-bit integers or 32/64-bit floats (gdal_translate -ot)");
    }

    static String compressionName(int c) {
        switch (c) {
            case 1: return "none";
            case 2: return "CCITT RLE";
            case 3: return "CCITT Group 3";
            case 4: return "CCITT Group 4";
            case 5: return "LZW";
            case 6: return "old-style JPEG";
            case 7: return "JPEG";
            case 8: case 32946: return "Deflate";
            case 32773: return "PackBits";
            case 34676: return "SGILOG";
            case 34712: return "JPEG 2000";
            case 34887: return "LERC";
            case 34925: return "LZMA";
            case 50000: return "ZSTD";
            case 50001: return "WebP";
            case 50002: return "JPEG XL";
            default: return "unknown";
        }
    }

    private int blocksAcross() {
        return (width + blockW - 1) / blockW;
    }

    private int blocksDown() {
        return (height + blockH - 1) / blockH;
    }

    // ---------------------------------------------------------------- pixel decoding

    Raster read(int wx, int wy, int ww, int wh) throws IOException {
        if (wx < 0 || wy < 0 || ww <= 0 || wh <= 0 || (long) wx + ww > width || (long) wy + wh > height) {
            throw new RasterException("window " + wx + "," + wy + " " + ww + "x" + wh + " is outside the "
                    + width + "x" + height + " image " + name + "; choose a window inside the image");
        }
        long total = (long) ww * wh * outBands;
        if (total > Integer.MAX_VALUE - 16) {
            throw new RasterException("image " + name + " is too large to load at once (" + ww + "x" + wh + "x"
                    + outBands + " samples); read it in windows with Rasters.readWindow");
        }
        float[] out = new float[(int) total];
        int bytesPerSample = bits / 8;
        int spb = planar == 1 ? spp : 1;
        int planes = planar == 1 ? 1 : spp;
        int across = blocksAcross();
        int down = blocksDown();
        long rowBytesL = (long) blockW * spb * bytesPerSample;
        if (rowBytesL * blockH > Integer.MAX_VALUE - 16) {
            throw unsupported((tiled ? "tiles" : "strips") + " larger than 2 GB", "re-save with smaller strips/tiles");
        }
        int rowBytes = (int) rowBytesL;
        int rowSamples = blockW * spb;
        long[] raw = new long[rowSamples];
        float[] rowVals = new float[rowSamples];
        int plane = ww * wh;
        for (int p = 0; p < planes; p++) {
            if (planar == 2 && bandOf[p] < 0) {
                continue;
            }
            for (int by = 0; by < down; by++) {
                int y0 = by * blockH;
                int validRows = Math.min(blockH, height - y0);
                int r0 = Math.max(wy, y0);
                int r1 = Math.min(wy + wh, y0 + validRows);
                if (r0 >= r1) {
                    continue;
                }
                int storedRows = tiled ? blockH : validRows;
                for (int bx = 0; bx < across; bx++) {
                    int x0 = bx * blockW;
                    int validCols = Math.min(blockW, width - x0);
                    int c0 = Math.max(wx, x0);
                    int c1 = Math.min(wx + ww, x0 + validCols);
                    if (c0 >= c1) {
                        continue;
                    }
                    int index = p * across * down + by * across + bx;
                    byte[] block = readBlock(index, storedRows * rowBytes);
                    for (int r = r0; r < r1; r++) {
                        int rowOff = (r - y0) * rowBytes;
                        decodeRow(block, rowOff, rowSamples, spb, raw, rowVals);
                        int outRow = (r - wy) * ww;
                        for (int c = c0; c < c1; c++) {
                            int base = (c - x0) * spb;
                            int o = outRow + (c - wx);
                            if (planar == 2) {
                                out[bandOf[p] * plane + o] = rowVals[base];
                            } else {
                                for (int s = 0; s < spb; s++) {
                                    int band = bandOf[s];
                                    if (band >= 0) {
                                        out[band * plane + o] = rowVals[base + s];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        GeoInfo g = geo == null ? null : (wx == 0 && wy == 0 ? geo : geo.window(wx, wy));
        return new Raster(ww, wh, outBands, out, sampleType, g);
    }

    private byte[] readBlock(int index, int expected) throws IOException {
        String kind = tiled ? "tile" : "strip";
        long off = offsets[index];
        long cnt = counts != null ? counts[index] : expected;
        if (off == 0 && cnt == 0) {
            return new byte[expected]; // sparse block (GDAL SPARSE_OK): all zero
        }
        if (off < 0 || off >= size) {
            throw corrupt(kind + " " + index + " offset " + off + " is past the end of the file (" + size
                    + " bytes)");
        }
        if (cnt < 0 || off + cnt > size) {
            throw corrupt(kind + " " + index + " (offset " + off + ", " + cnt
                    + " bytes) extends past the end of the file (" + size + " bytes), the file is truncated");
        }
        if (compression == 1) {
            if (cnt < expected) {
                throw corrupt(kind + " " + index + " has " + cnt + " bytes but needs " + expected
                        + " (truncated data)");
            }
            byte[] b = readAt(off, expected, kind + " " + index);
            applyByteLevelPredictor(b, expected);
            return b;
        }
        byte[] in = readAt(off, cnt, kind + " " + index);
        byte[] outBuf;
        try {
            outBuf = switch (compression) {
                case 5 -> Codecs.lzw(in, expected);
                case 8, 32946 -> Codecs.inflate(in, expected);
                case 32773 -> Codecs.unpackBits(in, expected);
                default -> throw new IllegalStateException("unreachable");
            };
        } catch (Codecs.CodecException e) {
            throw corrupt(kind + " " + index + ": " + e.getMessage());
        }
        applyByteLevelPredictor(outBuf, expected);
        return outBuf;
    }

    /** Predictor 3 (floating point): undo byte differencing and byte-plane shuffling; rows become big-endian. */
    private void applyByteLevelPredictor(byte[] b, int len) {
        if (predictor != 3) {
            return;
        }
        int spb = planar == 1 ? spp : 1;
        int bps = bits / 8;
        int rowSamples = blockW * spb;
        int rowBytes = rowSamples * bps;
        byte[] tmp = new byte[rowBytes];
        for (int off = 0; off + rowBytes <= len; off += rowBytes) {
            for (int i = spb; i < rowBytes; i++) {
                b[off + i] = (byte) (b[off + i] + b[off + i - spb]);
            }
            System.arraycopy(b, off, tmp, 0, rowBytes);
            for (int s = 0; s < rowSamples; s++) {
                for (int k = 0; k < bps; k++) {
                    b[off + s * bps + k] = tmp[k * rowSamples + s];
                }
            }
        }
    }

    private void decodeRow(byte[] b, int off, int n, int spb, long[] raw, float[] vals) {
        boolean bigEndian = predictor == 3 || order == ByteOrder.BIG_ENDIAN;
        switch (bits) {
            case 8 -> {
                for (int i = 0; i < n; i++) {
                    raw[i] = b[off + i] & 0xFF;
                }
            }
            case 16 -> {
                for (int i = 0, p = off; i < n; i++, p += 2) {
                    raw[i] = bigEndian ? ((b[p] & 0xFF) << 8) | (b[p + 1] & 0xFF)
                            : ((b[p + 1] & 0xFF) << 8) | (b[p] & 0xFF);
                }
            }
            case 32 -> {
                for (int i = 0, p = off; i < n; i++, p += 4) {
                    long v = bigEndian
                            ? ((b[p] & 0xFFL) << 24) | ((b[p + 1] & 0xFFL) << 16) | ((b[p + 2] & 0xFFL) << 8) | (b[p + 3] & 0xFFL)
                            : ((b[p + 3] & 0xFFL) << 24) | ((b[p + 2] & 0xFFL) << 16) | ((b[p + 1] & 0xFFL) << 8) | (b[p] & 0xFFL);
                    raw[i] = v;
                }
            }
            default -> { // 64
                for (int i = 0, p = off; i < n; i++, p += 8) {
                    long v = 0;
                    for (int k = 0; k < 8; k++) {
                        int idx = bigEndian ? p + k : p + 7 - k;
                        v = (v << 8) | (b[idx] & 0xFFL);
                    }
                    raw[i] = v;
                }
            }
        }
        if (predictor == 2) {
            long mask = bits == 64 ? -1L : (1L << bits) - 1;
            for (int i = spb; i < n; i++) {
                raw[i] = (raw[i] + raw[i - spb]) & mask;
            }
        }
        switch (sampleType) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    vals[i] = Float.intBitsToFloat((int) raw[i]);
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    vals[i] = (float) Double.longBitsToDouble(raw[i]);
                }
            }
            default -> {
                if (format == 2) {
                    for (int i = 0; i < n; i++) {
                        long v = raw[i];
                        vals[i] = bits == 8 ? (byte) v : bits == 16 ? (short) v : (int) v;
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        vals[i] = raw[i];
                    }
                }
            }
        }
    }

    /** Why the file's GeoTIFF tags were ignored (non-finite or zero-size geotransform), or null. */
    String geoProblem() {
        return geoProblem;
    }

    Path path() {
        return path;
    }

    int width() {
        return width;
    }

    int height() {
        return height;
    }
}
