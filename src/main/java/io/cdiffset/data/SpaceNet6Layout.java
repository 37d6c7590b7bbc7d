package io.cdiffset.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * SpaceNet 6 layout: SAR in {@code SAR-Intensity/} (4-band float GeoTIFF HH,HV,VH,VV), EO in {@code PS-RGB/}.
 * Names look like {@code SN6_Train_AOI_11_Rotterdam_SAR-Intensity_20190804111224_20190804111453_tile_8679.tif}
 * ↔ {@code SN6_Train_AOI_11_Rotterdam_PS-RGB_20190804111224_20190804111453_tile_8679.tif}: the part after the
 * modality token is the key. id = key without extension ({@code 20190804111224_20190804111453_tile_8679});
 * group = the strip id (the two timestamps, {@code 20190804111224_20190804111453}) so tiles of one acquisition
 * strip never straddle a split.
 */
public final class SpaceNet6Layout extends ListPairDataset {
    public static final String SAR_DIR = "SAR-Intensity";
    public static final String EO_DIR = "PS-RGB";

    private SpaceNet6Layout(Path root, List<PairRef> refs) {
        super(root, refs);
    }

    static boolean matches(Path dir) {
        return Files.isDirectory(dir.resolve(SAR_DIR)) && Files.isDirectory(dir.resolve(EO_DIR));
    }

    /** Part of the file name after {@code _<token>_}, without extension; the whole stem if the token is absent. */
    static String key(Path p, String token) {
        String s = stem(p);
        int i = s.indexOf("_" + token + "_");
        return i >= 0 ? s.substring(i + token.length() + 2) : s;
    }

    /** Strip id: the key up to {@code _tile_}. */
    static String strip(String key) {
        int i = key.indexOf("_tile_");
        return i > 0 ? key.substring(0, i) : key;
    }

    public static SpaceNet6Layout open(Path dir) {
        Path sarDir = dir.resolve(SAR_DIR);
        Path eoDir = dir.resolve(EO_DIR);
        var sar = index(listImages(sarDir), p -> key(p, SAR_DIR));
        var eo = index(listImages(eoDir), p -> key(p, EO_DIR));
        return new SpaceNet6Layout(dir, match(sar, eo, eoDir, sarDir, k -> k, SpaceNet6Layout::strip, null));
    }

    @Override
    public String layout() {
        return "spacenet6";
    }
}
