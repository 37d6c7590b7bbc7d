package io.cdiffset.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Stack;

/** Options shared by {@code train} and {@code train-vae}. */
final class TrainOptions {
    @Option(names = "--data", paramLabel = "DIR", description = "dataset folder (overrides data.dir)")
    Path data;
    @Option(names = "--resume", arity = "0..1", paramLabel = "STEP", preprocessor = ResumeStep.class,
            description = {"continue the run in --out from its latest checkpoint, or from the one given (step-0004000 or 4000);",
                    "the checkpoint is checked against its manifest.json first"})
    String resume;
    @Option(names = "--overwrite", description = "start over in a non-empty --out: the old folder is moved aside to OUT.old-<timestamp> (never deleted)")
    boolean overwrite;
    @Parameters(paramLabel = "key=value", description = "setting overrides")
    List<String> overrides = new ArrayList<>();

    boolean resuming() {
        return resume != null;
    }

    /**
     * {@code --resume} takes the next argument only if it names a step (step-0004000 or 4000) or is attached
     * ({@code --resume=...}): {@code --resume train.steps=9000} resumes the latest checkpoint with that override.
     */
    static final class ResumeStep implements CommandLine.IParameterPreprocessor {
        @Override
        public boolean preprocess(Stack<String> args, CommandLine.Model.CommandSpec spec, CommandLine.Model.ArgSpec arg, Map<String, Object> info) {
            Object sep = info.get("separator");
            boolean attached = sep != null && !sep.toString().isBlank(); // " " when the value is not attached
            String value = "";
            if (!args.isEmpty() && (attached || args.peek().matches("(step-)?[0-9]+"))) value = args.pop();
            arg.setValue(value);
            return true;
        }
    }
}
