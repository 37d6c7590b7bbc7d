package io.cdiffset.parity;

import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;

/** A fixture folder in the format of the reference fixtures: config.json, io.safetensors, weights, README.md. */
final class Fixture implements AutoCloseable {
    final Path dir;
    final SafeTensors io;

    Fixture(Path dir) {
        this.dir = dir;
        Path f = dir.resolve("io.safetensors");
        if (!Files.isRegularFile(f)) throw new IllegalArgumentException(dir + ": no io.safetensors in this folder; point at a fixture folder");
        this.io = SafeTensors.open(f);
    }

    boolean has(String name) {
        return io.entries().containsKey(name);
    }

    Tensor f(String name) {
        return io.loadFloat(name);
    }

    Tensor raw(String name) {
        return io.load(name);
    }

    /** Case prefixes present, e.g. case1, case2, ... (those with the given suffix). */
    List<String> cases(String suffix) {
        TreeSet<String> s = new TreeSet<>();
        for (String k : io.entries().keySet()) {
            if (k.startsWith("case") && k.endsWith(suffix)) s.add(k.substring(0, k.length() - suffix.length()));
        }
        return List.copyOf(s);
    }

    static Result compare(String name, Tensor actual, Tensor expected, double atol) {
        if (!java.util.Arrays.equals(Tensors.shape(actual), Tensors.shape(expected))) {
            return new Result(name, Double.POSITIVE_INFINITY, atol, false,
                    "shape " + Tensors.shapeString(Tensors.shape(actual)) + " vs " + Tensors.shapeString(Tensors.shape(expected)));
        }
        return Result.abs(name, Tensors.maxAbsDiff(actual, expected), atol);
    }

    @Override
    public void close() {
        io.close();
    }
}
