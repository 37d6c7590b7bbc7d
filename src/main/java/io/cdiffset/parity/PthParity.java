package io.cdiffset.parity;

import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.TorchCheckpoint;
import io.cdiffset.io.WeightFile;
import io.cdiffset.io.WeightFiles;
import io.cdiffset.io.WeightsException;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The {@code pth} fixture: PyTorch checkpoints made by {@code torch.save}. Every file that holds weights must give
 * exactly the tensors of {@code expected.safetensors} (name after removing the LDM UNet prefix, dtype, shape, bytes);
 * the hostile ones named in the fixture README ({@code module_object.pth}, {@code evil.pth}) must be refused with a
 * message naming the global, and {@code evil.pth}'s payload must not have run (its marker file does not appear).
 */
final class PthParity {
    /** File → the global whose refusal the README expects (alternatives separated by '|'). */
    static final Map<String, String> REFUSED = Map.of(
            "module_object.pth", "torch.nn.modules.linear.Linear",
            "evil.pth", "posix.system|os.system");
    /** The file evil.pth's payload would create. */
    static final Path EVIL_MARKER = Path.of("/tmp/cdiffset_pwned_a");
    static final String LDM_PREFIX = "model.diffusion_model.";

    private PthParity() {}

    static void run(Path dir, List<Result> out) {
        Path expectedFile = dir.resolve("expected.safetensors");
        if (!Files.isRegularFile(expectedFile)) throw new IllegalArgumentException(dir + ": no expected.safetensors; point at the pth fixture folder");
        Map<String, Tensor> expected = SafeTensors.read(expectedFile);
        List<Path> files;
        try (var s = Files.list(dir)) {
            files = s.filter(f -> WeightFiles.isWeightsName(f) && !f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException(dir + ": cannot list (" + e.getMessage() + ")");
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            String refusal = REFUSED.get(name);
            if (refusal != null) {
                out.add(refused(f, refusal));
            } else {
                out.add(matches(f, expected));
                if (name.startsWith("ldm_style")) out.add(globalStep(f));
            }
        }
    }

    private static Result refused(Path f, String globals) {
        String name = f.getFileName().toString();
        try (WeightFile w = WeightFiles.open(f)) {
            return Result.exact(name + " refused", false, "loaded " + w.tensors().size() + " tensors");
        } catch (WeightsException e) {
            String m = e.getMessage();
            boolean named = Arrays.stream(globals.split("\\|")).anyMatch(g -> m.contains("the pickle calls " + g + " "));
            boolean quiet = !Files.exists(EVIL_MARKER);
            return Result.exact(name + " refused", named && quiet && m.lines().count() == 1,
                    !named ? "message does not name " + globals : !quiet ? EVIL_MARKER + " exists" : "refused");
        }
    }

    private static Result matches(Path f, Map<String, Tensor> expected) {
        String name = f.getFileName().toString();
        try (WeightFile w = WeightFiles.open(f)) {
            Map<String, Tensor> got = w.loadAll();
            int compared = 0;
            for (Map.Entry<String, Tensor> e : got.entrySet()) {
                String k = e.getKey().startsWith(LDM_PREFIX) ? e.getKey().substring(LDM_PREFIX.length()) : e.getKey();
                Tensor exp = expected.get(k);
                if (exp == null) return Result.exact(name, false, "unexpected tensor " + k);
                if (!sameTensor(e.getValue(), exp)) return Result.exact(name, false, "tensor " + k + " differs");
                compared++;
            }
            // the LDM-style file holds only the floating-point tensors; the others must hold every expected tensor
            boolean all = compared == expected.size() || name.startsWith("ldm_style") && compared > 0;
            return Result.exact(name + " (" + compared + " tensors)", all, all ? "exact" : "only " + compared + " of " + expected.size());
        } catch (WeightsException e) {
            return Result.exact(name, false, e.getMessage());
        }
    }

    private static Result globalStep(Path f) {
        try (TorchCheckpoint c = TorchCheckpoint.open(f)) {
            Object step = c.root() instanceof Map<?, ?> m ? m.get("global_step") : null;
            return Result.exact(f.getFileName() + " global_step", Long.valueOf(12345).equals(step), "global_step=" + step);
        }
    }

    /** Same dtype, shape and bytes. */
    static boolean sameTensor(Tensor a, Tensor b) {
        if (Tensors.dtype(a) != Tensors.dtype(b) || !Arrays.equals(Tensors.shape(a), Tensors.shape(b))) return false;
        Tensor ca = a.contiguous(), cb = b.contiguous();
        if (ca.nbytes() == 0) return cb.nbytes() == 0;
        return Tensors.bytes(ca).equals(Tensors.bytes(cb));
    }
}
