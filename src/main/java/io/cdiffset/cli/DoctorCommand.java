package io.cdiffset.cli;

import io.cdiffset.model.KernelShapes;
import io.cdiffset.model.Sd21Configs;
import io.cdiffset.nn.ConvPath;
import io.cdiffset.nn.KernelOp;
import io.cdiffset.nn.KernelPolicy;
import io.cdiffset.nn.KernelPolicy.Mode;
import io.cdiffset.nn.KernelSweep;
import io.cdiffset.pipeline.KernelCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check, by value, every kernel path cdiffset can take on this CPU: the convolution and attention shapes "
                + "of the full-size SD 2.1-base UNet (C-DiffSET 8-in/5-out) and VAE at latent sizes up to 8² by default (odd and "
                + "non-square ones included), in fp32 and bf16, for inference and training, against a float64 reference "
                + "from libtorch's native kernels. Prints which paths are correct here and which ones translate and "
                + "train will use. Exit 0 when every path in use is correct, 1 otherwise."})
final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--latent", paramLabel = "N", description = "largest latent side to check (default: 8, a 64² image; the test suite sweeps up to 64)")
    long latent = 8;

    @Override
    public Integer call() {
        if (latent < 1 || latent > 128) throw new UserError("--latent " + latent + ": expected 1 to 128");
        long t0 = System.nanoTime();
        System.out.println("CPU: " + KernelCheck.cpu().split(" \\| ")[0] + (KernelCheck.cpu().contains("avx512_bf16") ? " (AVX-512 BF16)" : ""));
        System.out.println("libtorch: " + org.bytedeco.pytorch.global.torch.class.getPackage().getImplementationVersion()
                + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        Set<KernelOp> ops = KernelCheck.ops(Sd21Configs.unet(8, 5), Sd21Configs.vae(), latent, latent);
        List<Mode> modes = List.of(Mode.values());
        System.err.println("cdiffset doctor: " + ops.size() + " shapes × " + modes.size() + " modes, float64 reference...");
        List<KernelSweep.Check> checks = KernelSweep.layers(ops, modes, 19, s -> System.err.println("  " + s));
        // every convolution path directly, for inference
        Set<KernelOp> small = KernelCheck.ops(Sd21Configs.unet(8, 5), Sd21Configs.vae(), Math.min(latent, 5), Math.min(latent, 5));
        long convs = small.stream().filter(o -> o instanceof KernelOp.Conv).count();
        System.err.println("cdiffset doctor: every convolution path on " + convs + " shapes...");
        List<KernelSweep.Check> paths = KernelSweep.paths(small, List.of(ConvPath.values()), List.of(Mode.FP32_INFERENCE, Mode.BF16_INFERENCE), 19,
                s -> System.err.println("  " + s));
        System.out.println();
        System.out.println("Convolution paths on this CPU (" + convs + " shapes each, inference; oneDNN is never given a 1×1 convolution):");
        print(paths);
        System.out.println();
        System.out.println("What translate (inference) and train (training) use, through the real layers (" + ops.size() + " shapes):");
        print(checks);
        Set<String> ruled = new java.util.TreeSet<>();
        for (KernelSweep.Check c : checks) {
            if (!c.ok()) ruled.add(c.policyKey());
        }
        System.out.println();
        if (ruled.isEmpty()) {
            System.out.println("Every path in use is correct on this CPU: translate, evaluate and train use them as listed.");
        } else {
            System.out.println("WRONG on this CPU: " + ruled + ". translate, evaluate and train rule these out here and take the next correct path (" + KernelPolicy.ruling(ruled) + ").");
        }
        System.out.printf("%d checks in %.0f s%n", checks.size() + paths.size(), (System.nanoTime() - t0) / 1e9);
        return ruled.isEmpty() ? 0 : 1;
    }

    /** One line per (kind, path, mode): ok / WRONG, shape count, worst error. */
    private static void print(List<KernelSweep.Check> checks) {
        Map<String, List<KernelSweep.Check>> groups = new TreeMap<>();
        for (KernelSweep.Check c : checks) {
            String kind = c.op() instanceof KernelOp.Conv conv ? (conv.k() == 1 ? "conv 1×1" : "conv 3×3") : "attention";
            groups.computeIfAbsent(String.format("  %-10s %-22s %-16s", kind, c.path(), c.mode().label()), k -> new ArrayList<>()).add(c);
        }
        groups.forEach((k, l) -> {
            long bad = l.stream().filter(c -> !c.ok()).count();
            double worst = l.stream().mapToDouble(KernelSweep.Check::error).max().orElse(0);
            System.out.printf("%s %-6s %4d shapes, worst error %.1e (tolerance %.0e)%s%n", k, bad == 0 ? "ok" : "WRONG", l.size(), worst,
                    l.get(0).tolerance(), bad == 0 ? "" : ", " + bad + " wrong, e.g. " + l.stream().filter(c -> !c.ok()).findFirst().get().op());
        });
    }
}
