package io.cdiffset.parity;

import io.cdiffset.engine.Engine;
import org.bytedeco.javacpp.PointerScope;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs a reference fixture folder through our implementation. The folder's name says its kind (unet, vae,
 * text_encoder, tokenizer, scheduler, cdiff_loss, pipeline, train_step, metrics,
 * fullsize, samplers, metric_nets, pth, ldm_single_file); every size comes from its files.
 * Tolerances are the ones stated in the reference fixtures' READMEs.
 */
public final class ParityCheck {
    private ParityCheck() {}

    public static final List<String> KINDS = List.of("unet", "vae", "text_encoder", "tokenizer", "scheduler",
            "cdiff_loss", "pipeline", "train_step", "metrics", "fullsize", "samplers", "metric_nets", "pth", "ldm_single_file");

    public static String kindOf(Path dir) {
        String name = dir.toAbsolutePath().normalize().getFileName().toString().toLowerCase(Locale.ROOT);
        String best = null;
        for (String k : KINDS) {
            if (name.startsWith(k) && (best == null || k.length() > best.length())) best = k;
        }
        if (best == null) {
            throw new IllegalArgumentException(dir + ": cannot tell the fixture kind from the folder name; expected one of " + KINDS);
        }
        return best;
    }

    public static List<Result> run(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a folder; point at a fixture folder such as fixtures/unet");
        Engine.init();
        String kind = kindOf(dir);
        List<Result> out = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            switch (kind) {
                case "unet" -> UNetParity.run(dir, out);
                case "vae" -> VaeParity.run(dir, out);
                case "text_encoder" -> TextParity.run(dir, out);
                case "tokenizer" -> TokenizerParity.run(dir, out);
                case "scheduler" -> SchedulerParity.run(dir, out);
                case "cdiff_loss" -> LossParity.run(dir, out);
                case "pipeline" -> PipelineParity.run(dir, out);
                case "train_step" -> TrainStepParity.run(dir, out);
                case "metrics" -> MetricsParity.run(dir, out);
                case "fullsize" -> FullSizeParity.run(dir, out);
                case "samplers" -> SamplerParity.run(dir, out);
                case "metric_nets" -> MetricNetsParity.run(dir, out);
                case "pth" -> PthParity.run(dir, out);
                case "ldm_single_file" -> LdmSingleFileParity.run(dir, out);
                default -> throw new IllegalStateException(kind);
            }
        }
        return out;
    }
}
