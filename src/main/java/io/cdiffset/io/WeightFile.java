package io.cdiffset.io;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An opened weights file of any format cdiffset reads ({@link SafeTensors}, {@link TorchCheckpoint}): tensor names,
 * dtypes and shapes without touching data, then tensors loaded one by one. Open with {@link WeightFiles#open}.
 */
public interface WeightFile extends AutoCloseable {
    /** Dtype (safetensors spelling: F32, F16, BF16, I64, …) and shape of one tensor. */
    record Info(String dtype, long[] shape) {}

    Path path();

    /** Every tensor, in file order. */
    Map<String, Info> tensors();

    /** One tensor with its stored dtype, contiguous. */
    Tensor load(String name);

    /** One floating-point tensor converted to float32. */
    default Tensor loadFloat(String name) {
        Tensor t = load(name);
        return Tensors.dtype(t) == ScalarType.Float ? t : t.to(ScalarType.Float);
    }

    /** Every tensor (stored dtype), in file order. */
    default Map<String, Tensor> loadAll() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String k : tensors().keySet()) out.put(k, load(k));
        return out;
    }

    /** Name → shape of every tensor. */
    default Map<String, long[]> shapes() {
        Map<String, long[]> out = new LinkedHashMap<>();
        tensors().forEach((k, v) -> out.put(k, v.shape()));
        return out;
    }

    @Override
    void close();
}
