package io.cdiffset.data;

import io.cdiffset.io.raster.RasterException;
import io.cdiffset.io.raster.RasterHeader;
import io.cdiffset.io.raster.Rasters;
import java.util.ArrayList;
import java.util.List;

/**
 * Fixed-crop mode: every image cut into non-overlapping size×size crops in row-major order (1024² → 16 crops of
 * 256²). A remainder narrower than {@code size} at the right/bottom edge is dropped. Used for evaluation on test
 * scenes and for latent caching.
 */
public final class FixedCrops {

    private FixedCrops() {
    }

    /**
     * One crop of pair {@code pairIndex}; {@code id} = pair id + "_x" + x + "_y" + y (e.g. {@code 003_x256_y0}).
     */
    public record Crop(int pairIndex, String id, int x, int y, int size) {
    }

    /** Crop grid of one image. */
    public static List<Crop> grid(int pairIndex, String pairId, int width, int height, int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("crop size must be positive, got " + size);
        }
        List<Crop> out = new ArrayList<>();
        for (int y = 0; y + size <= height; y += size) {
            for (int x = 0; x + size <= width; x += size) {
                out.add(new Crop(pairIndex, pairId + "_x" + x + "_y" + y, x, y, size));
            }
        }
        return out;
    }

    /** Crops of the given pairs (image sizes from the SAR headers; an image smaller than size is an error). */
    public static List<Crop> plan(PairDataset ds, int[] indices, int size) {
        List<Crop> out = new ArrayList<>();
        for (int i : indices) {
            PairRef r = ds.ref(i);
            RasterHeader h;
            try {
                h = Rasters.readHeader(r.sar());
            } catch (RasterException e) {
                throw new DataException(e.getMessage(), e);
            }
            if (h.width() < size || h.height() < size) {
                throw new DataException("image " + r.sar() + " is " + h.width() + "x" + h.height()
                        + ", smaller than the crop size " + size + "; use a smaller crop size or drop the pair");
            }
            out.addAll(grid(i, r.id(), h.width(), h.height(), size));
        }
        return out;
    }
}
