package io.cdiffset.parity;

import java.nio.file.Path;
import java.util.List;

final class TokenizerParity {
    private TokenizerParity() {}

    static void run(Path dir, List<Result> out) {
        throw new UnsupportedOperationException("TokenizerParity not implemented yet");
    }
}
