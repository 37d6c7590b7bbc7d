package io.cdiffset.model;

import io.cdiffset.nn.KernelOp;
import io.cdiffset.nn.KernelPolicy.Mode;
import io.cdiffset.nn.KernelSweep;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.VaeConfig;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #19: every convolution and attention shape the full-size SD 2.1-base UNet (C-DiffSET 8-in/5-out) and VAE run,
 * at latent sizes from 1 to 64 (odd, even and non-square), through the real layer code in fp32 and bf16, for inference
 * and under grad, compared by value with a float64 reference from libtorch's native kernels. Inference inputs arrive
 * channels-last, as maps did from the transformer blocks before the fix. On the code before the fix (1×1 convolutions
 * on oneDNN, the kernel chosen by the input's layout) this sweep found, on the build machine, 12 of 435 fp32 inference
 * checks and 14 of 513 fp32 training checks wrong by 45-70 % (e.g. 1920→640 1×1 on 4×4, 2560→1280 1×1 on 3×3).
 */
class KernelSweepTest {
    static final UNetConfig UNET = Sd21Configs.unet(8, 5);
    static final VaeConfig VAE = Sd21Configs.vae();

    @Test
    void everyFullSizeInferenceKernelMatchesFloat64() {
        Set<KernelOp> ops = new LinkedHashSet<>(KernelShapes.unet(UNET, KernelShapes.FULL_LATENTS));
        ops.addAll(KernelShapes.vae(VAE, KernelShapes.upTo(KernelShapes.FULL_LATENTS, 16)));
        sweep("inference", ops, List.of(Mode.FP32_INFERENCE, Mode.BF16_INFERENCE));
    }

    /** Under grad: output and input, weight and bias gradients (bf16 training convolutions compute in fp32). */
    @Test
    void everyFullSizeTrainingKernelMatchesFloat64() {
        Set<KernelOp> ops = new LinkedHashSet<>(KernelShapes.unet(UNET, KernelShapes.upTo(KernelShapes.FULL_LATENTS, 16)));
        ops.addAll(KernelShapes.unet(UNET, new long[][]{{24, 40}, {32, 32}}));
        ops.addAll(KernelShapes.vae(VAE, KernelShapes.upTo(KernelShapes.FULL_LATENTS, 5)));
        sweep("fp32 training", ops, List.of(Mode.FP32_GRAD));
        Set<KernelOp> bf16 = new LinkedHashSet<>(KernelShapes.unet(UNET, KernelShapes.upTo(KernelShapes.FULL_LATENTS, 9)));
        bf16.addAll(KernelShapes.vae(VAE, KernelShapes.upTo(KernelShapes.FULL_LATENTS, 3)));
        sweep("bf16 training", bf16, List.of(Mode.BF16_GRAD));
    }

    private static void sweep(String what, Set<KernelOp> ops, List<Mode> modes) {
        long t0 = System.nanoTime();
        List<KernelSweep.Check> checks = KernelSweep.layers(ops, modes, 19, null);
        List<KernelSweep.Check> wrong = checks.stream().filter(c -> !c.ok()).collect(Collectors.toList());
        System.out.printf("kernel sweep, %s: %d checks of %d ops, %d wrong, %.0f s%n", what, checks.size(), ops.size(),
                wrong.size(), (System.nanoTime() - t0) / 1e9);
        for (Mode m : modes) {
            double worst = checks.stream().filter(c -> c.mode() == m).mapToDouble(KernelSweep.Check::error).max().orElse(0);
            System.out.printf("  %-15s worst error %.2e (tolerance %.0e)%n", m.label(), worst, KernelSweep.tolerance(m));
        }
        wrong.stream().limit(30).forEach(c -> System.out.println("  WRONG " + c));
        assertEquals(List.of(), wrong.stream().limit(10).map(Object::toString).collect(Collectors.toList()));
    }

    /** The shape lists cover every convolution layer of both models (each weight shape occurs among the ops). */
    @Test
    void theEnumeratedShapesCoverEveryConvolutionOfTheModels() {
        for (var entry : List.of(
                java.util.Map.entry(io.cdiffset.nn.Module.shapesOnly(() -> new io.cdiffset.model.unet.UNet2DConditionModel(UNET)).namedParameters(),
                        KernelShapes.unet(UNET, 1, 8, 8, 6)),
                java.util.Map.entry(io.cdiffset.nn.Module.shapesOnly(() -> new io.cdiffset.model.vae.AutoencoderKL(VAE)).namedParameters(),
                        KernelShapes.vae(VAE, 1, 8, 8)))) {
            Set<String> layers = new java.util.TreeSet<>();
            entry.getKey().forEach((name, t) -> {
                if (t.dim() == 4) layers.add(t.size(0) + "<-" + t.size(1) + " k" + t.size(2));
            });
            Set<String> enumerated = new java.util.TreeSet<>();
            for (KernelOp op : entry.getValue()) {
                if (op instanceof KernelOp.Conv c) enumerated.add(c.out() + "<-" + c.in() + " k" + c.k());
            }
            assertEquals(layers, enumerated);
            assertTrue(entry.getValue().stream().anyMatch(o -> o instanceof KernelOp.Attn));
        }
    }
}
