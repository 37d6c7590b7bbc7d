package io.cdiffset.model;

import io.cdiffset.model.clip.ClipTextConfig;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.VaeConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The Stable Diffusion 2.1-base configs (stabilityai/stable-diffusion-2-1-base, Dec 2022), bundled as resources under
 * {@code io/cdiffset/configs/sd21-base/}. Used when a weights file comes without a config.json (bare files, LDM
 * single-file checkpoints) and as the reference architecture in tests.
 */
public final class Sd21Configs {
    /** Resource folder holding {@code unet/config.json}, {@code vae/config.json}, {@code text_encoder/config.json}, {@code scheduler/scheduler_config.json}. */
    public static final String RESOURCE_ROOT = "io/cdiffset/configs/sd21-base/";

    public static final String UNET = "unet/config.json";
    public static final String VAE = "vae/config.json";
    public static final String TEXT_ENCODER = "text_encoder/config.json";
    public static final String SCHEDULER = "scheduler/scheduler_config.json";

    private Sd21Configs() {}

    /** SD 2.1-base UNet: 4-in/4-out, [320, 640, 1280, 1280], heads [5, 10, 20, 20], cross-attention 1024. */
    public static UNetConfig unet() {
        return UNetConfig.from(json(UNET));
    }

    /** SD 2.1-base UNet with other in/out channel counts (8/5 = C-DiffSET). */
    public static UNetConfig unet(int inChannels, int outChannels) {
        return unet().withChannels(inChannels, outChannels);
    }

    /** SD 2.1 AutoencoderKL: [128, 256, 512, 512], 2 layers per block, latent 4, scaling factor 0.18215. */
    public static VaeConfig vae() {
        return VaeConfig.from(json(VAE));
    }

    /** SD 2.1 text encoder (OpenCLIP ViT-H/14 text tower minus its last block): 23 layers, width 1024, 16 heads, gelu. */
    public static ClipTextConfig textEncoder() {
        return ClipTextConfig.from(json(TEXT_ENCODER));
    }

    /** The scheduler config (PNDMScheduler in the original repo; C-DiffSET builds DDPM / DDIM from it). */
    public static ConfigJson scheduler() {
        return json(SCHEDULER);
    }

    /** A bundled config parsed, with source "builtin sd21-base/&lt;relative&gt;" for error messages. */
    public static ConfigJson json(String relative) {
        return ConfigJson.parse(text(relative), "builtin sd21-base/" + relative);
    }

    /** The raw text of a bundled config ({@code relative} like {@code "unet/config.json"}). */
    public static String text(String relative) {
        String name = RESOURCE_ROOT + relative;
        try (InputStream in = Sd21Configs.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing built-in resource " + name + " (broken build?)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read built-in resource " + name, e);
        }
    }
}
