package io.cdiffset.metrics.nets;

import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.WeightFile;
import io.cdiffset.io.WeightFiles;
import io.cdiffset.io.WeightsException;
import io.cdiffset.nn.Module;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LPIPS v0.1 with the VGG16 trunk, numerically as {@code lpips.LPIPS(net='vgg', version='0.1')} in eval mode
 * (lpips PyPI package / github richzhang/PerceptualSimilarity):
 * <ol>
 *   <li>scaling layer {@code (x − shift) / scale}, shift (−.030, −.088, −.188), scale (.458, .448, .450), on inputs
 *       in <b>[−1, 1]</b>;</li>
 *   <li>torchvision VGG16 {@code features}, taps after relu1_2, relu2_2, relu3_3, relu4_3, relu5_3;</li>
 *   <li>per tap: unit-normalise over channels {@code f / (sqrt(Σ_c f²) + 1e-10)}, squared difference of the two
 *       images, 1×1 calibration conv {@code lin{k}.model.1.weight} (no bias), mean over H×W;</li>
 *   <li>sum over the five taps.</li>
 * </ol>
 *
 * <p><b>Input range.</b> The LPIPS standard is images in [−1, 1] ({@link Input#MINUS_ONE_TO_ONE}, the default of
 * every method without an {@link Input} argument). Images in [0, 1] can be passed with {@link Input#ZERO_TO_ONE},
 * which maps them by {@code 2x − 1} first (lpips' {@code normalize=True}) and gives the same value. The C-DiffSET
 * authors' evaluation feeds [0, 1] images <i>without</i> that mapping; {@link Input#ZERO_TO_ONE_AUTHORS_QUIRK}
 * reproduces it for comparison with the paper's tables only — it is not standard LPIPS.
 *
 * <p>Images are CHW {@code float[]} with 3 channels (1 channel is accepted and broadcast against the 3-channel
 * scaling layer exactly as lpips does); H and W must be at least 16 (four 2×2 pools before relu5_3). Computation is
 * float32 on the CPU inside {@link InferenceMode} and a {@link PointerScope} per batch. Not thread-safe with
 * respect to concurrent {@code load}; distance calls may run concurrently.
 */
public final class Lpips {
    /** How the values of the images handed to {@code distance} are to be read. */
    public enum Input {
        /** Images in [−1, 1], fed unchanged: standard LPIPS ({@code lpips.LPIPS()(a, b)}). */
        MINUS_ONE_TO_ONE,
        /** Images in [0, 1], mapped to [−1, 1] by {@code 2x − 1} first ({@code normalize=True}); standard LPIPS. */
        ZERO_TO_ONE,
        /**
         * Images in [0, 1] fed unchanged as if they were [−1, 1] — what the C-DiffSET authors' evaluation does. Not
         * comparable with standard LPIPS; use only next to the paper's numbers, clearly labelled.
         */
        ZERO_TO_ONE_AUTHORS_QUIRK
    }

    /** Classpath folder of the shipped v0.1 calibration weights (BSD-2-Clause, see LICENSE.txt / README.md there). */
    public static final String SHIPPED_LINEAR_RESOURCE = "/io/cdiffset/lpips/vgg.safetensors";

    static final float[] SHIFT = {-.030f, -.088f, -.188f};
    static final float[] SCALE = {.458f, .448f, .450f};
    static final double EPS = 1e-10;
    /** Images per forward pass in {@link #distances}. */
    public static final int DEFAULT_BATCH = 4;

    private final Vgg16Features vgg;
    private final LpipsLinear lins;
    private final Tensor shift;
    private final Tensor scale;

    private Lpips(Vgg16Features vgg, LpipsLinear lins) {
        this.vgg = vgg;
        this.lins = lins;
        vgg.requiresGrad(false);
        lins.requiresGrad(false);
        this.shift = Tensors.fromFloats(SHIFT, 1, 3, 1, 1);
        this.scale = Tensors.fromFloats(SCALE, 1, 3, 1, 1);
    }

    /**
     * LPIPS with a torchvision VGG16 backbone file and the v0.1 calibration layers shipped with cdiffset
     * ({@value #SHIPPED_LINEAR_RESOURCE}).
     */
    public static Lpips load(Path vggBackboneSafetensors) {
        Path tmp = null;
        try (InputStream in = Lpips.class.getResourceAsStream(SHIPPED_LINEAR_RESOURCE)) {
            if (in == null) {
                throw new WeightsException("classpath " + SHIPPED_LINEAR_RESOURCE
                        + ": LPIPS calibration weights are missing from this build; pass the lin file explicitly");
            }
            tmp = Files.createTempFile("lpips-vgg-lin", ".safetensors");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return load(vggBackboneSafetensors, tmp, "classpath " + SHIPPED_LINEAR_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + SHIPPED_LINEAR_RESOURCE + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // temp file; nothing else to do
                }
            }
        }
    }

    /**
     * LPIPS from a VGG16 backbone file and a calibration-layer file.
     *
     * @param vggBackboneSafetensors torchvision VGG16 state dict ({@value TorchHub#VGG16} or safetensors); only {@code features.*} is read
     *                               ({@code classifier.*} and anything else outside {@code features.} is ignored). A
     *                               bare {@code vgg16().features} state dict (keys {@code 0.weight}, …) is accepted too.
     * @param linSafetensors         {@code lin0..lin4.model.1.weight} [1, C, 1, 1], e.g. lpips' weights/v0.1/vgg.pth
     *                               converted to safetensors
     * @throws WeightsException one line naming the file when tensors are missing, unexpected or mis-shaped
     */
    public static Lpips load(Path vggBackboneSafetensors, Path linSafetensors) {
        return load(vggBackboneSafetensors, linSafetensors, linSafetensors.toString());
    }

    private static Lpips load(Path backbone, Path lin, String linSource) {
        Engine.init();
        Vgg16Features vgg = new Vgg16Features();
        Weights.load(vgg, readBackbone(backbone), backbone.toString(),
                "expected torchvision's " + TorchHub.VGG16 + " (or its features.* as safetensors)");
        LpipsLinear lins = new LpipsLinear(Vgg16Features.TAP_CHANNELS);
        Weights.load(lins, Weights.read(lin), linSource,
                "expected the LPIPS v0.1 vgg calibration layers lin0..lin4.model.1.weight");
        return new Lpips(vgg, lins);
    }

    /** The {@code features.*} tensors of a VGG16 file, read without touching the (large) classifier tensors. */
    static Map<String, Tensor> readBackbone(Path path) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (WeightFile st = WeightFiles.open(path)) {
            boolean prefixed = st.tensors().keySet().stream().anyMatch(k -> k.startsWith("features."));
            for (String k : st.tensors().keySet()) {
                if (prefixed && k.startsWith("features.")) {
                    out.put(k, st.loadFloat(k));
                } else if (!prefixed && k.matches("\\d+\\.(weight|bias)")) {
                    out.put("features." + k, st.loadFloat(k));
                }
            }
            if (out.isEmpty()) {
                List<String> some = new ArrayList<>(st.tensors().keySet());
                throw new WeightsException(path + ": no VGG16 'features.*' tensors (the file has " + some.size()
                        + " tensors, e.g. " + String.join(", ", some.subList(0, Math.min(4, some.size())))
                        + "); expected torchvision's " + TorchHub.VGG16 + " or its state dict as safetensors");
            }
        }
        return out;
    }

    /** LPIPS of two CHW images in [−1, 1] (standard). */
    public double distance(float[] a, float[] b, int c, int h, int w) {
        return distance(a, b, c, h, w, Input.MINUS_ONE_TO_ONE);
    }

    /** LPIPS of two CHW images whose value range is given by {@code input}. */
    public double distance(float[] a, float[] b, int c, int h, int w, Input input) {
        return distances(List.of(a), List.of(b), c, h, w, input)[0];
    }

    /** Pairwise LPIPS {@code a[i]} vs {@code b[i]} of images in [−1, 1] (standard), in batches of {@link #DEFAULT_BATCH}. */
    public double[] distances(List<float[]> a, List<float[]> b, int c, int h, int w) {
        return distances(a, b, c, h, w, Input.MINUS_ONE_TO_ONE, DEFAULT_BATCH);
    }

    public double[] distances(List<float[]> a, List<float[]> b, int c, int h, int w, Input input) {
        return distances(a, b, c, h, w, input, DEFAULT_BATCH);
    }

    /** Pairwise LPIPS {@code a[i]} vs {@code b[i]}, {@code batch} pairs per forward pass. */
    public double[] distances(List<float[]> a, List<float[]> b, int c, int h, int w, Input input, int batch) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("LPIPS needs pairs: " + a.size() + " images vs " + b.size());
        }
        if (c != 3 && c != 1) throw new IllegalArgumentException("LPIPS needs 3-channel (or 1-channel) images, got " + c);
        if (h < 16 || w < 16) throw new IllegalArgumentException("LPIPS (VGG) needs images of at least 16×16, got " + h + "×" + w);
        if (batch < 1) throw new IllegalArgumentException("batch must be ≥ 1, got " + batch);
        int n = a.size();
        int size = c * h * w;
        double[] out = new double[n];
        for (int start = 0; start < n; start += batch) {
            int m = Math.min(batch, n - start);
            try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
                Tensor x0 = stack(a, start, m, size, c, h, w, "a");
                Tensor x1 = stack(b, start, m, size, c, h, w, "b");
                if (input == Input.ZERO_TO_ONE) {
                    x0 = toSigned(x0);
                    x1 = toSigned(x1);
                }
                double[] d = Tensors.toDoubles(forward(x0, x1));
                System.arraycopy(d, 0, out, start, m);
            }
        }
        return out;
    }

    /**
     * LPIPS of two batches [N, C, H, W] in [−1, 1] → [N] (lpips' {@code forward(in0, in1)} flattened). Call inside
     * {@link InferenceMode} (and a {@link PointerScope}) for inference.
     */
    public Tensor forward(Tensor in0, Tensor in1) {
        Tensor[] f0 = features(in0);
        Tensor[] f1 = features(in1);
        Tensor val = null;
        for (int k = 0; k < f0.length; k++) {
            Tensor diff = unitNormalize(f0[k]).sub(unitNormalize(f1[k])).square();
            Tensor res = lins.forward(k, diff).mean(new long[]{2, 3}, true, new ScalarTypeOptional());
            val = val == null ? res : val.add(res);
        }
        return val.flatten();
    }

    /**
     * The five VGG16 taps (relu1_2, relu2_2, relu3_3, relu4_3, relu5_3) of images [N, C, H, W] in [−1, 1], after
     * LPIPS' scaling layer: what {@link #forward} compares. Call inside {@link InferenceMode} and a {@link PointerScope}.
     */
    public Tensor[] features(Tensor in) {
        return vgg.forward(in.sub(shift).div(scale));
    }

    /** Names and shapes of the VGG16 backbone tensors a weights file must provide (torchvision {@code features.*}). */
    public static Map<String, long[]> backboneShapes() {
        Vgg16Features meta = Module.shapesOnly(Vgg16Features::new);
        Map<String, long[]> out = new LinkedHashMap<>();
        meta.namedParameters().forEach((k, v) -> out.put(k, Tensors.shape(v)));
        return out;
    }

    /** {@code f / (sqrt(Σ_c f²) + 1e-10)} over dim 1. */
    static Tensor unitNormalize(Tensor f) {
        Tensor norm = f.square().sum(new long[]{1}, true, new ScalarTypeOptional()).sqrt();
        return f.div(norm.add(Tensors.scalar(EPS)));
    }

    private static Tensor toSigned(Tensor x) {
        return x.mul(Tensors.scalar(2)).sub(Tensors.scalar(1));
    }

    static Tensor stack(List<float[]> images, int start, int m, int size, int c, int h, int w, String which) {
        float[] buf = new float[m * size];
        for (int i = 0; i < m; i++) {
            float[] img = images.get(start + i);
            if (img.length != size) {
                throw new IllegalArgumentException("image " + which + "[" + (start + i) + "] has " + img.length
                        + " values, expected " + c + "×" + h + "×" + w + " = " + size);
            }
            System.arraycopy(img, 0, buf, i * size, size);
        }
        return Tensors.fromFloats(buf, m, c, h, w);
    }
}
