package io.cdiffset.data;

import io.cdiffset.io.raster.Raster;

/** A loaded pair: raw rasters as read from disk (not yet mapped to [-1,1]). */
public record Pair(PairRef ref, Raster sar, Raster eo) {
}
