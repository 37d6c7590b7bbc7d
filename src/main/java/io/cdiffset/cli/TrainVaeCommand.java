package io.cdiffset.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "train-vae", mixinStandardHelpOptions = true, description = "(not available yet)")
final class TrainVaeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("train-vae is not available in this build yet");
    }
}
