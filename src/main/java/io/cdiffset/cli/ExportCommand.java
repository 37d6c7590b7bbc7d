package io.cdiffset.cli;

import io.cdiffset.engine.Engine;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.diffusion.ModelBundle;
import io.cdiffset.hub.HubModels;
import io.cdiffset.diffusion.SamplingSettings;
import org.bytedeco.pytorch.global.torch.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a model (a training checkpoint such as runs/unet/best, or any model folder) as a compact",
                "translation-only folder: unet/ vae/ scheduler/ prompt_embedding.safetensors, in fp16 or fp32."})
final class ExportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "checkpoint or model folder, or ORG/NAME pulled with cdiffset pull")
    Path model;
    @Option(names = "--unet", paramLabel = "FILE", description = "C-DiffSET UNet file for a diffusers MODEL folder")
    Path unet;
    @Option(names = "--vae", paramLabel = "DIR", description = "use this VAE instead of the model's, e.g. a decoder fine-tune (train-vae train.vae_part=decoder); it must share the model's latent space")
    Path vae;
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR")
    Path out;
    @Option(names = "--sar-guidance", paramLabel = "S", description = "record this SAR guidance scale as the model's default (sampling.json; default: keep the source's)")
    Double sarGuidance;
    @Option(names = "--sampler", paramLabel = "NAME", description = "record this sampler as the model's default (sampling.json; default: keep the source's)")
    String sampler;
    @Option(names = "--steps", paramLabel = "N", description = "record this step count as the model's default (sampling.json; default: keep the source's)")
    Integer steps;
    @Option(names = "--dtype", defaultValue = "fp16", description = "fp16 or fp32 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Override
    public Integer call() {
        Engine.init();
        model = HubModels.resolve(model); // ORG/NAME[/FILE] from the Hugging Face cache (never downloaded)
        unet = HubModels.resolve(unet);
        vae = HubModels.resolve(vae);
        ScalarType t = switch (dtype) {
            case "fp16" -> ScalarType.Half;
            case "fp32" -> ScalarType.Float;
            default -> throw new UserError("--dtype must be fp16 or fp32, got " + dtype);
        };
        SamplingSettings sampling = ModelBundle.sampling(model).with(sampler, steps, sarGuidance); // checked before anything is loaded
        if (Files.exists(out.resolve("unet"))) throw new UserError(out + " already holds a model; choose an empty folder");
        ModelBundle b = ModelBundle.load(model, unet);
        if (vae != null) b = withVae(b, vae);
        Map<String, String> meta = new LinkedHashMap<>();
        Path pe = model.resolve(ModelBundle.PROMPT_EMBEDDING);
        if (Files.isRegularFile(pe)) {
            try (io.cdiffset.io.SafeTensors st = io.cdiffset.io.SafeTensors.open(pe)) {
                meta.putAll(st.metadata());
            }
        }
        meta.put("exported_from", model.toString());
        if (vae != null) meta.put("vae_from", vae.toString());
        ModelBundle.save(out, b.unet(), b.vae(), b.context(), t, b.schedule().prediction(), meta);
        if (!sampling.equals(SamplingSettings.DEFAULT)) {
            ModelBundle.saveSampling(out, sampling, "default sampling for translate / evaluate (--sar-guidance, --sampler, --steps override it)");
        }
        System.out.println(out);
        return 0;
    }

    /** The bundle with another VAE, which must encode to the same latents (same latent channels and scaling factor). */
    static ModelBundle withVae(ModelBundle b, Path dir) {
        AutoencoderKL v = ModelBundle.loadVae(ModelBundle.resolveVaeDir(dir));
        double have = b.vae().config().scalingFactor(), got = v.config().scalingFactor();
        if (v.config().latentChannels() != b.vae().config().latentChannels() || Math.abs(got - have) > 1e-6 * Math.abs(have)) {
            throw new UserError(String.format(java.util.Locale.ROOT, "--vae %s has %d latent channels and scaling factor %.6g, the model's VAE %d and %.6g: "
                    + "its UNet was trained on the other latent space; fine-tune the model's VAE with train.vae_part=decoder to keep it",
                    dir, v.config().latentChannels(), got, b.vae().config().latentChannels(), have));
        }
        return new ModelBundle(b.unet(), v, b.context(), b.schedule(), b.source());
    }
}
