package io.cdiffset.parity;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.metrics.nets.FidInception;
import io.cdiffset.metrics.nets.Lpips;
import io.cdiffset.model.ConfigJson;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Fixture {@code metric_nets/}: LPIPS-VGG (lpips package, shipped v0.1 linear layers) and pytorch-fid's InceptionV3
 * pool3 features, backbones with {@link HashRecipe#METRIC_NETS} weights. The weights are written to safetensors files
 * and loaded through {@link Lpips#load(Path)} / {@link FidInception#load(Path)}, the same path a user's files take.
 */
final class MetricNetsParity {
    private MetricNetsParity() {}

    static final double LPIPS_TOL = 1e-5;
    static final double FEATURE_TOL = 1e-4;
    /** pytorch-fid's FID Inception head (1008 classes): in its state dict, not used for pool3. */
    static final long FC_CLASSES = 1008;

    static void run(Path dir, List<Result> out) {
        JsonNode cfg = ConfigJson.read(dir.resolve("config.json")).root();
        long seed = cfg.get("seed").asLong();
        Path tmp = null;
        try (Fixture fx = new Fixture(dir)) {
            tmp = Files.createTempDirectory("metric-nets");
            lpips(fx, cfg, seed, tmp, out);
            fid(fx, cfg, seed, tmp, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(tmp);
        }
    }

    /** VGG taps of lpips_in0[0] and the LPIPS distance of every pair. */
    private static void lpips(Fixture fx, JsonNode cfg, long seed, Path tmp, List<Result> out) {
        Map<String, long[]> shapes = Lpips.backboneShapes();
        out.add(sameNames("vgg16 state-dict names = config.json", shapes.keySet(), cfg.get("vgg16_features_rules")));
        Path file = tmp.resolve("vgg16.safetensors");
        SafeTensors.write(file, HashRecipe.state(shapes, seed, HashRecipe.METRIC_NETS), Map.of());
        Lpips lp = Lpips.load(file);
        try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode()) {
            Tensor in0 = fx.f("lpips_in0"), in1 = fx.f("lpips_in1");
            Tensor[] taps = lp.features(in0.narrow(0, 0, 1));
            for (int k = 0; k < taps.length; k++) {
                String name = "vgg_relu" + k;
                if (fx.has(name)) out.add(FullSizeParity.elementwise(name, taps[k], fx.f(name), FEATURE_TOL));
            }
            out.add(Fixture.compare("lpips_distance (" + in0.size(0) + " pairs)", lp.forward(in0, in1), fx.f("lpips_distance"), LPIPS_TOL));
        }
    }

    private static void fid(Fixture fx, JsonNode cfg, long seed, Path tmp, List<Result> out) {
        Map<String, long[]> shapes = new LinkedHashMap<>(FidInception.expectedShapes());
        for (String k : List.copyOf(shapes.keySet())) { // the full pytorch-fid state dict: counters and the fc head too
            if (k.endsWith(".running_var")) shapes.put(k.substring(0, k.length() - "running_var".length()) + "num_batches_tracked", new long[0]);
        }
        shapes.put("fc.weight", new long[]{FC_CLASSES, FidInception.DIM});
        shapes.put("fc.bias", new long[]{FC_CLASSES});
        out.add(sameNames("inception state-dict names = config.json", shapes.keySet(), cfg.get("fid_inception_rules")));
        Path file = tmp.resolve("inception.safetensors");
        SafeTensors.write(file, HashRecipe.state(shapes, seed, HashRecipe.METRIC_NETS), Map.of());
        FidInception net = FidInception.load(file);
        try (PointerScope s = new PointerScope(); InferenceMode im = new InferenceMode()) {
            Tensor images = fx.f("fid_images");
            out.add(FullSizeParity.elementwise("fid_pool3 (" + images.size(0) + " images " + images.size(2) + "×" + images.size(3) + ")",
                    net.forward(images), fx.f("fid_pool3"), FEATURE_TOL));
        }
    }

    /** The recipe's j is a place in the sorted name list: ours must be exactly the generator's. */
    private static Result sameNames(String what, java.util.Set<String> ours, JsonNode rules) {
        TreeSet<String> theirs = new TreeSet<>();
        rules.fieldNames().forEachRemaining(theirs::add);
        TreeSet<String> mine = new TreeSet<>(ours);
        if (mine.equals(theirs)) return Result.exact(what, true, mine.size() + " names");
        TreeSet<String> missing = new TreeSet<>(theirs), extra = new TreeSet<>(mine);
        missing.removeAll(mine);
        extra.removeAll(theirs);
        return Result.exact(what, false, "missing " + first(missing) + ", extra " + first(extra));
    }

    private static String first(TreeSet<String> s) {
        return s.isEmpty() ? "-" : s.size() + " e.g. " + s.first();
    }

    private static void deleteTree(Path dir) {
        if (dir == null) return;
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temporary folder; nothing else to do
        }
    }
}
