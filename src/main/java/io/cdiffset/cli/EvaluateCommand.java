package io.cdiffset.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "evaluate", mixinStandardHelpOptions = true, description = "(not available yet)")
final class EvaluateCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("evaluate is not available in this build yet");
    }
}
