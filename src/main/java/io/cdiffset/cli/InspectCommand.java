package io.cdiffset.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = "(not available yet)")
final class InspectCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("inspect is not available in this build yet");
    }
}
