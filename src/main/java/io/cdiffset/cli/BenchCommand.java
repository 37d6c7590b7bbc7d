package io.cdiffset.cli;

import io.cdiffset.bench.Bench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Benchmark the UNet forward (32×32 and 64×64 latents, fp32 and bf16), a training step, the VAE and whole 50-step translations (random full-size SD 2.1-base weights, and the shipped default model), with achieved GFLOP/s against a square matmul measured in the same run, the peak resident memory of each case and native-memory growth over 100 sampling steps.",
                "Prints a Markdown table to stdout and progress to stderr; every figure is the median of several runs after a warm-up, with min and max. Use --list for the case names."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "fewer repeats; translations that would not fit the budget are timed over a few steps and reported as a clearly marked 50-step estimate (whole run < 15 min)")
    boolean quick;
    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON (atomically)")
    Path json;
    @Option(names = "--only", split = ",", paramLabel = "NAME", description = "run only these cases (names or prefixes such as unet, translate-512); the matmul references are added when needed")
    List<String> only;
    @Option(names = "--tiny", description = "tiny test-fixture models and sizes ÷ 4 (seconds; for tests and smoke runs, figures not meaningful)")
    boolean tiny;
    @Option(names = "--in-process", description = "run every case in this JVM instead of one child JVM per case (peak RSS is then reset per case through /proc/self/clear_refs)")
    boolean inProcess;
    @Option(names = "--model", paramLabel = "DIR", description = "the default model folder for the default-* cases (default: models/default)")
    Path model;
    @Option(names = "--list", description = "list the cases and exit")
    boolean list;

    @Override
    public Integer call() throws IOException {
        if (list) {
            for (String n : Bench.caseNames()) System.out.println(n);
            return 0;
        }
        Path modelDir = model != null ? model : ModelOptions.defaultModel();
        if (model != null && !Files.isDirectory(model)) throw new UserError("--model " + model + ": not a folder");
        List<String> args = new ArrayList<>();
        args.add("cdiffset bench");
        if (quick) args.add("--quick");
        if (tiny) args.add("--tiny");
        if (inProcess) args.add("--in-process");
        if (only != null && !only.isEmpty()) args.add("--only " + String.join(",", only));
        if (model != null) args.add("--model " + model);
        if (json != null) args.add("--json " + json);
        Bench.Settings s = new Bench.Settings(quick, tiny, json, only, !inProcess, modelDir, String.join(" ", args));
        try {
            return new Bench(s, System.out, System.err).run();
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
