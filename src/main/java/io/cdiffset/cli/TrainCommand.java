package io.cdiffset.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, description = "(not available yet)")
final class TrainCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("train is not available in this build yet");
    }
}
