package io.cdiffset.cli;

import io.cdiffset.engine.Engine;
import io.cdiffset.pipeline.ModelBundle;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a model (a training checkpoint such as runs/unet/best, or any model folder) as a compact",
                "translation-only folder: unet/ vae/ scheduler/ prompt_embedding.safetensors, in fp16 or fp32."})
final class ExportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "checkpoint or model folder")
    Path model;
    @Option(names = "--unet", paramLabel = "FILE", description = "C-DiffSET UNet file for a diffusers MODEL folder")
    Path unet;
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR")
    Path out;
    @Option(names = "--dtype", defaultValue = "fp16", description = "fp16 or fp32 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Override
    public Integer call() {
        Engine.init();
        ScalarType t = switch (dtype) {
            case "fp16" -> ScalarType.Half;
            case "fp32" -> ScalarType.Float;
            default -> throw new UserError("--dtype must be fp16 or fp32, got " + dtype);
        };
        if (Files.exists(out.resolve("unet"))) throw new UserError(out + " already holds a model; choose an empty folder");
        ModelBundle b = ModelBundle.load(model, unet);
        Map<String, String> meta = new LinkedHashMap<>();
        Path pe = model.resolve(ModelBundle.PROMPT_EMBEDDING);
        if (Files.isRegularFile(pe)) {
            try (io.cdiffset.io.SafeTensors st = io.cdiffset.io.SafeTensors.open(pe)) {
                meta.putAll(st.metadata());
            }
        }
        meta.put("exported_from", model.toString());
        ModelBundle.save(out, b.unet(), b.vae(), b.context(), t, b.schedule().prediction(), meta);
        System.out.println(out);
        return 0;
    }
}
