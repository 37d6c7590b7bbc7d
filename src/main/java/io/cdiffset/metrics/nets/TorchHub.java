package io.cdiffset.metrics.nets;

import io.cdiffset.io.WeightsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * torch hub's checkpoint cache, where torchvision and pytorch-fid keep the metric backbones they download:
 * {@code $TORCH_HOME/hub/checkpoints}, else {@code $XDG_CACHE_HOME/torch/hub/checkpoints}, else
 * {@code ~/.cache/torch/hub/checkpoints} (as {@code torch.hub.get_dir()}). Nothing is downloaded: a file is used only if
 * it is already there and its SHA-256 starts with the hex prefix its name carries, the check torchvision's
 * {@code check_hash} makes.
 */
public record TorchHub(Path checkpoints) {
    /** torchvision's VGG16 (the LPIPS backbone). */
    public static final String VGG16 = "vgg16-397923af.pth";
    /** pytorch-fid's FID InceptionV3. */
    public static final String INCEPTION = "pt_inception-2015-12-05-6726825d.pth";
    /** torchvision's HASH_REGEX: the first "-hex." in the name. */
    private static final Pattern HASH = Pattern.compile("-([a-f0-9]*)\\.");

    /** The cache of this process's environment. */
    public static TorchHub fromEnvironment() {
        return of(System.getenv(), System.getProperty("user.home"));
    }

    static TorchHub of(Map<String, String> env, String home) {
        String torchHome = env.get("TORCH_HOME");
        Path root;
        if (torchHome != null && !torchHome.isBlank()) {
            root = Path.of(torchHome);
        } else {
            String xdg = env.get("XDG_CACHE_HOME");
            root = (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(home, ".cache")).resolve("torch");
        }
        return new TorchHub(root.resolve("hub").resolve("checkpoints"));
    }

    /**
     * The cached file {@code fileName}, hash-checked, or null if it is not in the cache.
     *
     * @throws WeightsException one line if the file is there but its content does not match the hash in its name
     */
    public Path find(String fileName) {
        Path p = checkpoints.resolve(fileName);
        if (!Files.isRegularFile(p)) return null;
        checkHash(p);
        return p;
    }

    /** Refuses a file whose SHA-256 does not start with the hex prefix in its name (no prefix: nothing to check). */
    public static void checkHash(Path file) {
        Matcher m = HASH.matcher(file.getFileName().toString());
        if (!m.find() || m.group(1).isEmpty()) return;
        String prefix = m.group(1);
        String digest = sha256(file);
        if (!digest.startsWith(prefix)) {
            throw new WeightsException(file + ": SHA-256 " + digest.substring(0, Math.min(digest.length(), prefix.length() + 4))
                    + "… does not start with " + prefix + " as the file name says; the file is damaged or not the original — delete it and download it again");
        }
    }

    static String sha256(Path file) {
        try {
            return io.cdiffset.io.FileDigest.sha256(file);
        } catch (IOException e) {
            throw new WeightsException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
