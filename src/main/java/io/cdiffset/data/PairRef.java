package io.cdiffset.data;

import java.nio.file.Path;

/**
 * One SAR/EO pair of a data set.
 *
 * @param id    unique id inside the data set (file stem or csv id); safe to use in output file names
 * @param sar   SAR image path
 * @param eo    optical (EO) image path
 * @param group scene / strip key used by {@link Splits#byGroup}: pairs with the same group never straddle a split
 *              (equals {@code id} when the layout has no scene notion)
 * @param split split given by the layout ("train", "test", ...) or null
 */
public record PairRef(String id, Path sar, Path eo, String group, String split) {
}
