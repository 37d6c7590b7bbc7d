package io.cdiffset.io.raster;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Writes a little-endian classic (Geo)TIFF row band by row band, so a scene never has to be held in memory whole:
 * rows are packed into strips (about 256 KB each) that are written as soon as they are complete, and the IFD goes
 * at the end of the file. U8 samples if the sample type is U8 (values rounded and clamped to 0..255), else F32;
 * bands pixel-interleaved; no compression or Deflate; 3-band U8 is tagged RGB, everything else MinIsBlack with
 * extra samples; the GeoTIFF tags of the {@link GeoInfo} are written back verbatim.
 * <p>
 * Not atomic by itself: write to a temporary file and publish it with {@link AtomicFiles#publish}. Usage:
 * {@code create}, {@link #writeRows} until all rows are written, {@link #finish}, {@link #close}.
 */
public final class TiffStreamWriter implements RasterRowWriter {

    private final FileChannel ch;
    private final int width;
    private final int height;
    private final int bands;
    private final boolean u8;
    private final GeoInfo geo;
    private final TiffCompression comp;
    private final int rowBytes;
    private final int rowsPerStrip;
    private final long[] offs;
    private final long[] cnts;
    private final ByteBuffer strip;
    private int rowsWritten;
    private int stripIndex;
    private long pos = 8;
    private boolean finished;

    private TiffStreamWriter(FileChannel ch, int width, int height, int bands, boolean u8, GeoInfo geo,
                             TiffCompression comp, int rowBytes) {
        this.ch = ch;
        this.width = width;
        this.height = height;
        this.bands = bands;
        this.u8 = u8;
        this.geo = geo;
        this.comp = comp == null ? TiffCompression.NONE : comp;
        this.rowBytes = rowBytes;
        this.rowsPerStrip = (int) Math.max(1, Math.min(height, (256 * 1024) / Math.max(1, rowBytes)));
        int strips = (height + rowsPerStrip - 1) / rowsPerStrip;
        this.offs = new long[strips];
        this.cnts = new long[strips];
        this.strip = ByteBuffer.allocate(rowsPerStrip * rowBytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Opens (creates or truncates) {@code file} for a {@code width × height × bands} image.
     *
     * @param type U8 writes 8-bit samples, any other type 32-bit float samples
     * @param geo  georeferencing to write back, or null
     */
    public static TiffStreamWriter create(Path file, int width, int height, int bands, SampleType type, GeoInfo geo,
                                          TiffCompression comp) throws IOException {
        if (width <= 0 || height <= 0 || bands <= 0) {
            throw new IllegalArgumentException("TIFF size must be positive, got " + width + "x" + height + "x" + bands);
        }
        boolean u8 = type == SampleType.U8;
        long rowBytesL = (long) width * bands * (u8 ? 1 : 4);
        if (rowBytesL > Integer.MAX_VALUE / 2) {
            throw new IOException("row of " + rowBytesL + " bytes is too large");
        }
        FileChannel ch = AtomicFiles.open(file); // (the disk-full test hook applies)
        try {
            ByteBuffer hdr = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            hdr.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(0).flip();
            writeFully(ch, hdr, 0);
            return new TiffStreamWriter(ch, width, height, bands, u8, geo, comp, (int) rowBytesL);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Rows written so far. */
    public int rowsWritten() {
        return rowsWritten;
    }

    /**
     * Appends the next {@code rows} rows, band-sequential: {@code data[b*rows*W + r*W + x]} (the layout of a
     * {@link Raster} of those rows).
     */
    public void writeRows(float[] data, int rows) throws IOException {
        RowBands.check("TIFF", finished, rows, rowsWritten, height, data.length, bands, width);
        int plane = rows * width;
        for (int r = 0; r < rows; r++) {
            int rowBase = r * width;
            for (int x = 0; x < width; x++) {
                for (int b = 0; b < bands; b++) {
                    float v = data[b * plane + rowBase + x];
                    if (u8) {
                        strip.put(TiffWriter.toU8(v));
                    } else {
                        strip.putFloat(v);
                    }
                }
            }
            rowsWritten++;
            if (!strip.hasRemaining() || rowsWritten == height) {
                flushStrip();
            }
        }
    }

    private void flushStrip() throws IOException {
        byte[] bytes = strip.array();
        int len = strip.position();
        if (comp == TiffCompression.DEFLATE) {
            bytes = Codecs.deflate(bytes, 0, len);
            len = bytes.length;
        }
        offs[stripIndex] = pos;
        cnts[stripIndex] = len;
        stripIndex++;
        writeFully(ch, ByteBuffer.wrap(bytes, 0, len), pos);
        pos += len;
        if (pos > 0xFFFFFFFFL - 1_000_000) {
            throw new IOException("output exceeds 4 GB, too large for classic TIFF; write smaller tiles");
        }
        strip.clear();
    }

    /** Writes the IFD (all rows must have been written) and forces the file to disk. */
    public void finish() throws IOException {
        if (rowsWritten != height) {
            throw new IllegalStateException("TIFF has " + rowsWritten + " of " + height + " rows");
        }
        if (finished) {
            return;
        }
        finished = true;
        if ((pos & 1) != 0) {
            writeFully(ch, ByteBuffer.wrap(new byte[1]), pos);
            pos++;
        }
        List<TiffIfd.Entry> es = entries();
        long ifdOff = pos;
        writeFully(ch, TiffIfd.encode(es, ifdOff, 0), ifdOff);
        ByteBuffer off = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        off.putInt((int) ifdOff).flip();
        writeFully(ch, off, 4);
        ch.force(true);
    }

    private List<TiffIfd.Entry> entries() {
        int bps = u8 ? 1 : 4;
        int nb = bands;
        List<TiffIfd.Entry> es = new ArrayList<>();
        es.add(TiffIfd.longs(256, width));
        es.add(TiffIfd.longs(257, height));
        short[] bpsArr = new short[nb];
        short[] fmt = new short[nb];
        for (int b = 0; b < nb; b++) {
            bpsArr[b] = (short) (bps * 8);
            fmt[b] = (short) (u8 ? 1 : 3);
        }
        es.add(TiffIfd.shorts(258, bpsArr));
        es.add(TiffIfd.shorts(259, (short) (comp == TiffCompression.DEFLATE ? 8 : 1)));
        boolean rgb = u8 && nb == 3;
        es.add(TiffIfd.shorts(262, (short) (rgb ? 2 : 1)));
        es.add(TiffIfd.longs(273, offs));
        es.add(TiffIfd.shorts(277, (short) nb));
        es.add(TiffIfd.longs(278, rowsPerStrip));
        es.add(TiffIfd.longs(279, cnts));
        es.add(TiffIfd.shorts(284, (short) 1));
        int extra = nb - (rgb ? 3 : 1);
        if (extra > 0) {
            es.add(TiffIfd.shorts(338, new short[extra]));
        }
        es.add(TiffIfd.shorts(339, fmt));
        if (geo != null) {
            if (geo.pixelScale() != null) {
                es.add(TiffIfd.doubles(GeoInfo.TAG_MODEL_PIXEL_SCALE, geo.pixelScale()));
            }
            if (geo.tiePoints() != null) {
                es.add(TiffIfd.doubles(GeoInfo.TAG_MODEL_TIEPOINT, geo.tiePoints()));
            }
            if (geo.modelTransformation() != null) {
                es.add(TiffIfd.doubles(GeoInfo.TAG_MODEL_TRANSFORMATION, geo.modelTransformation()));
            }
            if (geo.geoKeyDirectory() != null) {
                es.add(TiffIfd.shorts(GeoInfo.TAG_GEO_KEY_DIRECTORY, geo.geoKeyDirectory()));
            }
            if (geo.geoDoubleParams() != null) {
                es.add(TiffIfd.doubles(GeoInfo.TAG_GEO_DOUBLE_PARAMS, geo.geoDoubleParams()));
            }
            if (geo.geoAsciiParams() != null) {
                es.add(TiffIfd.ascii(GeoInfo.TAG_GEO_ASCII_PARAMS, geo.geoAsciiParams()));
            }
            if (geo.noData() != null) {
                es.add(TiffIfd.ascii(GeoInfo.TAG_GDAL_NODATA, geo.noData()));
            }
        }
        es.sort(Comparator.comparingInt(TiffIfd.Entry::tag));
        return es;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }




}
