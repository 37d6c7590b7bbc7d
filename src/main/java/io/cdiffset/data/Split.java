package io.cdiffset.data;

import java.util.Arrays;

/** Train/test pair indices into a {@link PairDataset}, each ascending. */
public record Split(int[] train, int[] test) {

    @Override
    public boolean equals(Object o) {
        return o instanceof Split s && Arrays.equals(train, s.train) && Arrays.equals(test, s.test);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(train) + Arrays.hashCode(test);
    }

    @Override
    public String toString() {
        return "Split[train=" + train.length + ", test=" + test.length + "]";
    }
}
