package io.cdiffset.cli;

import io.cdiffset.parity.ParityCheck;
import io.cdiffset.parity.Result;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "check-parity", mixinStandardHelpOptions = true,
        description = "Run a reference fixture folder (unet, vae, text_encoder, tokenizer, scheduler, cdiff_loss, pipeline, "
                + "train_step, metrics, fullsize, samplers, metric_nets) through cdiffset and print max error and PASS/FAIL per output. Exit 0 only if all pass.")
final class CheckParityCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "DIR", description = "fixture folder(s); the folder name says the kind")
    List<Path> dirs;

    @Override
    public Integer call() {
        int failed = 0, total = 0;
        for (Path dir : dirs) {
            System.out.println("== " + dir + " (" + ParityCheck.kindOf(dir) + ")");
            for (Result r : ParityCheck.run(dir)) {
                System.out.println(r.line());
                total++;
                if (!r.pass()) failed++;
            }
        }
        System.out.println((total - failed) + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
