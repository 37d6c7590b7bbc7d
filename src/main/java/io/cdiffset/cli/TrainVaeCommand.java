package io.cdiffset.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "train-vae", mixinStandardHelpOptions = true,
        description = {"Train an SD-structured VAE (f = 8, 4 latent channels) on SAR and EO crops: L1 + SSIM + small KL.",
                "Use it to adapt the VAE to a sensor, or to build a model from scratch. Preset: demo-vae."})
final class TrainVaeCommand implements Callable<Integer> {
    @Option(names = "--config", defaultValue = "demo-vae", paramLabel = "NAME|FILE", description = "preset or YAML (default: ${DEFAULT-VALUE})")
    String config;
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/vae", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;
    @Mixin
    TrainOptions options = new TrainOptions();

    @Override
    public Integer call() {
        return TrainCommand.run(config, options, out, "vae");
    }
}
