package io.cdiffset.metrics.nets;

import io.cdiffset.engine.Engine;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.WeightsException;
import io.cdiffset.nn.BatchNorm2d;
import io.cdiffset.nn.Module;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The InceptionV3 feature extractor of pytorch-fid ({@code InceptionV3([3])}, {@code use_fid_inception=True},
 * TF-ported weights {@code pt_inception-2015-12-05-6726825d.pth}): images in [0, 1] are resized to 299×299
 * (bilinear, align_corners=False), mapped to [−1, 1] by {@code 2x − 1}, run through Conv2d_1a_3x3 … Mixed_7c with the
 * FID block variants (FIDInceptionA/C/E_1: avg-pool branch with {@code count_include_pad=False}; FIDInceptionE_2:
 * max-pool branch) and averaged over space to 2048-d pool3 features, ready for {@link io.cdiffset.metrics.Fid}.
 *
 * <p>Weights: the pytorch-fid state dict converted to safetensors, keys as in PyTorch
 * ({@code Conv2d_1a_3x3.conv.weight}, {@code Mixed_5b.branch1x1.bn.running_mean}, …). {@code fc.*},
 * {@code AuxLogits.*} and {@code *.num_batches_tracked} are ignored; everything else must match exactly.
 */
public final class FidInception {
    /** Feature dimension (pool3). */
    public static final int DIM = 2048;
    /** Input side after resizing. */
    public static final int SIZE = 299;
    /** Images per forward pass in {@link #features(List, int, int, int)}. */
    public static final int DEFAULT_BATCH = 8;

    private final InceptionV3Net net;

    private FidInception(InceptionV3Net net) {
        this.net = net;
        net.requiresGrad(false);
    }

    /**
     * Loads pytorch-fid's FID Inception weights: the original {@value TorchHub#INCEPTION} or safetensors.
     *
     * @throws WeightsException one line naming the file when tensors are missing, unexpected or mis-shaped
     */
    public static FidInception load(Path safetensors) {
        Engine.init();
        InceptionV3Net net = new InceptionV3Net();
        Weights.load(net, featureState(Weights.read(safetensors)), safetensors.toString(),
                "expected pytorch-fid's " + TorchHub.INCEPTION + " (or its state dict as safetensors)");
        return new FidInception(net);
    }

    /** The state dict restricted to the feature extractor: drops fc.*, AuxLogits.* and num_batches_tracked. */
    static Map<String, Tensor> featureState(Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        BatchNorm2d.withoutBatchCounters(state).forEach((k, v) -> {
            if (!k.startsWith("fc.") && !k.startsWith("AuxLogits.")) out.put(k, v);
        });
        return out;
    }

    /** Names and shapes of every tensor the weights file must provide (without fc / counters). */
    public static Map<String, long[]> expectedShapes() {
        InceptionV3Net meta = Module.shapesOnly(InceptionV3Net::new);
        Map<String, long[]> out = new LinkedHashMap<>();
        meta.namedParameters().forEach((k, v) -> out.put(k, Tensors.shape(v)));
        return out;
    }

    /** 2048-d features of CHW images in [0, 1] (3 channels, any size), {@value #DEFAULT_BATCH} per forward pass. */
    public float[][] features(List<float[]> images, int c, int h, int w) {
        return features(images, c, h, w, DEFAULT_BATCH);
    }

    /** As {@link #features(List, int, int, int)} with {@code batch} images per forward pass. */
    public float[][] features(List<float[]> images, int c, int h, int w, int batch) {
        if (c != 3) throw new IllegalArgumentException("FID Inception needs 3-channel RGB images, got " + c + " channels");
        if (h < 1 || w < 1) throw new IllegalArgumentException("bad image size " + h + "×" + w);
        if (batch < 1) throw new IllegalArgumentException("batch must be ≥ 1, got " + batch);
        int n = images.size();
        int size = c * h * w;
        float[][] out = new float[n][];
        for (int start = 0; start < n; start += batch) {
            int m = Math.min(batch, n - start);
            try (PointerScope scope = new PointerScope(); InferenceMode im = new InferenceMode()) {
                Tensor x = Lpips.stack(images, start, m, size, c, h, w, "images");
                float[] f = Tensors.toFloats(forward(x));
                for (int i = 0; i < m; i++) {
                    float[] row = new float[DIM];
                    System.arraycopy(f, i * DIM, row, 0, DIM);
                    out[start + i] = row;
                }
            }
        }
        return out;
    }

    /**
     * pytorch-fid's {@code InceptionV3.forward} for block 3, flattened: x [N, 3, H, W] in [0, 1] → [N, 2048]. Call
     * inside {@link InferenceMode} (and a {@link PointerScope}).
     */
    public Tensor forward(Tensor x) {
        Tensor r = torch.upsample_bilinear2d(x, new long[]{SIZE, SIZE}, false);
        r = r.mul(Tensors.scalar(2)).sub(Tensors.scalar(1));
        return net.forward(r);
    }
}
