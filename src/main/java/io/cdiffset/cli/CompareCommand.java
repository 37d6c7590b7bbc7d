package io.cdiffset.cli;

import io.cdiffset.io.AtomicFile;
import io.cdiffset.metrics.ReportComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Compare evaluation reports (folders written by cdiffset evaluate) with a reference",
                "report of the same crops. Crops are paired by id; for PSNR, SSIM, SCC (and LPIPS when",
                "both have it) the Markdown table gives each report's mean, the paired difference",
                "Δ (report − reference) ± its standard error, and whether |Δ| ≤ 2 s.e. (within noise).",
                "--plot draws Δ against the step count, one line per sampler."})
final class CompareCommand implements Callable<Integer> {
    @Parameters(paramLabel = "REPORT_DIR", arity = "1..*", description = "report folders (each with per_image.csv; report.md gives sampler and steps, else the folder name NAME-STEPS)")
    List<Path> reports;
    @Option(names = "--against", required = true, paramLabel = "REF_DIR", description = "the reference report folder (e.g. DDIM 50 steps)")
    Path against;
    @Option(names = "--plot", paramLabel = "FILE.png", description = "also draw Δ vs steps (PSNR, SSIM, SCC panels) into this PNG")
    Path plot;
    @Option(names = {"-o", "--out"}, paramLabel = "TABLE.md", description = "also write the table to this file")
    Path out;
    @Option(names = "--overwrite", description = "replace an existing -o / --plot file (default: refuse)")
    boolean overwrite;

    @Override
    public Integer call() throws IOException {
        refuseOutput(out, "-o");
        refuseOutput(plot, "--plot");
        if (plot != null && !plot.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new UserError("--plot " + plot + ": the chart is a PNG; give a file name ending in .png");
        }
        ReportComparison.Report reference = ReportComparison.read(against);
        List<ReportComparison.Report> others = new ArrayList<>();
        for (Path r : reports) others.add(ReportComparison.read(r));
        for (Path o : new Path[]{out, plot}) { // never write over an input, even with --overwrite
            if (o == null) continue;
            for (Path r : inputsOf(reports)) {
                if (Files.exists(o) && Files.isSameFile(o, r)) throw new UserError(o + " is one of the inputs; choose another output file");
            }
        }
        ReportComparison cmp = ReportComparison.of(reference, others);
        String table = cmp.toMarkdown();
        if (out != null) AtomicFile.writeString(out, table);
        if (plot != null) cmp.plot(plot);
        System.out.print(table);
        if (out != null) System.err.println("table: " + out);
        if (plot != null) System.err.println("chart: " + plot);
        return 0;
    }

    private List<Path> inputsOf(List<Path> dirs) {
        List<Path> files = new ArrayList<>();
        List<Path> all = new ArrayList<>(dirs);
        all.add(against);
        for (Path d : all) {
            for (String f : List.of("per_image.csv", "report.md")) {
                if (Files.exists(d.resolve(f))) files.add(d.resolve(f));
            }
        }
        return files;
    }

    /** An existing output is kept unless --overwrite; an output that is a folder is always refused. */
    private void refuseOutput(Path file, String option) {
        if (file == null) return;
        if (Files.isDirectory(file)) throw new UserError(option + " " + file + " is a folder; give a file name");
        if (!overwrite && Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new UserError(option + " " + file + " already exists; pass --overwrite to replace it, or choose another file");
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new UserError(option + " " + file + ": folder " + parent + " does not exist");
    }
}
