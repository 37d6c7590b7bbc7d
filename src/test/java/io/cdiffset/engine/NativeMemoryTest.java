package io.cdiffset.engine;

import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNets;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Repeated forward passes inside scopes must not grow native memory (JavaCPP's physical-bytes figure stays flat). */
class NativeMemoryTest {
    @Test
    void repeatedUNetForwardPassesDoNotGrowNativeMemory() {
        Path fx = Path.of("src/test/resources/fixtures/unet");
        UNet2DConditionModel unet = UNets.load(fx.resolve("config.json"), fx.resolve("weights.safetensors"));
        Tensor x = torch.randn(2, 8, 16, 16);
        Tensor ctx = torch.randn(2, 6, 64);
        Tensor t = Tensors.fromLongs(new long[]{981, 1}, 2);
        long[] samples = new long[60];
        for (int i = 0; i < samples.length; i++) {
            try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
                Tensor y = unet.forward(x, t, ctx);
                y.sum().item_float();
            }
            // the committed Java heap is subtracted: the test JVM pre-touches it (-XX:+AlwaysPreTouch in the pom), so
            // it is all resident and a heap expansion is not native growth. Without pre-touch, G1's first touches of
            // committed heap pages showed up here as 19 MB of "native" growth in one CI run.
            samples[i] = Pointer.physicalBytes() - Runtime.getRuntime().totalMemory();
        }
        long warm = median(samples, 10, 20), end = median(samples, 50, 60);
        double growthMb = (end - warm) / 1e6;
        System.out.printf("native memory after warm-up %.1f MB, after 60 passes %.1f MB, growth %.2f MB%n", warm / 1e6, end / 1e6, growthMb);
        assertTrue(growthMb < 16, "native memory grew by " + growthMb + " MB over 40 forward passes");
    }

    @Test
    void withoutScopesMemoryWouldGrow() {
        // control: the same measurement detects growth when tensors are retained (so the test above can fail)
        java.util.List<Tensor> leak = new java.util.ArrayList<>();
        Pointer.trimMemory(); // hand freed pages back first, or new tensors reuse them without growing the process
        long before = Pointer.physicalBytes();
        for (int i = 0; i < 20; i++) leak.add(torch.randn(4096, 1024)); // 16 MB each, touched
        long after = Pointer.physicalBytes();
        assertTrue((after - before) / 1e6 > 200, "retained tensors must show as growth: " + (after - before) / 1e6 + " MB");
        leak.clear();
    }

    private static long median(long[] a, int from, int to) {
        long[] s = java.util.Arrays.copyOfRange(a, from, to);
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }
}
