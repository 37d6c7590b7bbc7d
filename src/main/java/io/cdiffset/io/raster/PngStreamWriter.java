package io.cdiffset.io.raster;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Minimal streaming PNG encoder: 8-bit grey (1 band) or RGB (3 bands), rows fed band by band and compressed as one
 * zlib stream (filter type 0 on every row) into IDAT chunks, so an image never has to be held in memory whole.
 * Values are rounded and clamped to 0..255. Not atomic by itself: write to a temporary file and publish it with
 * {@link AtomicFiles#publish}. Usage: {@code create}, {@link #writeRows} until all rows are written,
 * {@link #finish}, {@link #close}.
 */
public final class PngStreamWriter implements RasterRowWriter {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final int CHUNK = 1 << 16;

    private final FileChannel ch;
    private final OutputStream out;
    private final int width;
    private final int height;
    private final int bands;
    private final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
    private final byte[] row;
    private final byte[] buf = new byte[CHUNK];
    private int rowsWritten;
    private boolean finished;

    private PngStreamWriter(FileChannel ch, int width, int height, int bands) {
        this.ch = ch;
        this.out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
        this.width = width;
        this.height = height;
        this.bands = bands;
        this.row = new byte[1 + width * bands];
    }

    /** Opens (creates or truncates) {@code file} for a {@code width × height} image with 1 (grey) or 3 (RGB) bands. */
    public static PngStreamWriter create(Path file, int width, int height, int bands) throws IOException {
        if (bands != 1 && bands != 3) {
            throw new IllegalArgumentException("PNG output needs 1 or 3 bands, got " + bands);
        }
        if (width <= 0 || height <= 0 || (long) width * bands + 1 > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("bad PNG size " + width + "x" + height);
        }
        FileChannel ch = AtomicFiles.open(file); // (the disk-full test hook applies)
        PngStreamWriter w = new PngStreamWriter(ch, width, height, bands);
        try {
            w.out.write(SIGNATURE);
            ByteBuffer ihdr = ByteBuffer.allocate(13);
            ihdr.putInt(width).putInt(height).put((byte) 8).put((byte) (bands == 1 ? 0 : 2))
                    .put((byte) 0).put((byte) 0).put((byte) 0);
            w.chunk("IHDR", ihdr.array(), 13);
            return w;
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** Rows written so far. */
    public int rowsWritten() {
        return rowsWritten;
    }

    /** Appends the next {@code rows} rows, band-sequential: {@code data[b*rows*W + r*W + x]}. */
    public void writeRows(float[] data, int rows) throws IOException {
        RowBands.check("PNG", finished, rows, rowsWritten, height, data.length, bands, width);
        int plane = rows * width;
        for (int r = 0; r < rows; r++) {
            row[0] = 0; // filter type None
            int i = 1;
            for (int x = 0; x < width; x++) {
                for (int b = 0; b < bands; b++) {
                    row[i++] = TiffWriter.toU8(data[b * plane + r * width + x]);
                }
            }
            deflater.setInput(row, 0, row.length);
            while (!deflater.needsInput()) {
                drain(Deflater.NO_FLUSH);
            }
            rowsWritten++;
        }
    }

    /** Ends the zlib stream, writes IEND and forces the file to disk (all rows must have been written). */
    public void finish() throws IOException {
        if (rowsWritten != height) {
            throw new IllegalStateException("PNG has " + rowsWritten + " of " + height + " rows");
        }
        if (finished) {
            return;
        }
        finished = true;
        deflater.finish();
        while (!deflater.finished()) {
            drain(Deflater.NO_FLUSH);
        }
        chunk("IEND", new byte[0], 0);
        out.flush();
        ch.force(true);
    }

    private void drain(int flush) throws IOException {
        int n = deflater.deflate(buf, 0, buf.length, flush);
        if (n > 0) {
            chunk("IDAT", buf, n);
        }
    }

    private void chunk(String type, byte[] data, int len) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(ByteBuffer.allocate(4).putInt(len).array());
        out.write(t);
        out.write(data, 0, len);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data, 0, len);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    @Override
    public void close() throws IOException {
        deflater.end();
        out.close();
    }
}
