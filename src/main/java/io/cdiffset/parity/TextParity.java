package io.cdiffset.parity;

import java.nio.file.Path;
import java.util.List;

final class TextParity {
    private TextParity() {}

    static void run(Path dir, List<Result> out) {
        throw new UnsupportedOperationException("TextParity not implemented yet");
    }
}
