package io.cdiffset.parity;

import java.nio.file.Path;
import java.util.List;

final class PipelineParity {
    private PipelineParity() {}

    static void run(Path dir, List<Result> out) {
        throw new UnsupportedOperationException("PipelineParity not implemented yet");
    }
}
