package io.cdiffset.cli;

import io.cdiffset.engine.Engine;
import io.cdiffset.train.TrainConfig;
import io.cdiffset.train.Trainer;
import io.cdiffset.train.UNetTask;
import io.cdiffset.train.VaeTask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;

import java.nio.file.Path;
import java.util.concurrent.Callable;

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
        Engine.init();
        TrainConfig cfg = TrainConfig.load(config, o.overrides);
        Path data = o.data;
        if (!cfg.str("task").equals(task)) {
            throw new UserError("config " + config + " is for task '" + cfg.str("task") + "'; use 'cdiffset " + (task.equals("vae") ? "train" : "train-vae") + "' with it");
        }
        ConsoleProgress prep = new ConsoleProgress("preparing");
        Trainer.Task t = task.equals("vae") ? VaeTask.create(cfg, data, prep) : UNetTask.create(cfg, data, prep);
        prep.finish();
        System.err.println("training " + task + " (" + cfg.source() + ") → " + out.toAbsolutePath()
                + "; logs: log.jsonl, log.csv, loss.png; samples/; checkpoints/ (resume with --resume)");
        Path last = new Trainer(cfg, t, out, new ConsoleProgress("train " + task)).run(o.resume);
        System.out.println(last);
        return 0;
    }
}
