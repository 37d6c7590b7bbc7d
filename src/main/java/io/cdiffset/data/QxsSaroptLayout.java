package io.cdiffset.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * QXS-SAROPT layout: EO in {@code opt_256_oc_0.2/}, SAR with the same file name (stem) in {@code sar_256_oc_0.2/}.
 * id = file stem; group = id; no split.
 */
public final class QxsSaroptLayout extends ListPairDataset {
    public static final String EO_DIR = "opt_256_oc_0.2";
    public static final String SAR_DIR = "sar_256_oc_0.2";

    private QxsSaroptLayout(Path root, List<PairRef> refs) {
        super(root, refs);
    }

    static boolean matches(Path dir) {
        return Files.isDirectory(dir.resolve(EO_DIR)) && Files.isDirectory(dir.resolve(SAR_DIR));
    }

    public static QxsSaroptLayout open(Path dir) {
        Path eoDir = dir.resolve(EO_DIR);
        Path sarDir = dir.resolve(SAR_DIR);
        var sar = index(listImages(sarDir), ListPairDataset::stem);
        var eo = index(listImages(eoDir), ListPairDataset::stem);
        return new QxsSaroptLayout(dir, match(sar, eo, eoDir, sarDir, Function.identity(), Function.identity(),
                null));
    }

    @Override
    public String layout() {
        return "qxs";
    }
}
