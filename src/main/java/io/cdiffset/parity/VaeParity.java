package io.cdiffset.parity;

import java.nio.file.Path;
import java.util.List;

final class VaeParity {
    private VaeParity() {}

    static void run(Path dir, List<Result> out) {
        throw new UnsupportedOperationException("VaeParity not implemented yet");
    }
}
