package io.cdiffset.data;

import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.RasterHeader;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;

import java.nio.file.Path;

/**
 * The streaming counterpart of {@link SarMapping#toModel}: model-space SAR rows of an image that is read a band of
 * rows at a time, with exactly the same values. For non-U8 data the per-band 1st/99th percentiles are found in
 * passes over the file before any rows are served (finiteness and min/max, then {@link BandPercentiles}); memory
 * stays bounded by a chunk of rows, not the image.
 */
public final class SarRows {
    /** Reads rows {@code [y0, y0+rows)} of all bands at full width, raw samples (e.g. a TIFF window). */
    @FunctionalInterface
    public interface RowReader {
        Raster read(int y0, int rows);
    }

    /**
     * The per-band stretch of a non-U8 image: its 1st and 99th percentiles (empty arrays for U8 data, which is not
     * stretched). A scene-level statistic: a job that reads a scene in parts computes it once and hands the same
     * limits to every part, so each part's values equal those of the whole-file read.
     */
    public record Limits(double[] lo, double[] hi) implements java.io.Serializable {
        public Limits {
            lo = lo.clone();
            hi = hi.clone();
            if (lo.length != hi.length) throw new IllegalArgumentException("lo and hi need one value per band");
        }
    }

    /** Values per chunk of a statistics pass (16 MB of floats). */
    static final int CHUNK_VALUES = 1 << 22;

    private final RowReader reader;
    private final int width;
    private final int height;
    private final int bands;
    private final boolean u8;
    private final double[] lo;
    private final double[] hi;

    /**
     * Validates the bands and, for non-U8 data, scans the image for NaN/Inf (the one-line {@link DataException} of
     * {@link SarMapping}) and its per-band percentiles.
     *
     * @param fileName name used in error messages
     */
    public SarRows(RowReader reader, int width, int height, int bands, SampleType type, String fileName) {
        this(reader, width, height, bands, type, fileName, null);
    }

    /**
     * As {@link #SarRows(RowReader, int, int, int, SampleType, String)}, with the stretch limits of an earlier scan
     * of the same image ({@link #limits()}); null scans the image as that constructor does.
     */
    public SarRows(RowReader reader, int width, int height, int bands, SampleType type, String fileName, Limits limits) {
        SarMapping.checkBands(bands, fileName);
        this.reader = reader;
        this.width = width;
        this.height = height;
        this.bands = bands;
        this.u8 = type == SampleType.U8;
        this.lo = new double[bands];
        this.hi = new double[bands];
        if (u8) return;
        if (limits == null) {
            stretchLimits(fileName);
        } else {
            if (limits.lo().length != bands) throw new IllegalArgumentException("limits for " + limits.lo().length + " bands, image has " + bands);
            System.arraycopy(limits.lo(), 0, lo, 0, bands);
            System.arraycopy(limits.hi(), 0, hi, 0, bands);
        }
    }

    /** This image's stretch limits (empty for U8 data), to hand to other readers of the same image. */
    public Limits limits() {
        return u8 ? new Limits(new double[0], new double[0]) : new Limits(lo, hi);
    }

    /** Rows of a TIFF (or any file {@link Rasters#readWindow} reads) described by {@code header}. */
    public static SarRows open(Path file, RasterHeader header) {
        return open(file, header, null);
    }

    /** As {@link #open(Path, RasterHeader)} with known stretch limits (null: scan the file for them). */
    public static SarRows open(Path file, RasterHeader header, Limits limits) {
        return new SarRows((y0, rows) -> Rasters.readWindow(file, 0, y0, header.width(), rows), header.width(),
                header.height(), header.bands(), header.sampleType(), file.getFileName().toString(), limits);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /**
     * Rows {@code [y0, y1)} in model space: 3 channels in [-1, 1], channel-major, full width; equal to the same rows
     * of {@link SarMapping#toModel} of the whole image.
     */
    public float[] rows(int y0, int y1) {
        int n = y1 - y0;
        Raster r = read(y0, n);
        int plane = n * width;
        float[] out = new float[SarMapping.CHANNELS * plane];
        float[] d = r.data();
        if (bands == 1) {
            for (int i = 0; i < plane; i++) out[i] = band255(d[i], 0) / 127.5f - 1f;
            System.arraycopy(out, 0, out, plane, plane);
            System.arraycopy(out, 0, out, 2 * plane, plane);
        } else {
            for (int i = 0; i < plane; i++) {
                float hh = band255(d[i], 0);
                float hv = band255(d[plane + i], 1);
                float vh = band255(d[2 * plane + i], 2);
                float vv = band255(d[3 * plane + i], 3);
                float cross = (hv + vh) * 0.5f;
                out[i] = hh / 127.5f - 1f;
                out[plane + i] = cross / 127.5f - 1f;
                out[2 * plane + i] = vv / 127.5f - 1f;
            }
        }
        return out;
    }

    /** As {@code Stretch.band255}: U8 as is, else clipped to the band's 1st..99th percentile and scaled to 0..255. */
    private float band255(float v, int b) {
        if (u8) return v;
        double range = hi[b] - lo[b];
        double t = range > 0 ? (v - lo[b]) / range : 0;
        return (float) (Math.max(0, Math.min(1, t)) * 255.0);
    }

    private Raster read(int y0, int rows) {
        Raster r = reader.read(y0, rows);
        if (r.width() != width || r.height() != rows || r.bands() != bands) {
            throw new IllegalStateException("row reader returned " + r + " for " + rows + " rows of " + width + "x" + height + "x" + bands);
        }
        return r;
    }

    private void stretchLimits(String fileName) {
        long n = (long) width * height;
        float[] min = new float[bands];
        float[] max = new float[bands];
        java.util.Arrays.fill(min, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        long[] firstBad = new long[bands];
        java.util.Arrays.fill(firstBad, -1);
        int chunk = Math.max(1, Math.min(height, CHUNK_VALUES / Math.max(1, width * bands)));
        for (int y0 = 0; y0 < height; y0 += chunk) {
            int rows = Math.min(chunk, height - y0);
            float[] d = read(y0, rows).data();
            int plane = rows * width;
            for (int b = 0; b < bands; b++) {
                for (int i = 0; i < plane; i++) {
                    float v = d[b * plane + i];
                    if (!Float.isFinite(v)) {
                        if (firstBad[b] < 0) firstBad[b] = (long) y0 * width + i;
                        continue;
                    }
                    if (v < min[b]) min[b] = v;
                    if (v > max[b]) max[b] = v;
                }
            }
            if (firstBad[0] >= 0) break; // band 0 is reported first, whatever the others hold
        }
        for (int b = 0; b < bands; b++) {
            if (firstBad[b] >= 0) {
                long x = firstBad[b] % width, y = firstBad[b] / width;
                throw new DataException("NaN/Inf pixels in " + fileName + " (band " + (b + 1) + ", first at x=" + x
                        + " y=" + y + "); mask or fill them first");
            }
        }
        long[] rl = BandPercentiles.ranks(n, Stretch.LOW_PERCENTILE);
        long[] rh = BandPercentiles.ranks(n, Stretch.HIGH_PERCENTILE);
        long[] ranks = {rl[0], rl[1], rh[0], rh[1]};
        float[][] v = BandPercentiles.select(visitor -> {
            for (int y0 = 0; y0 < height; y0 += chunk) {
                int rows = Math.min(chunk, height - y0);
                float[] d = read(y0, rows).data();
                int plane = rows * width;
                for (int b = 0; b < bands; b++) visitor.chunk(b, d, b * plane, plane);
            }
        }, bands, n, min, max, ranks);
        for (int b = 0; b < bands; b++) {
            lo[b] = BandPercentiles.percentile(n, Stretch.LOW_PERCENTILE, v[b][0], v[b][1]);
            hi[b] = BandPercentiles.percentile(n, Stretch.HIGH_PERCENTILE, v[b][2], v[b][3]);
        }
    }
}
