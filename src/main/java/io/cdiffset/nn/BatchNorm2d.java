package io.cdiffset.nn;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * torch.nn.BatchNorm2d in eval mode: {@code (x − running_mean) / sqrt(running_var + eps) · weight + bias}, per
 * channel. State-dict names {@code weight}, {@code bias}, {@code running_mean}, {@code running_var}; the
 * {@code num_batches_tracked} counter that PyTorch also saves is not kept (drop it with
 * {@link #withoutBatchCounters} before {@link Module#load}).
 *
 * <p>{@link Module} has no buffers, so the running statistics are stored as parameters with gradients switched off.
 * Inference only: the statistics are never updated, and a module containing BatchNorm2d must not be handed to an
 * optimizer as a whole (nor {@code requiresGrad(true)}), or the statistics would be trained.
 */
public final class BatchNorm2d extends Module {
    private final double eps;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;

    public BatchNorm2d(long channels, double eps) {
        this.eps = eps;
        this.weight = param("weight", ones(channels));
        this.bias = param("bias", zeros(channels));
        this.runningMean = param("running_mean", zeros(channels));
        this.runningVar = param("running_var", ones(channels));
        runningMean.requires_grad_(false);
        runningVar.requires_grad_(false);
    }

    /** PyTorch's default eps (1e-5). */
    public BatchNorm2d(long channels) {
        this(channels, 1e-5);
    }

    public double eps() {
        return eps;
    }

    public Tensor forward(Tensor x) {
        return torch.batch_norm(x, Tensors.opt(weight), Tensors.opt(bias), Tensors.opt(runningMean),
                Tensors.opt(runningVar), false, 0.1, eps, false);
    }

    /** A copy of the state dict without PyTorch's {@code *.num_batches_tracked} counters. */
    public static Map<String, Tensor> withoutBatchCounters(Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((k, v) -> {
            if (!k.equals("num_batches_tracked") && !k.endsWith(".num_batches_tracked")) out.put(k, v);
        });
        return out;
    }
}
