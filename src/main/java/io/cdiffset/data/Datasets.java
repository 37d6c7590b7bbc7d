package io.cdiffset.data;

import io.cdiffset.io.raster.RasterException;
import io.cdiffset.io.raster.RasterHeader;
import io.cdiffset.io.raster.Rasters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Opening (with layout auto-detection) and up-front validation of data sets. */
public final class Datasets {

    /** Accepted layout names for {@link #open(Path, String)}. */
    public static final List<String> LAYOUTS = List.of("auto", "csv", "qxs", "sar2opt", "spacenet6");

    private Datasets() {
    }

    /**
     * Opens a data set. {@code layoutOrAuto}: "auto" (or null), "csv", "qxs" (QXS-SAROPT), "sar2opt",
     * "spacenet6". Auto-detection looks at {@code dir} and, if nothing matches there, at its direct sub-folders
     * (exactly one must match). {@code dir} may also be a csv file. File existence and partner matching are checked
     * here; call {@link #validate} for headers.
     */
    public static PairDataset open(Path dir, String layoutOrAuto) {
        if (dir == null || !Files.exists(dir)) {
            throw new DataException("data set folder not found: " + dir + "; check the path");
        }
        String layout = layoutOrAuto == null ? "auto" : layoutOrAuto.trim().toLowerCase(Locale.ROOT);
        if (Files.isRegularFile(dir)) {
            if (layout.equals("auto") || layout.equals("csv")) {
                return CsvPairs.open(dir);
            }
            throw new DataException("layout " + layout + " needs a folder, got the file " + dir);
        }
        switch (layout) {
            case "csv":
                return CsvPairs.open(dir);
            case "qxs":
            case "qxs-saropt":
            case "qxssaropt":
                return QxsSaroptLayout.open(dir);
            case "sar2opt":
                return Sar2OptLayout.open(dir);
            case "spacenet6":
            case "sn6":
                return SpaceNet6Layout.open(dir);
            case "auto":
                return openAuto(dir);
            default:
                throw new DataException("unknown data set layout '" + layoutOrAuto + "' for " + dir + "; use one of "
                        + String.join(", ", LAYOUTS));
        }
    }

    /** Auto-detection. */
    public static PairDataset open(Path dir) {
        return open(dir, "auto");
    }

    /** Layout name detected in {@code dir} itself, or null. */
    public static String detect(Path dir) {
        if (CsvPairs.matches(dir)) {
            return "csv";
        }
        if (QxsSaroptLayout.matches(dir)) {
            return "qxs";
        }
        if (SpaceNet6Layout.matches(dir)) {
            return "spacenet6";
        }
        if (Sar2OptLayout.matches(dir)) {
            return "sar2opt";
        }
        return null;
    }

    private static PairDataset openAuto(Path dir) {
        String l = detect(dir);
        if (l != null) {
            return open(dir, l);
        }
        List<Path> hits = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path sub : s.filter(Files::isDirectory).sorted().toList()) {
                if (detect(sub) != null) {
                    hits.add(sub);
                }
            }
        } catch (IOException e) {
            throw new DataException("cannot list " + dir + ": " + e.getMessage() + "; check permissions", e);
        }
        if (hits.size() == 1) {
            return open(hits.get(0), detect(hits.get(0)));
        }
        if (hits.size() > 1) {
            throw new DataException("several data sets under " + dir + " (" + hits.get(0).getFileName() + ", "
                    + hits.get(1).getFileName() + (hits.size() > 2 ? ", ..." : "") + "); point at one of them");
        }
        throw new DataException("no known data set layout in " + dir + ": expected pairs.csv, "
                + QxsSaroptLayout.SAR_DIR + "/+" + QxsSaroptLayout.EO_DIR + "/, trainA/trainB/testA/testB, or "
                + SpaceNet6Layout.SAR_DIR + "/+" + SpaceNet6Layout.EO_DIR + "/; arrange the folders or write a pairs.csv");
    }

    /** Header-only validation of every pair (see {@link #validate(PairDataset, int, boolean)}). */
    public static void validate(PairDataset ds) {
        validate(ds, 0, false);
    }

    /**
     * Checks every pair before training: both files readable (headers), SAR has 1 or 4 bands, EO has 3+ bands,
     * SAR and EO have the same size, both at least {@code minSize} (the crop size; 0 = no check). With
     * {@code readPixels} every image is also fully decoded and mapped (detects truncated pixel data and NaN/Inf).
     * Throws one {@link DataException}: the first problem's one-line message plus "(and N more problems)";
     * {@link DataException#problems()} lists all.
     */
    public static void validate(PairDataset ds, int minSize, boolean readPixels) {
        if (ds.size() == 0) {
            throw new DataException("no image pairs found in " + ds.root() + "; check the data set folder");
        }
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < ds.size(); i++) {
            PairRef r = ds.ref(i);
            String p = checkPair(r, minSize, readPixels);
            if (p != null) {
                problems.add(p);
            }
        }
        if (!problems.isEmpty()) {
            String msg = problems.get(0) + (problems.size() > 1 ? " (and " + (problems.size() - 1)
                    + " more problem" + (problems.size() > 2 ? "s" : "") + " in " + ds.root() + ")" : "");
            throw new DataException(msg, problems);
        }
    }

    private static String checkPair(PairRef r, int minSize, boolean readPixels) {
        try {
            RasterHeader s = Rasters.readHeader(r.sar());
            SarMapping.checkBands(s.bands(), r.sar().toString());
            RasterHeader e = Rasters.readHeader(r.eo());
            EoMapping.checkBands(e.bands(), r.eo().toString());
            if (s.width() != e.width() || s.height() != e.height()) {
                return "size mismatch in pair '" + r.id() + "': SAR " + r.sar() + " is " + s.width() + "x" + s.height()
                        + " but EO " + r.eo() + " is " + e.width() + "x" + e.height()
                        + "; resample both to the same grid";
            }
            if (minSize > 0 && (s.width() < minSize || s.height() < minSize)) {
                return "image " + r.sar() + " is " + s.width() + "x" + s.height() + ", smaller than the crop size "
                        + minSize + "; use a crop size <= " + Math.min(s.width(), s.height()) + " or drop the pair";
            }
            if (readPixels) {
                SarMapping.toModel(Rasters.read(r.sar()), r.sar().toString());
                EoMapping.toModel(Rasters.read(r.eo()), r.eo().toString());
            }
            return null;
        } catch (RasterException | DataException ex) {
            return ex.getMessage();
        }
    }
}
