package io.cdiffset.data;

import io.cdiffset.io.raster.RasterException;
import io.cdiffset.io.raster.Rasters;
import java.nio.file.Path;

/** An indexed list of SAR/EO pairs. Implementations are immutable and thread-safe. */
public interface PairDataset {

    int size();

    PairRef ref(int i);

    /** Layout name: "csv", "qxs", "sar2opt", "spacenet6". */
    String layout();

    /** Folder (or csv file) the data set was opened from. */
    Path root();

    /** Reads both images (raw values). Failures are {@link DataException}s naming the file. */
    default Pair load(int i) {
        PairRef r = ref(i);
        try {
            return new Pair(r, Rasters.read(r.sar()), Rasters.read(r.eo()));
        } catch (RasterException e) {
            throw new DataException(e.getMessage(), e);
        }
    }

    /** Index of the pair with this id, or -1. */
    default int indexOf(String id) {
        for (int i = 0; i < size(); i++) {
            if (ref(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }
}
