package io.cdiffset.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Native memory sampled at the end of each unit of a real loop (a scene's window, a training step): the JVM heap is
 * collected and malloc trimmed first ({@link Memory#settle()}), and the committed heap is subtracted, so what is
 * left is native memory still referenced. That subtraction assumes the committed heap is resident, which the test JVM
 * ensures with {@code -XX:+AlwaysPreTouch} (pom): otherwise G1's first touches of committed pages count as growth. Growth is the median of the last ten samples minus the median of ten
 * samples after warm-up, as the bench's {@code native-100} case reports it.
 */
public final class GrowthProbe {
    private final List<Long> samples = new ArrayList<>();

    public void sample() {
        Memory.settle();
        samples.add(Memory.physical() - Runtime.getRuntime().totalMemory());
    }

    public int count() {
        return samples.size();
    }

    /** Growth in MB between samples [warm, warm+10) and the last ten. */
    public double growthMb(int warm) {
        if (samples.size() < warm + 20) throw new IllegalStateException("only " + samples.size() + " samples");
        return (median(samples.size() - 10, samples.size()) - median(warm, warm + 10)) / 1e6;
    }

    private long median(int from, int to) {
        long[] s = samples.subList(from, to).stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
