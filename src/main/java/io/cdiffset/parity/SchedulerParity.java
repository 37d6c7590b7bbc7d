package io.cdiffset.parity;

import java.nio.file.Path;
import java.util.List;

final class SchedulerParity {
    private SchedulerParity() {}

    static void run(Path dir, List<Result> out) {
        throw new UnsupportedOperationException("SchedulerParity not implemented yet");
    }
}
