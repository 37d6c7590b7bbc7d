package io.cdiffset.translate;

import io.cdiffset.io.raster.AtomicFiles;
import io.cdiffset.io.raster.ColorMaps;
import io.cdiffset.io.raster.CogWriter;
import io.cdiffset.io.raster.RasterRowWriter;
import io.cdiffset.io.raster.GeoInfo;
import io.cdiffset.io.raster.PngStreamWriter;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.SampleType;
import io.cdiffset.io.raster.TiffCompression;
import io.cdiffset.io.raster.TiffStreamWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RowSink} that writes a translated scene to disk as it arrives, never holding it whole: the EO as 8-bit
 * GeoTIFF (if georeferenced) or PNG, or as a Cloud-Optimized GeoTIFF, and optionally the confidence map as a min-max normalised float GeoTIFF and a
 * viridis PNG. Everything is written to hidden temporary files next to the targets; the raw confidence goes to a
 * temporary float file first (its min and max are known only at the end) and is normalised in a second pass.
 * {@link #commit()} publishes all targets ({@link AtomicFiles#publish}); {@link #close()} deletes whatever
 * temporary file is left, so after a failure no partial file exists at any target name.
 * <p>
 * The written values are those of the whole-image path: EO {@code round(clamp(eo,0,1)·255)}, confidence
 * {@link SceneTranslator#normalise} then {@link ColorMaps#colorize(float[], int, int)}.
 */
public final class SceneWriter implements RowSink, AutoCloseable {
    private static final int CONF_CHUNK_VALUES = 1 << 18; // values per chunk of the confidence passes (1 MB of floats)

    private final int width;
    private final int height;
    private final Path eoTarget;
    private final Path confPngTarget;
    private final Path confTifTarget;
    private final GeoInfo geo;
    private final List<Path> temps = new ArrayList<>();
    private final Path eoTmp;
    private final boolean cog;
    private final RasterRowWriter eoWriter;
    private Path rawTmp;
    private FileChannel raw;
    private float confLo = Float.MAX_VALUE;
    private float confHi = -Float.MAX_VALUE;
    private int rowsWritten;

    /**
     * @param eoTarget      EO file: a GeoTIFF if {@code geo} is not null, else a PNG
     * @param confPngTarget colour-mapped confidence PNG, or null for no confidence output
     * @param confTifTarget float confidence GeoTIFF (written with {@code geo}), null iff {@code confPngTarget} is
     */
    public SceneWriter(int width, int height, GeoInfo geo, Path eoTarget, Path confPngTarget, Path confTifTarget) throws IOException {
        this(width, height, geo, false, eoTarget, confPngTarget, confTifTarget);
    }

    /**
     * As {@link #SceneWriter(int, int, GeoInfo, Path, Path, Path)}; with {@code cog} the EO and the float confidence
     * are Cloud-Optimized GeoTIFFs ({@link CogWriter}: tiles, overviews; with the georeferencing when there is one).
     */
    public SceneWriter(int width, int height, GeoInfo geo, boolean cog, Path eoTarget, Path confPngTarget, Path confTifTarget) throws IOException {
        if ((confPngTarget == null) != (confTifTarget == null)) throw new IllegalArgumentException("give both confidence targets or neither");
        this.width = width;
        this.height = height;
        this.geo = geo;
        this.cog = cog;
        this.eoTarget = eoTarget;
        this.confPngTarget = confPngTarget;
        this.confTifTarget = confTifTarget;
        boolean ok = false;
        try {
            eoTmp = temp(eoTarget, ".tmp");
            if (cog) {
                eoWriter = CogWriter.create(eoTmp, width, height, 3, SampleType.U8, geo);
            } else if (geo != null) {
                eoWriter = TiffStreamWriter.create(eoTmp, width, height, 3, SampleType.U8, geo, TiffCompression.DEFLATE);
            } else {
                eoWriter = PngStreamWriter.create(eoTmp, width, height, 3);
            }
            if (confTifTarget != null) {
                rawTmp = temp(confTifTarget, ".raw.tmp");
                raw = AtomicFiles.open(rawTmp);
            }
            ok = true;
        } catch (IOException e) {
            throw failed(e);
        } finally {
            if (!ok) close();
        }
    }

    /** Whether this writer also writes the confidence map (then every band must come with one). */
    public boolean writesConfidence() {
        return confTifTarget != null;
    }

    @Override
    public void rows(int y, int rows, float[] eo, float[] confidence) throws IOException {
        try {
            writeRows(y, rows, eo, confidence);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    /** An I/O failure (disk full) as one line naming the output and that nothing published was touched. */
    private IOException failed(IOException e) {
        return new IOException("cannot write " + eoTarget + ": " + e.getMessage() + "; no existing file was changed by this output", e);
    }

    private void writeRows(int y, int rows, float[] eo, float[] confidence) throws IOException {
        if (y != rowsWritten) throw new IllegalStateException("rows arrive out of order: got " + y + ", expected " + rowsWritten);
        float[] u8 = new float[3 * rows * width];
        for (int i = 0; i < u8.length; i++) u8[i] = Math.round(Math.max(0f, Math.min(1f, eo[i])) * 255f);
        eoWriter.writeRows(u8, rows);
        if (raw != null) {
            if (confidence == null) throw new IllegalStateException("no confidence map for rows " + y + ".." + (y + rows - 1));
            ByteBuffer b = ByteBuffer.allocate(4 * rows * width).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < rows * width; i++) {
                float f = confidence[i];
                confLo = Math.min(confLo, f); // the fold of SceneTranslator.normalise
                confHi = Math.max(confHi, f);
                b.putFloat(f);
            }
            b.flip();
            while (b.hasRemaining()) raw.write(b);
        }
        rowsWritten += rows;
    }

    /**
     * Finishes every file and publishes it under its target name (EO, then confidence PNG and TIFF).
     *
     * @return the written targets in that order
     */
    public List<Path> commit() throws IOException {
        try {
            return publishAll();
        } catch (IOException e) {
            throw failed(e);
        }
    }

    private List<Path> publishAll() throws IOException {
        if (rowsWritten != height) throw new IllegalStateException("scene has " + rowsWritten + " of " + height + " rows");
        List<Path> out = new ArrayList<>();
        eoWriter.finish();
        eoWriter.close();
        Path pngTmp = null, tifTmp = null;
        if (raw != null) {
            raw.close();
            raw = null;
            pngTmp = temp(confPngTarget, ".tmp");
            tifTmp = temp(confTifTarget, ".tmp");
            writeConfidence(pngTmp, tifTmp);
            AtomicFiles.discard(rawTmp);
            temps.remove(rawTmp);
        }
        AtomicFiles.publish(eoTmp, eoTarget);
        temps.remove(eoTmp);
        out.add(eoTarget);
        if (pngTmp != null) {
            AtomicFiles.publish(pngTmp, confPngTarget);
            temps.remove(pngTmp);
            AtomicFiles.publish(tifTmp, confTifTarget);
            temps.remove(tifTmp);
            out.add(confPngTarget);
            out.add(confTifTarget);
        }
        return out;
    }

    /** Pass 1: normalised float TIFF (and the min/max the colour map needs); pass 2: the colour-mapped PNG. */
    private void writeConfidence(Path pngTmp, Path tifTmp) throws IOException {
        float lo = confLo, span = confHi - confLo;
        float[] range = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        int chunk = Math.max(1, Math.min(height, CONF_CHUNK_VALUES / width));
        try (RasterRowWriter tif = cog ? CogWriter.create(tifTmp, width, height, 1, SampleType.F32, geo)
                : TiffStreamWriter.create(tifTmp, width, height, 1, SampleType.F32, geo, TiffCompression.DEFLATE)) {
            readNormalised(chunk, lo, span, (norm, rows) -> {
                for (int i = 0; i < rows * width; i++) {
                    float v = norm[i];
                    if (Float.isFinite(v)) {
                        range[0] = Math.min(range[0], v);
                        range[1] = Math.max(range[1], v);
                    }
                }
                tif.writeRows(norm, rows);
            });
            tif.finish();
        }
        if (range[0] > range[1]) { // as ColorMaps.colorize: no finite value
            range[0] = 0;
            range[1] = 1;
        }
        try (PngStreamWriter png = PngStreamWriter.create(pngTmp, width, height, 3)) {
            readNormalised(chunk, lo, span, (norm, rows) -> {
                Raster rgb = ColorMaps.colorize(rows * width == norm.length ? norm : java.util.Arrays.copyOf(norm, rows * width),
                        width, rows, ColorMaps.Palette.VIRIDIS, range[0], range[1]);
                png.writeRows(rgb.data(), rows);
            });
            png.finish();
        }
    }

    @FunctionalInterface
    private interface BandConsumer {
        void accept(float[] values, int rows) throws IOException;
    }

    private void readNormalised(int chunk, float lo, float span, BandConsumer consumer) throws IOException {
        try (FileChannel in = FileChannel.open(rawTmp, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4 * chunk * width).order(ByteOrder.LITTLE_ENDIAN);
            float[] norm = new float[chunk * width];
            for (int y0 = 0; y0 < height; y0 += chunk) {
                int rows = Math.min(chunk, height - y0);
                b.clear().limit(4 * rows * width);
                while (b.hasRemaining()) {
                    if (in.read(b) < 0) throw new IOException("confidence scratch file " + rawTmp + " is truncated");
                }
                b.flip();
                for (int i = 0; i < rows * width; i++) {
                    float v = b.getFloat();
                    norm[i] = span > 0 ? (v - lo) / span : 0f; // as SceneTranslator.normalise
                }
                consumer.accept(norm, rows);
            }
        }
    }

    private Path temp(Path target, String suffix) throws IOException {
        Path t = AtomicFiles.createTemp(target, suffix); // registered: deleted at JVM shutdown (SIGTERM) too
        temps.add(t);
        return t;
    }

    /** Closes all files; deletes every temporary file not yet published (all of them unless {@link #commit} succeeded). */
    @Override
    public void close() {
        closeQuietly(eoWriter);
        closeQuietly(raw);
        for (Path t : temps) AtomicFiles.discard(t);
        temps.clear();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // closing after a failure; the original failure is what matters
        }
    }
}
