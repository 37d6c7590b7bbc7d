package io.cdiffset.pipeline;

import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Tensors;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.VaeConfig;
import io.cdiffset.nn.Conv2d;
import io.cdiffset.nn.ConvPath;
import io.cdiffset.nn.KernelOp;
import io.cdiffset.nn.KernelPolicy;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The per-CPU kernel check: a sweep once, then the cache; a path the cache rules out is not taken. */
class KernelCheckTest {
    static final Path FX = Path.of("src/test/resources/fixtures");

    @AfterEach
    void allowAll() {
        KernelPolicy.install(KernelPolicy.allowAll());
    }

    @Test
    void aSweepIsCachedPerCpuAndShapesAndReadBackWithoutRunning() throws Exception {
        UNetConfig u = UNetConfig.from(ConfigJson.read(FX.resolve("unet/config.json")));
        VaeConfig v = VaeConfig.from(ConfigJson.read(FX.resolve("vae/config.json")));
        Set<KernelOp> ops = KernelCheck.ops(u, v, 3, 5);
        List<KernelPolicy.Mode> modes = List.of(KernelPolicy.Mode.FP32_INFERENCE);
        Path file = KernelCheck.cacheDir().resolve("kernels-" + KernelCheck.key(ops, modes) + ".json");
        Files.deleteIfExists(file);
        KernelCheck.Outcome first = KernelCheck.ensure(ops, modes, null);
        assertFalse(first.cached());
        assertTrue(first.checks() >= ops.size(), "every op checked: " + first.checks());
        assertEquals(Set.of(), first.ruledOut(), "every path correct on this CPU: " + first.wrong());
        assertTrue(Files.isRegularFile(file));
        KernelCheck.Outcome second = KernelCheck.ensure(ops, modes, null);
        assertTrue(second.cached(), "read from the cache, no sweep");
        assertEquals(first.checks(), second.checks());
    }

    @Test
    void aPathTheCacheRulesOutIsNotTakenAndTheResultIsTheSame() throws Exception {
        Engine.seed(3);
        KernelOp.Conv op = new KernelOp.Conv(16, 32, 3, 1, 1, 1, 9, 7);
        List<KernelPolicy.Mode> modes = List.of(KernelPolicy.Mode.FP32_INFERENCE);
        Path file = KernelCheck.cacheDir().resolve("kernels-" + KernelCheck.key(List.of(op), modes) + ".json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"ruled_out\": [\"conv onednn-nchw fp32\"], \"checks\": 1, \"wrong\": [\"(test)\"]}");
        try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode()) {
            Conv2d conv = new Conv2d(16, 32, 3, 1, 1);
            Tensor x = torch.randn(1, 16, 9, 7);
            assertEquals(ConvPath.ONEDNN, conv.path(x, false, false));
            Tensor before = conv.forward(x);
            KernelCheck.Outcome o = KernelCheck.ensure(List.of(op), modes, null);
            assertTrue(o.cached());
            assertEquals(Set.of("conv onednn-nchw fp32"), o.ruledOut());
            assertEquals(ConvPath.MATMUL, conv.path(x, false, false), "the next correct path");
            assertTrue(Tensors.maxAbsDiff(conv.forward(x), before) < 1e-5);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
