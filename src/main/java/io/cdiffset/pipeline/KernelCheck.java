package io.cdiffset.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.io.raster.AtomicFiles;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.KernelShapes;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.VaeConfig;
import io.cdiffset.nn.KernelOp;
import io.cdiffset.nn.KernelPolicy;
import io.cdiffset.nn.KernelSweep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Checks, once per CPU model, libtorch version and set of shapes, that the kernel paths a model is about to run are
 * right on this machine ({@link KernelSweep}), rules out the wrong ones ({@link KernelPolicy}) and caches the result in
 * {@code $CDIFFSET_CACHE} (default {@code ~/.cache/cdiffset}). oneDNN's failures depend on the CPU (issue #19).
 */
public final class KernelCheck {
    private KernelCheck() {}

    /** The result of one sweep: what was ruled out, how many checks ran, and the wrong ones (one line each). */
    public record Outcome(Set<String> ruledOut, int checks, List<String> wrong, boolean cached, Path cacheFile) {}

    /** Ops of a UNet and a VAE at every quick size up to the given latent size, plus that size itself. */
    public static Set<KernelOp> ops(UNetConfig unet, VaeConfig vae, long latentH, long latentW) {
        long[][] sizes = KernelShapes.upTo(KernelShapes.QUICK_LATENTS, Math.max(latentH, latentW));
        Set<KernelOp> ops = new LinkedHashSet<>();
        if (unet != null) {
            ops.addAll(KernelShapes.unet(unet, sizes));
            ops.addAll(KernelShapes.unet(unet, 1, latentH, latentW, 6));
        }
        if (vae != null) {
            ops.addAll(KernelShapes.vae(vae, KernelShapes.upTo(sizes, 9)));
        }
        return ops;
    }

    /**
     * Makes sure the installed policy is right for these ops in these modes: reads the cached sweep of this CPU, or runs
     * it (and caches it). Wrong paths are ruled out and the sweep re-run on their replacements, up to three rounds.
     */
    public static Outcome ensure(Collection<KernelOp> ops, Collection<KernelPolicy.Mode> modes, Consumer<String> progress) {
        Path file = cacheDir().resolve("kernels-" + key(ops, modes) + ".json");
        Set<String> ruled = new TreeSet<>(KernelPolicy.current().ruledOut());
        try {
            if (Files.isRegularFile(file)) {
                ObjectNode o = (ObjectNode) ConfigJson.JSON.readTree(file.toFile());
                o.path("ruled_out").forEach(n -> ruled.add(n.asText()));
                List<String> wrong = new ArrayList<>();
                o.path("wrong").forEach(n -> wrong.add(n.asText()));
                KernelPolicy.install(KernelPolicy.ruling(ruled));
                return new Outcome(ruled, o.path("checks").asInt(), wrong, true, file);
            }
        } catch (IOException | ClassCastException e) {
            // an unreadable cache is checked again
        }
        if (progress != null) progress.accept("checking this CPU's kernels for " + ops.size() + " shapes (once; cached in " + cacheDir() + ")");
        List<String> wrong = new ArrayList<>();
        int checks = 0;
        for (int round = 0; round < 3; round++) {
            KernelPolicy.install(KernelPolicy.ruling(ruled));
            List<KernelSweep.Check> result = KernelSweep.layers(ops, modes, 19, null);
            checks += result.size();
            boolean more = false;
            for (KernelSweep.Check c : result) {
                if (c.ok()) continue;
                wrong.add(c.toString());
                more |= ruled.add(c.policyKey());
            }
            if (!more) break;
            if (progress != null) progress.accept("kernel paths wrong on this CPU, ruled out: " + ruled);
        }
        KernelPolicy.install(KernelPolicy.ruling(ruled));
        save(file, ruled, checks, wrong);
        return new Outcome(ruled, checks, wrong, false, file);
    }

    /** Before inference: the ops of this UNet and VAE up to the given latent size, in the inference mode of {@code p}. */
    public static Outcome forInference(UNetConfig unet, VaeConfig vae, long latentH, long latentW, io.cdiffset.engine.Precision p, Consumer<String> progress) {
        KernelPolicy.Mode m = p == io.cdiffset.engine.Precision.BF16 ? KernelPolicy.Mode.BF16_INFERENCE : KernelPolicy.Mode.FP32_INFERENCE;
        return report(ensure(ops(unet, vae, latentH, latentW), List.of(m), progress), progress);
    }

    /** Before training: the task's ops under grad in the training precision, and fp32 inference for validation. */
    public static Outcome forTraining(Collection<KernelOp> ops, io.cdiffset.engine.Precision p, Consumer<String> progress) {
        KernelPolicy.Mode m = p == io.cdiffset.engine.Precision.BF16 ? KernelPolicy.Mode.BF16_GRAD : KernelPolicy.Mode.FP32_GRAD;
        return report(ensure(ops, List.of(m, KernelPolicy.Mode.FP32_INFERENCE), progress), progress);
    }

    private static Outcome report(Outcome o, Consumer<String> progress) {
        if (progress != null && !o.ruledOut().isEmpty()) {
            progress.accept("kernel paths found wrong on this CPU are not used: " + o.ruledOut() + " (cdiffset doctor shows details)");
        }
        return o;
    }

    static Path cacheDir() {
        String env = System.getenv("CDIFFSET_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("cdiffset");
    }

    /** CPU model and flags, libtorch version, this code's version, the ops and modes. */
    static String key(Collection<KernelOp> ops, Collection<KernelPolicy.Mode> modes) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(cpu().getBytes(StandardCharsets.UTF_8));
            md.update(("libtorch " + org.bytedeco.pytorch.global.torch.class.getPackage().getImplementationVersion()).getBytes(StandardCharsets.UTF_8));
            md.update(("cdiffset " + KernelCheck.class.getPackage().getImplementationVersion() + " sweep 1").getBytes(StandardCharsets.UTF_8));
            for (KernelOp op : ops) md.update(op.toString().getBytes(StandardCharsets.UTF_8));
            md.update(modes.toString().getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            for (byte b : md.digest()) sb.append(String.format("%02x", b));
            return sb.substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "model name" and "flags" of the first processor in /proc/cpuinfo (os.arch elsewhere). */
    public static String cpu() {
        try {
            String model = "", flags = "";
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (model.isEmpty() && line.startsWith("model name")) model = line.substring(line.indexOf(':') + 1).trim();
                if (flags.isEmpty() && line.startsWith("flags")) flags = line.substring(line.indexOf(':') + 1).trim();
                if (!model.isEmpty() && !flags.isEmpty()) break;
            }
            return model + " | " + flags;
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }

    private static void save(Path file, Set<String> ruled, int checks, List<String> wrong) {
        try {
            Files.createDirectories(file.getParent());
            ObjectNode o = ConfigJson.JSON.createObjectNode();
            o.put("cpu", cpu().split(" \\| ")[0]);
            ArrayNode r = o.putArray("ruled_out");
            ruled.forEach(r::add);
            o.put("checks", checks);
            ArrayNode w = o.putArray("wrong");
            wrong.stream().limit(200).forEach(w::add);
            AtomicFiles.writeBytes(file, ConfigJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            // no cache: the next run checks again
        }
    }
}
