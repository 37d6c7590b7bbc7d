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
 * Writes a Cloud-Optimized GeoTIFF row band by row band: 256×256 internal tiles, DEFLATE, and 2× overviews (box
 * average) down to the first level that fits one tile, with every IFD at the start of the file, overview data
 * before full-resolution data (smallest first), GDAL's structural-metadata header ({@code LAYOUT=COG} in
 * {@code gdalinfo}) and its block leaders and trailers (each tile's size before it, its last 4 bytes after it) — the layout readers use to fetch only the tiles and level they need over HTTP.
 * <p>
 * Memory is bounded by one band of 256 rows per level (the tiles are cut and compressed as soon as a band is full);
 * the compressed tiles of each level wait in a temporary file next to the output until {@link #finish} knows every
 * offset and writes the final file. U8 samples (rounded and clamped to 0..255, as {@link TiffStreamWriter}) or F32;
 * 3-band U8 is tagged RGB; the {@link GeoInfo} tags go on the full-resolution IFD verbatim. Not atomic by itself:
 * write to a temporary file and publish it with {@link AtomicFiles#publish}.
 */
public final class CogWriter implements RasterRowWriter {
    /** Tile side in pixels (GDAL's COG default). */
    public static final int TILE = 256;


    private final Path file;
    private final int width;
    private final int height;
    private final int bands;
    private final boolean u8;
    private final GeoInfo geo;
    private final List<Level> levels = new ArrayList<>();
    private int rowsWritten;
    private boolean finished;

    /** One resolution level: its band of up to TILE rows (encoded samples), and its compressed tiles in a temp file. */
    private final class Level {
        final int w;
        final int h;
        final int tilesX;
        final int tilesY;
        final long[] offs; // within this level's temp file, row-major tile order
        final long[] cnts;
        final byte[] band; // TILE rows × w × bands × bytes per sample, pixel-interleaved
        final Path tmp;
        final FileChannel data;
        long dataPos;
        int rows; // rows written to this level
        int bandRows;
        float[] pending; // an even row waiting for its partner, for the next level (values, pixel-interleaved)

        Level(int w, int h, int index) throws IOException {
            this.w = w;
            this.h = h;
            this.tilesX = (w + TILE - 1) / TILE;
            this.tilesY = (h + TILE - 1) / TILE;
            this.offs = new long[tilesX * tilesY];
            this.cnts = new long[tilesX * tilesY];
            this.band = new byte[Math.multiplyExact(TILE, Math.multiplyExact(w, bands * bytesPerSample()))];
            this.tmp = AtomicFiles.createTemp(file, ".level" + index + ".tmp");
            this.data = AtomicFiles.open(tmp);
        }

        /** Adds one row (values pixel-interleaved: {@code row[x*bands + b]}). */
        void addRow(float[] row) throws IOException {
            int bps = bytesPerSample();
            ByteBuffer b = ByteBuffer.wrap(band, bandRows * w * bands * bps, w * bands * bps).order(ByteOrder.LITTLE_ENDIAN);
            float[] stored = new float[row.length];
            for (int i = 0; i < row.length; i++) {
                if (u8) {
                    byte v = TiffWriter.toU8(row[i]);
                    b.put(v);
                    stored[i] = v & 0xFF;
                } else {
                    b.putFloat(row[i]);
                    stored[i] = row[i];
                }
            }
            bandRows++;
            rows++;
            if (bandRows == TILE || rows == h) flushBand();
            int index = levels.indexOf(this);
            if (index + 1 < levels.size()) {
                if (pending == null && rows < h) {
                    pending = stored;
                } else {
                    levels.get(index + 1).addRow(halve(pending, stored));
                    pending = null;
                }
            }
        }

        /** Box average of two rows (or one, at an odd bottom edge) to half width. */
        private float[] halve(float[] a, float[] b) {
            float[] top = a == null ? b : a;
            int nw = (w + 1) / 2;
            float[] out = new float[nw * bands];
            for (int x = 0; x < nw; x++) {
                int x0 = 2 * x, x1 = Math.min(w - 1, 2 * x + 1);
                for (int c = 0; c < bands; c++) {
                    float s = top[x0 * bands + c] + top[x1 * bands + c] + b[x0 * bands + c] + b[x1 * bands + c];
                    out[x * bands + c] = s / 4f;
                }
            }
            return out;
        }

        private void flushBand() throws IOException {
            int bps = bytesPerSample();
            int ty = (rows - 1) / TILE;
            byte[] tile = new byte[TILE * TILE * bands * bps];
            int rowBytes = TILE * bands * bps;
            for (int tx = 0; tx < tilesX; tx++) {
                java.util.Arrays.fill(tile, (byte) 0);
                int x0 = tx * TILE, tw = Math.min(TILE, w - x0);
                for (int r = 0; r < bandRows; r++) {
                    System.arraycopy(band, (r * w + x0) * bands * bps, tile, r * rowBytes, tw * bands * bps);
                }
                byte[] z = Codecs.deflate(tile, 0, tile.length);
                int i = ty * tilesX + tx;
                // GDAL's COG block leader (the size, 4 bytes) and trailer (the last 4 bytes again): a reader can check
                // that a tile it fetched by range is whole
                ByteBuffer buf = ByteBuffer.allocate(4 + z.length + 4).order(ByteOrder.LITTLE_ENDIAN);
                buf.putInt(z.length).put(z).put(z, z.length - 4, 4).flip();
                offs[i] = dataPos + 4;
                cnts[i] = z.length;
                while (buf.hasRemaining()) dataPos += data.write(buf, dataPos);
            }
            bandRows = 0;
        }
    }

    private CogWriter(Path file, int width, int height, int bands, boolean u8, GeoInfo geo) {
        this.file = file;
        this.width = width;
        this.height = height;
        this.bands = bands;
        this.u8 = u8;
        this.geo = geo;
    }

    /**
     * Opens {@code file} for a {@code width × height × bands} image.
     *
     * @param type U8 writes 8-bit samples, any other type 32-bit float samples
     * @param geo  georeferencing to write back, or null
     */
    public static CogWriter create(Path file, int width, int height, int bands, SampleType type, GeoInfo geo) throws IOException {
        if (width <= 0 || height <= 0 || bands <= 0) {
            throw new IllegalArgumentException("COG size must be positive, got " + width + "x" + height + "x" + bands);
        }
        CogWriter c = new CogWriter(file, width, height, bands, type == SampleType.U8, geo);
        try {
            int w = width, h = height;
            c.levels.add(c.new Level(w, h, 0));
            while (w > TILE || h > TILE) {
                w = (w + 1) / 2;
                h = (h + 1) / 2;
                c.levels.add(c.new Level(w, h, c.levels.size()));
            }
            AtomicFiles.open(file).close(); // (created now, as the other writers do; the disk-full test hook applies)
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Overview levels written besides full resolution. */
    public int overviews() {
        return levels.size() - 1;
    }

    private int bytesPerSample() {
        return u8 ? 1 : 4;
    }

    @Override
    public void writeRows(float[] data, int rows) throws IOException {
        RowBands.check("COG", finished, rows, rowsWritten, height, data.length, bands, width);
        int plane = rows * width;
        float[] row = new float[width * bands];
        for (int r = 0; r < rows; r++) {
            for (int x = 0; x < width; x++) {
                for (int b = 0; b < bands; b++) row[x * bands + b] = data[b * plane + r * width + x];
            }
            levels.get(0).addRow(row);
            rowsWritten++;
        }
    }

    @Override
    public void finish() throws IOException {
        if (rowsWritten != height) throw new IllegalStateException("COG has " + rowsWritten + " of " + height + " rows");
        if (finished) return;
        finished = true;
        byte[] ghost = ghostHeader();
        // IFDs first (full resolution, then overviews), their overflow values after each; then tile data
        List<List<TiffIfd.Entry>> ifds = new ArrayList<>();
        for (int i = 0; i < levels.size(); i++) ifds.add(entries(i, new long[levels.get(i).offs.length]));
        long pos = 8 + ghost.length + (ghost.length & 1); // the first IFD on a word boundary
        long[] ifdOff = new long[levels.size()];
        for (int i = 0; i < levels.size(); i++) {
            ifdOff[i] = pos;
            pos += TiffIfd.size(ifds.get(i));
        }
        // data: smallest overview first, full resolution last
        long[] dataStart = new long[levels.size()];
        for (int i = levels.size() - 1; i >= 0; i--) {
            dataStart[i] = pos;
            pos += levels.get(i).dataPos;
        }
        if (pos > 0xFFFFFFFFL) throw new IOException("output exceeds 4 GB, too large for classic TIFF");
        try (FileChannel out = AtomicFiles.open(file)) {
            ByteBuffer hdr = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            hdr.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt((int) ifdOff[0]).flip();
            write(out, hdr, 0);
            write(out, ByteBuffer.wrap(ghost), 8);
            for (int i = 0; i < levels.size(); i++) {
                Level l = levels.get(i);
                long[] abs = new long[l.offs.length];
                for (int t = 0; t < abs.length; t++) abs[t] = dataStart[i] + l.offs[t];
                write(out, TiffIfd.encode(entries(i, abs), ifdOff[i], i + 1 < levels.size() ? ifdOff[i + 1] : 0), ifdOff[i]);
            }
            for (int i = levels.size() - 1; i >= 0; i--) {
                Level l = levels.get(i);
                try (FileChannel in = FileChannel.open(l.tmp, StandardOpenOption.READ)) {
                    long done = 0;
                    out.position(dataStart[i]);
                    while (done < l.dataPos) done += in.transferTo(done, l.dataPos - done, out);
                }
            }
            out.force(true);
        }
    }

    /** GDAL's COG structural metadata, between the TIFF header and the first IFD. */
    private static byte[] ghostHeader() {
        String body = "LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\nBLOCK_TRAILER=LAST_4_BYTES_REPEATED\n"
                + "KNOWN_INCOMPATIBLE_EDITION=NO\n ";
        String head = String.format("GDAL_STRUCTURAL_METADATA_SIZE=%06d bytes\n", body.length());
        return (head + body).getBytes(StandardCharsets.US_ASCII);
    }

    private List<TiffIfd.Entry> entries(int level, long[] tileOffsets) {
        Level l = levels.get(level);
        int nb = bands;
        List<TiffIfd.Entry> es = new ArrayList<>();
        if (level > 0) es.add(TiffIfd.longs(254, 1)); // NewSubfileType: reduced-resolution image
        es.add(TiffIfd.longs(256, l.w));
        es.add(TiffIfd.longs(257, l.h));
        short[] bps = new short[nb];
        short[] fmt = new short[nb];
        for (int b = 0; b < nb; b++) {
            bps[b] = (short) (bytesPerSample() * 8);
            fmt[b] = (short) (u8 ? 1 : 3);
        }
        es.add(TiffIfd.shorts(258, bps));
        es.add(TiffIfd.shorts(259, (short) 8)); // Deflate
        boolean rgb = u8 && nb == 3;
        es.add(TiffIfd.shorts(262, (short) (rgb ? 2 : 1)));
        es.add(TiffIfd.shorts(277, (short) nb));
        es.add(TiffIfd.shorts(284, (short) 1));
        es.add(TiffIfd.shorts(322, (short) TILE));
        es.add(TiffIfd.shorts(323, (short) TILE));
        es.add(TiffIfd.longs(324, tileOffsets));
        es.add(TiffIfd.longs(325, l.cnts));
        int extra = nb - (rgb ? 3 : 1);
        if (extra > 0) es.add(TiffIfd.shorts(338, new short[extra]));
        es.add(TiffIfd.shorts(339, fmt));
        if (level == 0 && geo != null) {
            if (geo.pixelScale() != null) es.add(TiffIfd.doubles(GeoInfo.TAG_MODEL_PIXEL_SCALE, geo.pixelScale()));
            if (geo.tiePoints() != null) es.add(TiffIfd.doubles(GeoInfo.TAG_MODEL_TIEPOINT, geo.tiePoints()));
            if (geo.modelTransformation() != null) es.add(TiffIfd.doubles(GeoInfo.TAG_MODEL_TRANSFORMATION, geo.modelTransformation()));
            if (geo.geoKeyDirectory() != null) es.add(TiffIfd.shorts(GeoInfo.TAG_GEO_KEY_DIRECTORY, geo.geoKeyDirectory()));
            if (geo.geoDoubleParams() != null) es.add(TiffIfd.doubles(GeoInfo.TAG_GEO_DOUBLE_PARAMS, geo.geoDoubleParams()));
            if (geo.geoAsciiParams() != null) es.add(TiffIfd.ascii(GeoInfo.TAG_GEO_ASCII_PARAMS, geo.geoAsciiParams()));
            if (geo.noData() != null) es.add(TiffIfd.ascii(GeoInfo.TAG_GDAL_NODATA, geo.noData()));
        }
        es.sort(Comparator.comparingInt(TiffIfd.Entry::tag));
        return es;
    }



    /** Closes and deletes the per-level temporary files (the output itself is the caller's to publish or discard). */
    @Override
    public void close() {
        for (Level l : levels) {
            try {
                l.data.close();
            } catch (IOException ignored) {
                // closing after the fact; deleting is what matters
            }
            AtomicFiles.discard(l.tmp);
        }
        levels.clear();
    }

    private static void write(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) pos += ch.write(b, pos);
    }




}
