package io.cdiffset.cli;

import io.cdiffset.engine.Engine;
import io.cdiffset.hub.HubModels;
import org.bytedeco.pytorch.global.torch;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** --model, --unet, --device and --precision, as the commands that run a model take them. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "PATH", description = {"model folder (default: the shipped models/default); a diffusers SD 2.1-base folder needs --unet;",
            "or ORG/NAME of a repo pulled with 'cdiffset pull' (read from the Hugging Face cache, never downloaded)"})
    Path model;
    @Option(names = "--unet", paramLabel = "FILE", description = {"C-DiffSET 8-in/5-out UNet weights (.safetensors, .pth, .ckpt, .bin) to use with --model;",
            "or ORG/NAME/PATH of a file in a pulled repo"})
    Path unet;
    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda (default: ${DEFAULT-VALUE})")
    String device;
    @Option(names = "--precision", defaultValue = "fp32", description = "fp32 or bf16 (default: ${DEFAULT-VALUE})")
    String precision;

    /** --model, else the shipped models/default (next to the launcher, or CDIFFSET_HOME/models/default). */
    Path modelDir() {
        if (model != null) return HubModels.resolve(model);
        Path p = defaultModel();
        if (!Files.isDirectory(p)) throw new UserError("no --model given and the default model is not at " + p.toAbsolutePath() + "; pass --model PATH");
        return p;
    }

    /** --unet, a local file or ORG/NAME/PATH in the Hugging Face cache; null when not given. */
    Path unetFile() {
        return HubModels.resolve(unet);
    }

    /** CDIFFSET_HOME/models/default, or models/default in the working folder. */
    static Path defaultModel() {
        String home = System.getenv("CDIFFSET_HOME");
        return home != null ? Path.of(home, "models", "default") : Path.of("models", "default");
    }

    /** --device: cpu runs; cuda is refused with what to do, as this build has no CUDA. */
    void checkDevice() {
        if (device.equals("cuda")) {
            Engine.init();
            if (!torch.cuda_is_available()) throw new UserError("--device cuda: no CUDA device is available to this libtorch build; use --device cpu");
            throw new UserError("--device cuda: run with the CUDA libtorch build (org.bytedeco:pytorch linux-x86_64-gpu); this build is CPU-only");
        } else if (!device.equals("cpu")) {
            throw new UserError("--device must be cpu or cuda, got " + device);
        }
    }
}
