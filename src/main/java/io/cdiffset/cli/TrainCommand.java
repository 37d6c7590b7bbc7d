package io.cdiffset.cli;

import io.cdiffset.engine.Engine;
import io.cdiffset.train.Checkpoints;
import io.cdiffset.train.TrainConfig;
import io.cdiffset.train.TrainSettings;
import io.cdiffset.train.Trainer;
import io.cdiffset.train.UNetTask;
import io.cdiffset.train.VaeTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Fine-tune a C-DiffSET UNet on paired SAR/EO data (C-Diff loss; train.stage=mse for stage 1).",
                "Presets: demo, qxs-saropt, sar2opt, spacenet6 (the paper's settings). Any setting can be overridden as key=value,",
                "e.g. train.steps=2000 train.batch=8 model.base=/path/to/stable-diffusion-2-1-base."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "NAME|FILE", description = "preset name or YAML file")
    String config;
    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/unet", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;
    @Mixin
    TrainOptions options = new TrainOptions();

    @Override
    public Integer call() {
        return run(config, options, out, "unet");
    }

    static int run(String config, TrainOptions o, Path out, String task) {
        Engine.initForTraining();
        TrainConfig cfg = TrainConfig.load(config, o.overrides);
        TrainSettings settings = cfg.settings(); // every value checked before anything is read or written
        Path data = o.data;
        if (!settings.task().equals(task)) {
            throw new UserError("config " + config + " is for task '" + settings.task() + "'; use 'cdiffset " + (task.equals("vae") ? "train" : "train-vae") + "' with it");
        }
        boolean moveAside = checkOut(out, o);
        // the checkpoint to resume from, checked against its manifest before the data are loaded or anything is written
        Path from = o.resuming() ? new Checkpoints(out).forResume(o.resume) : null;
        if (from != null && Checkpoints.isUnverified(from)) {
            System.err.println("cdiffset: warning: " + from + " has no manifest.json (written by an older cdiffset); resuming without verifying its files");
        }
        ConsoleProgress prep = new ConsoleProgress("preparing");
        Trainer.Task<?> t = task.equals("vae") ? VaeTask.create(cfg, data, prep) : UNetTask.create(cfg, data, prep);
        prep.finish();
        io.cdiffset.pipeline.KernelCheck.forTraining(t.kernelOps(), io.cdiffset.engine.Precision.parse(settings.train().precision()),
                m -> System.err.println("cdiffset: " + m));
        if (moveAside) System.err.println("--overwrite: moved the previous " + out + " to " + moveAside(out));
        System.err.println("training " + task + " (" + cfg.source() + ") → " + out.toAbsolutePath()
                + "; logs: log.jsonl, log.csv, loss.png; samples/; checkpoints/ (resume with --resume, or --resume step-N)");
        Path last = new Trainer<>(cfg, t, out, new ConsoleProgress("train " + task)).run(from);
        System.out.println(last);
        return 0;
    }

    /**
     * A run never lands in a folder that holds anything unless asked: --resume continues it, --overwrite starts over
     * after moving it aside. Returns whether it is to be moved aside (done once the data are ready).
     */
    static boolean checkOut(Path out, TrainOptions o) {
        if (o.resuming() && o.overwrite) throw new UserError("give --resume (continue the run in " + out + ") or --overwrite (start over), not both");
        if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) return false;
        if (!Files.isDirectory(out)) throw new UserError("--out " + out + " exists and is not a folder; choose another --out");
        boolean empty;
        try (Stream<Path> s = Files.list(out)) {
            empty = s.findAny().isEmpty();
        } catch (IOException e) {
            throw new UserError("--out " + out + " cannot be read (" + e.getClass().getSimpleName() + "); choose another --out");
        }
        if (empty || o.resuming()) return false;
        if (o.overwrite) return true;
        throw new UserError("--out " + out + " is not empty; pass --resume to continue that run, --overwrite to start over (it is moved to "
                + out.getFileName() + ".old-<timestamp>), or choose another --out");
    }

    /** Renames {@code out} to OUT.old-&lt;UTC timestamp&gt; beside it; returns the new name. */
    static Path moveAside(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        Path old = abs.resolveSibling(abs.getFileName() + ".old-" + stamp);
        for (int n = 2; Files.exists(old, LinkOption.NOFOLLOW_LINKS); n++) old = abs.resolveSibling(abs.getFileName() + ".old-" + stamp + "-" + n);
        try {
            Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserError("--overwrite: cannot move " + out + " aside to " + old + " (" + e.getClass().getSimpleName() + "); move or remove it yourself");
        }
        return old;
    }
}
