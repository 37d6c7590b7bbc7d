package io.cdiffset.bench;

import java.util.Arrays;

/** Median, min and max of repeated timings (seconds). */
record Stats(double median, double min, double max, int runs, double[] values) {
    static Stats of(double[] v) {
        if (v.length == 0) throw new IllegalArgumentException("no runs");
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        double med = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        return new Stats(med, s[0], s[n - 1], n, v.clone());
    }
}
