package io.cdiffset.parity;

import java.nio.file.Path;
import java.util.List;

final class MetricsParity {
    private MetricsParity() {}

    static void run(Path dir, List<Result> out) {
        throw new UnsupportedOperationException("MetricsParity not implemented yet");
    }
}
