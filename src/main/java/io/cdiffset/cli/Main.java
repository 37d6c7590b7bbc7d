package io.cdiffset.cli;

import io.cdiffset.engine.RuntimeOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.UncheckedIOException;

/** cdiffset — SAR-to-EO translation with C-DiffSET on libtorch. Exit codes: 0 ok, 1 failure, 2 bad input/usage. */
@Command(name = "cdiffset", mixinStandardHelpOptions = true, version = "cdiffset 0.1.0",
        description = "SAR-to-EO image translation (C-DiffSET latent diffusion) on libtorch.",
        subcommands = {TranslateCommand.class, SparkTranslateCommand.class, EvaluateCommand.class, CompareCommand.class, TrainCommand.class, TrainVaeCommand.class,
                InspectCommand.class, CheckParityCommand.class, BenchCommand.class, ExportCommand.class, DoctorCommand.class, PullCommand.class,
                ServeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        RuntimeOptions.set(RuntimeOptions.fromEnvironment()); // the process-wide knobs, read once
        CommandLine cl = new CommandLine(new Main());
        // a usage error is one line too: picocli's message and where the help is, not the whole usage text
        cl.setParameterExceptionHandler((ex, args1) -> {
            CommandLine cmd = ex.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println("cdiffset: error: " + oneLine(message(ex)) + " (see " + cmd.getCommandSpec().qualifiedName() + " --help)");
            err.flush();
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable e = ex;
            while (e.getCause() != null && (e instanceof UncheckedIOException || e.getClass() == RuntimeException.class)) e = e.getCause();
            PrintWriter err = cmd.getErr();
            err.println("cdiffset: error: " + oneLine(message(e)));
            err.flush();
            if (RuntimeOptions.current().debug()) ex.printStackTrace(err);
            return isUserError(e) ? 2 : 1;
        });
        return cl.execute(args);
    }

    static boolean isUserError(Throwable e) {
        return e instanceof io.cdiffset.engine.InputException || e instanceof IllegalArgumentException;
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        if (e instanceof OutOfMemoryError) return "out of memory (" + m + "); use a smaller --tile or --batch";
        return m;
    }

    static String oneLine(String m) {
        String first = m.strip().lines().findFirst().orElse(m);
        return first.length() > 600 ? first.substring(0, 600) + "..." : first;
    }
}
