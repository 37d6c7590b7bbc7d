package io.cdiffset.io;

import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one way weights files are opened: safetensors, or a PyTorch checkpoint ({@code .pth .pt .ckpt .bin}, read by
 * {@link TorchCheckpoint} without executing anything). The format is told from the content, not the name.
 */
public final class WeightFiles {
    /** File name endings of weights files cdiffset reads. */
    public static final List<String> EXTENSIONS = List.of(".safetensors", ".pth", ".pt", ".ckpt", ".bin");

    private WeightFiles() {}

    /** True if the file name ends in one of {@link #EXTENSIONS}. */
    public static boolean isWeightsName(Path file) {
        String n = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String e : EXTENSIONS) if (n.endsWith(e)) return true;
        return false;
    }

    /** Opens a weights file for reading; a missing or unreadable file is a one-line {@link WeightsException}. */
    static java.nio.channels.FileChannel openChannel(Path path) {
        try {
            return java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new WeightsException(path + ": file not found; check the path");
        } catch (IOException e) {
            throw new WeightsException(path + ": cannot open (" + e.getMessage() + ")");
        }
    }

    /** Opens a weights file, choosing the reader from its first bytes. */
    public static WeightFile open(Path path) {
        byte[] head;
        try (InputStream in = Files.newInputStream(path)) {
            head = in.readNBytes(9);
        } catch (NoSuchFileException e) {
            throw new WeightsException(path + ": file not found; check the path");
        } catch (IOException e) {
            throw new WeightsException(path + ": cannot open (" + e.getMessage() + ")");
        }
        // safetensors: 8-byte header length, then the JSON header's '{' (its length's first byte can be 0x80 too)
        boolean safetensors = head.length == 9 && head[8] == '{';
        if (!safetensors && TorchCheckpoint.looksLike(head)) return TorchCheckpoint.open(path);
        return SafeTensors.open(path);
    }

    /** Every tensor of a weights file (stored dtypes), in file order. */
    public static Map<String, Tensor> read(Path path) {
        try (WeightFile f = open(path)) {
            return f.loadAll();
        }
    }
}
