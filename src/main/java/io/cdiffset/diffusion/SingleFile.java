package io.cdiffset.diffusion;

import io.cdiffset.io.WeightFile;
import io.cdiffset.io.WeightFiles;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.LdmKeys;
import io.cdiffset.model.Sd21Configs;
import io.cdiffset.model.WeightKeys;
import io.cdiffset.model.clip.ClipTextConfig;
import io.cdiffset.model.clip.ClipTextModel;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.model.vae.VaeConfig;
import org.bytedeco.pytorch.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An original single-file SD 2.x checkpoint (LDM / Stability names; {@code .safetensors} or a torch.save
 * {@code .ckpt} / {@code .pth}) split into its UNet, VAE and text encoder, the diffusers names given by
 * {@link LdmKeys}. Each part is built on demand, with the configs of {@link Configs}: diffusers config files beside
 * the checkpoint when present, SD 2.1-base's otherwise (what a real {@code v2-1_512-ema-pruned} file needs). Only
 * the tensors of a part are read when it is built: EMA copies, scheduler buffers, the unused text layer — and the
 * UNet when only VAE and text encoder are wanted — never leave the file.
 */
public final class SingleFile implements AutoCloseable {
    /** Config files read from beside a single file, one per part (the names diffusers' converter scripts take). */
    public static final String UNET_CONFIG = "unet_config.json";
    public static final String VAE_CONFIG = "vae_config.json";
    public static final String TEXT_ENCODER_CONFIG = "text_encoder_config.json";

    /** The configs of the three parts and where each came from. */
    public record Configs(UNetConfig unet, VaeConfig vae, ClipTextConfig textEncoder, String source) {
        /** SD 2.1-base (built in). */
        public static Configs sd21() {
            return new Configs(Sd21Configs.unet(), Sd21Configs.vae(), Sd21Configs.textEncoder(), "builtin SD 2.1-base configs");
        }

        /** Each part's config from its file beside {@code file} if present, else SD 2.1-base's. */
        public static Configs beside(Path file) {
            Path dir = file.toAbsolutePath().getParent();
            Path u = dir.resolve(UNET_CONFIG), v = dir.resolve(VAE_CONFIG), t = dir.resolve(TEXT_ENCODER_CONFIG);
            boolean any = Files.isRegularFile(u) || Files.isRegularFile(v) || Files.isRegularFile(t);
            return new Configs(
                    Files.isRegularFile(u) ? UNetConfig.from(ConfigJson.read(u)) : Sd21Configs.unet(),
                    Files.isRegularFile(v) ? VaeConfig.from(ConfigJson.read(v)) : Sd21Configs.vae(),
                    Files.isRegularFile(t) ? ClipTextConfig.from(ConfigJson.read(t)) : Sd21Configs.textEncoder(),
                    any ? "config files beside " + file.getFileName() + " (SD 2.1-base for any missing)" : "builtin SD 2.1-base configs");
        }
    }

    private final Path file;
    private final Configs configs;
    private final WeightFile weights;
    private final LdmKeys.Split<LdmKeys.Mapping> names;

    private SingleFile(Path file, Configs configs, WeightFile weights, LdmKeys.Split<LdmKeys.Mapping> names) {
        this.file = file;
        this.configs = configs;
        this.weights = weights;
        this.names = names;
    }

    /** Opens the checkpoint and maps its names; text layers beyond the config's (SD 2.x's unused last one) are ignored. */
    public static SingleFile open(Path file, Configs configs) {
        WeightFile w = WeightFiles.open(file);
        try {
            return new SingleFile(file, configs, w, LdmKeys.mapNames(w.tensors().keySet(), configs.textEncoder()).requireMapped(file.toString()));
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    /** One part's tensors under diffusers names (an OpenCLIP in_proj is read once for its q, k and v). */
    private Map<String, Tensor> part(LdmKeys.Target target) {
        Map<String, Tensor> read = new HashMap<>(), out = new LinkedHashMap<>();
        names.get(target).forEach((k, m) -> out.put(k, m.apply(read.computeIfAbsent(m.source(), weights::load))));
        return out;
    }

    @Override
    public void close() {
        weights.close();
    }

    public Configs configs() {
        return configs;
    }

    /** The file's own UNet (SD's 4-in/4-out; channel counts are taken from its conv_in / conv_out). */
    public UNet2DConditionModel unet() {
        Map<String, Tensor> u = part(LdmKeys.Target.UNET);
        Tensor ci = u.get("conv_in.weight"), co = u.get("conv_out.weight");
        UNetConfig cfg = ci == null || co == null ? configs.unet() : configs.unet().withChannels((int) ci.size(1), (int) co.size(0));
        UNet2DConditionModel unet = new UNet2DConditionModel(cfg);
        unet.load(u, file + " (UNet part)");
        return unet;
    }

    public AutoencoderKL vae() {
        AutoencoderKL vae = new AutoencoderKL(configs.vae());
        vae.load(part(LdmKeys.Target.VAE), file + " (VAE part)");
        return vae;
    }

    public ClipTextModel textEncoder() {
        ClipTextModel te = new ClipTextModel(configs.textEncoder());
        te.load(WeightKeys.textFromAny(part(LdmKeys.Target.TEXT_ENCODER)), file + " (text encoder part)");
        return te;
    }
}
