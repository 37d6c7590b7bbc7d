package io.cdiffset.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Minimal safetensors writer for tests. {@code SafeTensors.write} currently labels every tensor "U8": it switches
 * on {@code Tensor.scalar_type()}, and JavaCPP returns a fresh enum object (ordinal 0, name null) that only carries
 * the right {@code value}, so enum switches and {@code ==} never match. This writer compares {@code .value}.
 */
final class TestWeights {
    private TestWeights() {}

    static String dtype(Tensor t) {
        int v = t.scalar_type().value;
        if (v == ScalarType.Float.value) return "F32";
        if (v == ScalarType.Half.value) return "F16";
        if (v == ScalarType.BFloat16.value) return "BF16";
        if (v == ScalarType.Long.value) return "I64";
        throw new IllegalArgumentException("unsupported scalar type " + v);
    }

    static void write(Path path, Map<String, Tensor> tensors) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        List<Tensor> data = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue().detach().contiguous();
            data.add(t);
            ObjectNode n = header.putObject(e.getKey());
            n.put("dtype", dtype(t));
            var shape = n.putArray("shape");
            for (long s : Tensors.shape(t)) shape.add(s);
            n.putArray("data_offsets").add(offset).add(offset + t.nbytes());
            offset += t.nbytes();
        }
        byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length));
            writeFully(ch, ByteBuffer.wrap(h));
            for (Tensor t : data) if (t.nbytes() > 0) writeFully(ch, Tensors.bytes(t));
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
