package io.cdiffset.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Options shared by {@code train} and {@code train-vae}. */
final class TrainOptions {
    @Option(names = "--data", paramLabel = "DIR", description = "dataset folder (overrides data.dir)")
    Path data;
    @Option(names = "--resume", description = "continue from the newest complete checkpoint in --out")
    boolean resume;
    @Option(names = "--overwrite", description = "start over in a non-empty --out: the old folder is moved aside to OUT.old-<timestamp> (never deleted)")
    boolean overwrite;
    @Parameters(paramLabel = "key=value", description = "setting overrides")
    List<String> overrides = new ArrayList<>();
}
