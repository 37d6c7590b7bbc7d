package io.cdiffset.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "translate", mixinStandardHelpOptions = true, description = "(not available yet)")
final class TranslateCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("translate is not available in this build yet");
    }
}
