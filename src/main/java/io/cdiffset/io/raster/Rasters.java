package io.cdiffset.io.raster;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * Reading and writing of images as {@link Raster}s. PNG/JPEG go through {@code javax.imageio}; TIFF/GeoTIFF/BigTIFF
 * use the built-in reader (format detected from the file's magic bytes, not its extension).
 * <p>
 * Every failure is reported as a {@link RasterException} with a one-line message naming the file, the problem and
 * the fix; no NPE/IndexOutOfBounds/IOException escapes. All writes are atomic ({@link AtomicFiles}).
 */
public final class Rasters {

    private enum Format { TIFF, PNG, JPEG, OTHER }

    /**
     * Default pixel limit for an image read whole (PNG / JPEG): translate's peak Java heap grows by 29 bytes per pixel
     * of a grey PNG (measured, MemoryFiguresTest: decoded image, float raster, model-space copy; about 37 for RGB), so
     * 1.5e8 pixels (e.g. 12,000 x 12,500) fit the launcher's 6 GB heap on a 24 GB machine. Raise it with
     * {@code --max-pixels}.
     */
    public static final long MAX_WHOLE_PIXELS = 150_000_000L;
    /**
     * Default pixel limit for a streamed (TIFF) image: memory grows with its width, not its area, so the limit is far
     * higher (2e10, e.g. 141,000 x 141,000); it bounds the run time more than the memory.
     */
    public static final long MAX_STREAMED_PIXELS = 20_000_000_000L;
    /** Rows of a streamed scene counted as held in memory at once (a 512 tile with its overlap, with margin). */
    static final int STREAM_BAND_ROWS = 1024;

    private Rasters() {
    }

    /** Whether {@link #read} decodes this format whole (PNG / JPEG) rather than in windows (TIFF). */
    public static boolean readWhole(RasterHeader h) {
        return !h.format().contains("TIFF");
    }

    /**
     * The pixel limit for this image: {@code maxPixels} if given, else {@link #MAX_WHOLE_PIXELS} for images read
     * whole and {@link #MAX_STREAMED_PIXELS} for streamed TIFF. A larger image is refused (one line naming the
     * limit, the image size and {@code --max-pixels}) before any pixel memory is committed.
     */
    public static void checkPixels(Path file, RasterHeader h, Long maxPixels) {
        checkPixels(file, h, maxPixels, readWhole(h));
    }

    /** As {@link #checkPixels(Path, RasterHeader, Long)}, for a caller that reads the image whole ({@code whole}) or not. */
    public static void checkPixels(Path file, RasterHeader h, Long maxPixels, boolean whole) {
        if (maxPixels != null && maxPixels <= 0) {
            throw new IllegalArgumentException("--max-pixels must be a positive number of pixels, got " + maxPixels);
        }
        long limit = maxPixels != null ? maxPixels : whole ? MAX_WHOLE_PIXELS : MAX_STREAMED_PIXELS;
        long pixels = (long) h.width() * h.height();
        if (pixels > limit) {
            throw new RasterException("image " + file + " is too large: " + h.width() + "x" + h.height() + " = " + pixels
                    + " pixels, over the limit of " + limit + (maxPixels != null ? " set by --max-pixels"
                    : whole ? " for a " + h.format() + " read whole (about 30-40 bytes of memory per pixel)"
                    : " for a streamed TIFF") + "; raise it with --max-pixels " + pixels + " if the machine has the memory"
                    + (whole && readWhole(h) ? ", or convert the image to a GeoTIFF, which is streamed" : ""));
        }
        // streamed: memory follows the band of rows in flight (at most a tile and its overlap, 1,024 rows counted),
        // so a very wide scene is refused even below the pixel limit unless --max-pixels says otherwise
        long band = (long) h.width() * Math.min(h.height(), STREAM_BAND_ROWS);
        if (!whole && maxPixels == null && band > MAX_WHOLE_PIXELS) {
            throw new RasterException("image " + file + " is too wide to stream: " + h.width() + " pixels wide, so a band of "
                    + Math.min(h.height(), STREAM_BAND_ROWS) + " rows is " + band + " pixels, over the limit of " + MAX_WHOLE_PIXELS
                    + " held in memory at once; raise it with --max-pixels " + Math.max(band, pixels)
                    + " if the machine has the memory, or split the scene into narrower strips");
        }
        if (h.format().equals("PNG")) {
            guard(file, () -> {
                checkPngData(file, h.width(), h.height());
                return null;
            });
        } else if (h.format().equals("JPEG")) {
            guard(file, () -> {
                checkJpegData(file, h.width(), h.height());
                return null;
            });
        }
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads the whole image. PNG/JPEG: grey → 1 band, RGB → 3, alpha dropped, palette expanded (to 1 band if the
     * palette is grey), 16-bit PNG → U16 raw values. TIFF: all samples except alpha, raw values, GeoTIFF tags in
     * {@link Raster#geo()}.
     */
    public static Raster read(Path file) {
        return guard(file, () -> {
            Format f = detect(file);
            if (f == Format.TIFF) {
                try (TiffReader r = TiffReader.open(file)) {
                    return r.read(0, 0, r.width(), r.height());
                }
            }
            return readImageIo(file, f, null);
        });
    }

    /** Reads only the window (x, y, w, h); for TIFF only the strips/tiles that overlap it are decoded. */
    public static Raster readWindow(Path file, int x, int y, int w, int h) {
        return guard(file, () -> {
            Format f = detect(file);
            if (f == Format.TIFF) {
                try (TiffReader r = TiffReader.open(file)) {
                    return r.read(x, y, w, h);
                }
            }
            return readImageIo(file, f, new int[]{x, y, w, h});
        });
    }

    /** Size, band count, sample type and georeferencing without decoding pixels (cheap; for validation). */
    public static RasterHeader readHeader(Path file) {
        return guard(file, () -> {
            Format f = detect(file);
            if (f == Format.TIFF) {
                try (TiffReader r = TiffReader.open(file)) {
                    if (r.geoProblem() != null) {
                        System.err.println("cdiffset: warning: " + file + ": the GeoTIFF georeferencing is ignored because "
                                + r.geoProblem() + "; outputs will not be georeferenced (fix the tags with gdal_edit.py -a_ullr / -a_srs)");
                    }
                    return r.header();
                }
            }
            return headerImageIo(file, f);
        });
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes an 8-bit PNG (1 band → grey, 3 bands → RGB); values are rounded and clamped to 0..255 whatever the
     * raster's sample type. Atomic. Encoded by {@link PngStreamWriter}.
     */
    public static void writePng(Path file, Raster r) {
        if (r.bands() != 1 && r.bands() != 3) {
            throw new RasterException("cannot write " + file + ": PNG output needs 1 or 3 bands, got " + r.bands()
                    + "; select bands first or write a GeoTIFF");
        }
        guardWrite(file, () -> AtomicFiles.writeVia(file, tmp -> {
            try (PngStreamWriter w = PngStreamWriter.create(tmp, r.width(), r.height(), r.bands())) {
                w.writeRows(r.data(), r.height());
                w.finish();
            }
        }));
    }

    /** GeoTIFF with Deflate compression; see {@link #writeGeoTiff(Path, Raster, GeoInfo, TiffCompression)}. */
    public static void writeGeoTiff(Path file, Raster r, GeoInfo geoOrNull) {
        writeGeoTiff(file, r, geoOrNull, TiffCompression.DEFLATE);
    }

    /**
     * Writes a (Geo)TIFF: U8 samples if the raster is U8 (rounded, clamped), else F32; all bands pixel-interleaved
     * in strips; 3-band U8 is tagged RGB, everything else MinIsBlack with extra samples. The GeoTIFF tags of
     * {@code geoOrNull} are written back verbatim, so a re-read gives the identical geotransform and GeoKeys. Atomic.
     */
    public static void writeGeoTiff(Path file, Raster r, GeoInfo geoOrNull, TiffCompression compression) {
        guardWrite(file, () -> AtomicFiles.writeVia(file, tmp -> TiffWriter.write(tmp, r, geoOrNull,
                compression == null ? TiffCompression.NONE : compression)));
    }

    /**
     * Colour-maps a single-band float map (e.g. a confidence map, length width*height) to a 3-band U8 raster with
     * the viridis palette, min-max normalised over the finite values (NaN/Inf → black). See {@link ColorMaps}.
     */
    public static Raster colorMap(float[] values, int width, int height) {
        return ColorMaps.colorize(values, width, height);
    }

    // ------------------------------------------------------------------ internals

    @FunctionalInterface
    private interface IOSupplier<T> {
        T get() throws IOException;
    }

    @FunctionalInterface
    private interface IORunnable {
        void run() throws IOException;
    }

    private static <T> T guard(Path file, IOSupplier<T> body) {
        if (file == null) {
            throw new RasterException("no image path given (null)");
        }
        try {
            if (!Files.exists(file)) {
                throw new RasterException("file not found: " + file + "; check the path");
            }
            if (Files.isDirectory(file)) {
                throw new RasterException(file + " is a directory, expected an image file");
            }
            if (Files.size(file) == 0) {
                throw new RasterException("empty file " + file + " (0 bytes); re-export the image");
            }
            return body.get();
        } catch (RasterException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new RasterException("file not found: " + file + "; check the path", e);
        } catch (AccessDeniedException e) {
            throw new RasterException("cannot read " + file + ": permission denied; fix the file permissions", e);
        } catch (IOException e) {
            throw new RasterException("cannot read " + file + ": " + e + "; check the file", e);
        } catch (OutOfMemoryError e) {
            throw new RasterException("not enough memory to read " + file + "; increase -Xmx or read it in windows", e);
        } catch (RuntimeException e) {
            throw new RasterException("corrupt or unsupported image " + file + " (" + e + "); re-export it as "
                    + "PNG or GeoTIFF", e);
        }
    }

    private static void guardWrite(Path file, IORunnable body) {
        try {
            body.run();
        } catch (RasterException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new RasterException("cannot write " + file + ": " + e + "; check free disk space and permissions", e);
        }
    }

    /**
     * The image format of a file by its first bytes ("TIFF", "PNG" or "JPEG"), or null if it is none of them; the
     * name is not looked at (for uploads, whose names are the sender's).
     */
    public static String sniff(Path file) {
        return guard(file, () -> {
            byte[] m = new byte[4];
            int n;
            try (InputStream in = Files.newInputStream(file)) {
                n = in.readNBytes(m, 0, 4);
            }
            Format f = detect(m, n);
            return f == Format.OTHER ? null : f.name();
        });
    }

    private static Format detect(Path file) throws IOException {
        byte[] m = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(m, 0, 4);
        }
        Format f = detect(m, n);
        if (f != Format.OTHER) return f;
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".tif") || name.endsWith(".tiff")) {
            throw new RasterException("corrupt TIFF " + file + ": bad header (not II*/MM*); re-export or re-download "
                    + "the image");
        }
        return Format.OTHER;
    }

    /** The format the first {@code n} (up to 4) bytes {@code m} announce. */
    private static Format detect(byte[] m, int n) {
        if (n >= 4 && ((m[0] == 'I' && m[1] == 'I' && (m[2] == 42 || m[2] == 43) && m[3] == 0)
                || (m[0] == 'M' && m[1] == 'M' && m[2] == 0 && (m[3] == 42 || m[3] == 43)))) {
            return Format.TIFF;
        }
        if (n >= 4 && (m[0] & 0xFF) == 0x89 && m[1] == 'P' && m[2] == 'N' && m[3] == 'G') {
            return Format.PNG;
        }
        if (n >= 2 && (m[0] & 0xFF) == 0xFF && (m[1] & 0xFF) == 0xD8) {
            return Format.JPEG;
        }
        return Format.OTHER;
    }

    private static ImageReader readerFor(Path file, Format f, ImageInputStream iis) {
        Iterator<ImageReader> it = ImageIO.getImageReaders(iis);
        if (!it.hasNext()) {
            throw new RasterException("unrecognised image format in " + file + " (not TIFF, PNG or JPEG); convert it "
                    + "to PNG or GeoTIFF");
        }
        ImageReader reader = it.next();
        reader.setInput(iis, true, true);
        return reader;
    }

    private static String fmtName(Format f) {
        return f == Format.OTHER ? "image" : f.name();
    }

    private static Raster readImageIo(Path file, Format f, int[] window) throws IOException {
        try (ImageInputStream iis = ImageIO.createImageInputStream(file.toFile())) {
            if (iis == null) {
                throw new RasterException("cannot open " + file + " for reading; check the file");
            }
            ImageReader reader = readerFor(file, f, iis);
            BufferedImage img;
            try {
                ImageReadParam p = reader.getDefaultReadParam();
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (window == null) {
                    checkWholeSize(file, f, w, h);
                }
                if (window != null) {
                    if (window[0] < 0 || window[1] < 0 || window[2] <= 0 || window[3] <= 0
                            || (long) window[0] + window[2] > w || (long) window[1] + window[3] > h) {
                        throw new RasterException("window " + window[0] + "," + window[1] + " " + window[2] + "x"
                                + window[3] + " is outside the " + w + "x" + h + " image " + file
                                + "; choose a window inside the image");
                    }
                    p.setSourceRegion(new java.awt.Rectangle(window[0], window[1], window[2], window[3]));
                }
                img = reader.read(0, p);
            } catch (RasterException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                throw new RasterException("corrupt " + fmtName(f) + " " + file + ": " + e.getMessage()
                        + (c != e ? " (" + c + ")" : "") + "; the file is damaged or truncated - re-export it", e);
            } finally {
                reader.dispose();
            }
            if (img == null || img.getWidth() <= 0 || img.getHeight() <= 0) {
                throw new RasterException("zero-size image in " + file + "; re-export the image");
            }
            return fromBufferedImage(img);
        }
    }

    private static RasterHeader headerImageIo(Path file, Format f) throws IOException {
        try (ImageInputStream iis = ImageIO.createImageInputStream(file.toFile())) {
            if (iis == null) {
                throw new RasterException("cannot open " + file + " for reading; check the file");
            }
            ImageReader reader = readerFor(file, f, iis);
            try {
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w <= 0 || h <= 0) {
                    throw new RasterException("zero-size image in " + file + ": " + w + "x" + h
                            + " pixels; re-export the image");
                }
                ImageTypeSpecifier spec = reader.getRawImageType(0);
                if (spec == null) {
                    Iterator<ImageTypeSpecifier> it = reader.getImageTypes(0);
                    spec = it.hasNext() ? it.next() : null;
                }
                if (spec == null) {
                    throw new RasterException("corrupt " + fmtName(f) + " " + file + ": no image type; re-export it");
                }
                ColorModel cm = spec.getColorModel();
                int bands;
                SampleType st;
                if (cm instanceof IndexColorModel icm) {
                    bands = isGreyPalette(icm) ? 1 : 3;
                    st = SampleType.U8;
                } else {
                    bands = spec.getNumBands() - (cm != null && cm.hasAlpha() ? 1 : 0);
                    st = spec.getBitsPerBand(0) > 8 ? SampleType.U16 : SampleType.U8;
                }
                return new RasterHeader(w, h, Math.max(1, bands), st, fmtName(f), null);
            } catch (RasterException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new RasterException("corrupt " + fmtName(f) + " " + file + ": " + e.getMessage()
                        + "; the file is damaged or truncated - re-export it", e);
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * An image read whole must fit one Java array of floats per band (2^31 values); refused as too large, not as
     * damaged, and before javax.imageio allocates anything. A PNG must also hold enough compressed data for its size.
     */
    private static void checkWholeSize(Path file, Format f, int w, int h) throws IOException {
        long pixels = (long) w * h;
        if (pixels > (Integer.MAX_VALUE - 16) / 3) {
            throw new RasterException("image " + file + " is too large to read whole: " + w + "x" + h + " = " + pixels
                    + " pixels, over the limit of " + (Integer.MAX_VALUE - 16) / 3 + " pixels for a " + fmtName(f)
                    + "; convert it to a GeoTIFF, which is read in windows");
        }
        if (f == Format.PNG) {
            checkPngData(file, w, h);
        } else if (f == Format.JPEG) {
            checkJpegData(file, w, h);
        }
    }

    /** Pixels one byte of Huffman-coded JPEG data can cover at most: see {@link #checkJpegData}. */
    static final long JPEG_MAX_PIXELS_PER_BYTE = 8192;

    /**
     * A Huffman-coded JPEG (all javax.imageio reads) spends at least one bit per 8x8 block of the component it codes
     * most coarsely, and chroma subsampling is at most 4:1 each way, so one byte covers at most 8 x 32 x 32 = 8,192
     * pixels. A file too small for its declared size (e.g. a few hundred bytes declaring 10,000 x 10,000) is refused
     * before javax.imageio allocates the image.
     */
    private static void checkJpegData(Path file, int w, int h) throws IOException {
        long pixels = (long) w * h;
        long size = Files.size(file);
        if ((double) size * JPEG_MAX_PIXELS_PER_BYTE + 65536 < pixels) {
            throw new RasterException("corrupt JPEG " + file + ": it declares " + w + "x" + h + " pixels but the whole file is "
                    + size + " bytes, too little data for that size even at the highest compression; the file is damaged or crafted - re-export it");
        }
    }

    /**
     * A PNG's pixels are zlib-compressed, and Deflate expands at most about 1032:1: a file too small for its declared
     * size (e.g. a few hundred bytes declaring 46,000 x 46,000) is refused before anything is decoded.
     */
    private static void checkPngData(Path file, int w, int h) throws IOException {
        byte[] ihdr = new byte[26];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(ihdr, 0, 26) < 26) {
                return; // let the decoder report it
            }
        }
        int depth = ihdr[24] & 0xFF;
        int channels = switch (ihdr[25] & 0xFF) {
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> 1;
        };
        long rowBytes = 1 + ((long) w * channels * Math.max(1, depth) + 7) / 8;
        long raw = rowBytes * h;
        long size = Files.size(file);
        if ((double) size * 1032 + 65536 < raw) {
            throw new RasterException("corrupt PNG " + file + ": it declares " + w + "x" + h + " pixels (" + raw
                    + " bytes uncompressed) but the whole file is " + size + " bytes, too little data for that size even "
                    + "at the highest compression; the file is damaged or crafted - re-export it");
        }
    }

    private static boolean isGreyPalette(IndexColorModel icm) {
        for (int i = 0; i < icm.getMapSize(); i++) {
            if (icm.getRed(i) != icm.getGreen(i) || icm.getRed(i) != icm.getBlue(i)) {
                return false;
            }
        }
        return true;
    }

    static Raster fromBufferedImage(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int n = w * h;
        ColorModel cm = img.getColorModel();
        WritableRaster wr = img.getRaster();
        if (cm instanceof IndexColorModel icm) {
            boolean grey = isGreyPalette(icm);
            int bands = grey ? 1 : 3;
            float[] out = new float[bands * n];
            int[] idx = new int[w];
            for (int y = 0; y < h; y++) {
                wr.getSamples(0, y, w, 1, 0, idx);
                for (int x = 0; x < w; x++) {
                    int i = idx[x];
                    out[y * w + x] = icm.getRed(i);
                    if (!grey) {
                        out[n + y * w + x] = icm.getGreen(i);
                        out[2 * n + y * w + x] = icm.getBlue(i);
                    }
                }
            }
            return new Raster(w, h, bands, out, SampleType.U8);
        }
        int nb = wr.getNumBands();
        int keep = cm != null && cm.hasAlpha() && nb > 1 ? nb - 1 : nb;
        int bits = cm != null ? cm.getComponentSize(0) : wr.getSampleModel().getSampleSize(0);
        SampleType st = bits > 8 ? (bits > 16 ? SampleType.F32 : SampleType.U16) : SampleType.U8;
        float[] out = new float[keep * n];
        float[] row = new float[w];
        for (int b = 0; b < keep; b++) {
            for (int y = 0; y < h; y++) {
                wr.getSamples(0, y, w, 1, b, row);
                System.arraycopy(row, 0, out, b * n + y * w, w);
            }
        }
        return new Raster(w, h, keep, out, st);
    }
}
