package io.cdiffset.metrics.nets;

import io.cdiffset.io.WeightsException;
import io.cdiffset.pipeline.Evaluator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The torch hub cache lookup for the metric backbones: where the cache is (TORCH_HOME, XDG_CACHE_HOME, ~/.cache), the
 * SHA-256 prefix check torchvision's check_hash makes on the file name, and evaluate's "skipped" when nothing is there.
 * Real backbone files cannot be made here, so the hash logic is tested on tiny files named with their computed prefix.
 */
class TorchHubTest {
    @TempDir
    Path tmp;

    @Test
    void cacheFolderFollowsTorchHubGetDir() {
        assertEquals(Path.of("/t/hub/checkpoints"), TorchHub.of(Map.of("TORCH_HOME", "/t", "XDG_CACHE_HOME", "/x"), "/home/u").checkpoints());
        assertEquals(Path.of("/x/torch/hub/checkpoints"), TorchHub.of(Map.of("XDG_CACHE_HOME", "/x"), "/home/u").checkpoints());
        assertEquals(Path.of("/home/u/.cache/torch/hub/checkpoints"), TorchHub.of(Map.of(), "/home/u").checkpoints());
    }

    @Test
    void aFileIsUsedOnlyIfItsHashMatchesTheNamePrefix() throws Exception {
        TorchHub hub = TorchHub.of(Map.of("TORCH_HOME", tmp.toString()), "/nowhere");
        Files.createDirectories(hub.checkpoints());
        assertNull(hub.find(TorchHub.VGG16), "missing file: not found, no error");

        byte[] content = "tiny synthetic backbone".getBytes(StandardCharsets.US_ASCII);
        Path probe = Files.write(tmp.resolve("probe"), content);
        String prefix = TorchHub.sha256(probe).substring(0, 8);
        String good = "tiny-" + prefix + ".pth";
        Files.write(hub.checkpoints().resolve(good), content);
        assertEquals(hub.checkpoints().resolve(good), hub.find(good));

        Files.write(hub.checkpoints().resolve(TorchHub.VGG16), content); // right name, wrong content
        WeightsException e = assertThrows(WeightsException.class, () -> hub.find(TorchHub.VGG16));
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(e.getMessage().contains("397923af"), e.getMessage());
        assertTrue(e.getMessage().startsWith(hub.checkpoints().resolve(TorchHub.VGG16).toString()), e.getMessage());
    }

    @Test
    void theInceptionNameCarriesItsPrefixAfterTheDate() throws Exception {
        Path f = Files.write(tmp.resolve(TorchHub.INCEPTION), new byte[]{1, 2, 3});
        WeightsException e = assertThrows(WeightsException.class, () -> TorchHub.checkHash(f));
        assertTrue(e.getMessage().contains("does not start with 6726825d"), e.getMessage());
    }

    @Test
    void evaluateSkipsLearnedMetricsWithTheReasonWhenTheCacheIsEmpty() throws Exception {
        TorchHub hub = TorchHub.of(Map.of("TORCH_HOME", tmp.toString()), "/nowhere");
        Map<String, String> b = new Evaluator(null, null, hub).backbones();
        assertTrue(b.get("lpips_backbone").startsWith("skipped: "), b.toString());
        assertTrue(b.get("lpips_backbone").contains(TorchHub.VGG16) && b.get("lpips_backbone").contains(hub.checkpoints().toString()), b.toString());
        assertTrue(b.get("fid_backbone").contains(TorchHub.INCEPTION), b.toString());

        Files.createDirectories(hub.checkpoints());
        Files.write(hub.checkpoints().resolve(TorchHub.INCEPTION), new byte[]{9});
        assertThrows(WeightsException.class, () -> new Evaluator(null, null, hub), "a damaged cached file is an error, not a silent skip");
    }
}
