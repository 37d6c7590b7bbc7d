package io.cdiffset.metrics.nets;

import io.cdiffset.io.WeightFiles;
import io.cdiffset.io.WeightsException;
import io.cdiffset.nn.Module;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Path;
import java.util.Map;

/** Strict loading with {@link Module#load}'s one-line message, its config.json hint swapped for a metric-net hint. */
final class Weights {
    private static final String CONFIG_HINT = "; check that the file and the config.json belong together";

    private Weights() {
    }

    /**
     * Reads a whole weights file, safetensors or PyTorch checkpoint by its content ({@link WeightFiles}): the one
     * place the metric nets read a whole file. {@link Lpips#readBackbone} reads selectively instead.
     */
    static Map<String, Tensor> read(Path file) {
        return WeightFiles.read(file);
    }

    static void load(Module module, Map<String, Tensor> state, String source, String hint) {
        try {
            module.load(state, source);
        } catch (WeightsException e) {
            String m = e.getMessage();
            throw new WeightsException(m.endsWith(CONFIG_HINT)
                    ? m.substring(0, m.length() - CONFIG_HINT.length()) + "; " + hint
                    : m + "; " + hint);
        }
    }
}
