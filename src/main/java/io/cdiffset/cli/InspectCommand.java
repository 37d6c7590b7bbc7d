package io.cdiffset.cli;

import io.cdiffset.hub.HubModels;
import io.cdiffset.model.Inspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Say what a weights file or model folder is (model kind, config, dtype, parameter count, plain SD UNet or",
                "C-DiffSET 8-in/5-out) and what is wrong with it. Reads headers only: fast even for multi-GB files.",
                "Exit 0 when everything fits, 1 when problems were found."})
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", description = "a weights file (.safetensors, .pth, .ckpt, .pt, .bin) or a model folder (or ORG/NAME[/FILE] pulled with cdiffset pull)")
    Path path;
    @Option(names = "--config", paramLabel = "FILE", description = "config.json to check a bare weights file against (default: SD 2.1-base)")
    Path config;

    @Override
    public Integer call() {
        path = HubModels.resolve(path); // ORG/NAME[/FILE] from the Hugging Face cache
        if (!Files.exists(path)) throw new UserError(path + ": not found; give a weights file (.safetensors, .pth, .ckpt, .pt, .bin) or a model folder");
        Inspector.Report r = config != null ? Inspector.analyze(path, config) : Inspector.analyze(path);
        System.out.print(r.text());
        return r.ok() ? 0 : 1;
    }
}
