package io.cdiffset.diffusion;

import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.WeightFile;
import io.cdiffset.io.WeightFiles;
import io.cdiffset.io.WeightsException;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.Sd21Configs;
import io.cdiffset.model.WeightKeys;
import io.cdiffset.model.clip.ClipTextModel;
import io.cdiffset.model.tokenizer.ClipTokenizer;
import io.cdiffset.model.unet.CDiffSetSurgery;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.model.vae.VaeConfig;
import io.cdiffset.nn.Module;
import org.bytedeco.pytorch.InferenceMode;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything translation needs: the C-DiffSET UNet, the VAE, the fixed prompt context and the noise schedule,
 * loaded from a diffusers-layout folder ({@code unet/ vae/ scheduler/} plus either {@code text_encoder/ tokenizer/}
 * or a stored {@code prompt_embedding.safetensors}). Trained cdiffset checkpoints use the same layout.
 */
public record ModelBundle(UNet2DConditionModel unet, AutoencoderKL vae, Tensor context, NoiseSchedule schedule, Path source) {
    public static final String PROMPT = "electro-optical image";
    public static final String PROMPT_EMBEDDING = "prompt_embedding.safetensors";
    /** Optional file in a model folder with the sampling settings its makers recommend ({@code sar_guidance}). */
    public static final String SAMPLING = "sampling.json";

    /**
     * The sampling a model folder recommends in {@value #SAMPLING} ({@code sampler}, {@code steps},
     * {@code sar_guidance}), each key that is missing (or the whole file, as in diffusers folders and the authors'
     * checkpoints) taken from {@link SamplingSettings#DEFAULT}. A bad value is a one-line error naming the file.
     */
    public static SamplingSettings sampling(Path folder) {
        if (folder == null) return SamplingSettings.DEFAULT;
        Path f = folder.resolve(SAMPLING);
        if (!Files.isDirectory(folder) || !Files.isRegularFile(f)) return SamplingSettings.DEFAULT;
        com.fasterxml.jackson.databind.JsonNode root = ConfigJson.read(f).root();
        com.fasterxml.jackson.databind.JsonNode g = root.get("sar_guidance"), sm = root.get("sampler"), st = root.get("steps");
        if (g != null && (!g.isNumber() || !(g.asDouble() >= 0 && g.asDouble() <= CDiffSetSampler.MAX_SAR_GUIDANCE))) {
            throw new WeightsException(f + ": sar_guidance must be a number between 0 and " + (int) CDiffSetSampler.MAX_SAR_GUIDANCE + "; fix or delete the file");
        }
        if (sm != null && (!sm.isTextual() || !Samplers.NAMES.contains(sm.asText()))) {
            throw new WeightsException(f + ": sampler must be one of " + String.join(", ", Samplers.NAMES) + "; fix or delete the file");
        }
        if (st != null && (!st.isInt() || st.asInt() < 1 || st.asInt() > 999)) {
            throw new WeightsException(f + ": steps must be a whole number from 1 to 999; fix or delete the file");
        }
        return SamplingSettings.DEFAULT.with(sm == null ? null : sm.asText(), st == null ? null : st.asInt(), g == null ? null : g.asDouble());
    }

    /** This model's recommended sampling ({@link #sampling(Path)} of its folder; C-DiffSET's for a single file). */
    public SamplingSettings sampling() {
        return sampling(source);
    }

    /** Writes {@value #SAMPLING} with these settings and why. */
    public static void saveSampling(Path folder, SamplingSettings s, String note) {
        com.fasterxml.jackson.databind.node.ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        o.put("sar_guidance", s.sarGuidance());
        o.put("sampler", s.sampler());
        o.put("steps", s.steps());
        if (note != null) o.put("note", note);
        io.cdiffset.io.AtomicFile.writeString(folder.resolve(SAMPLING), o.toPrettyString());
    }

    /**
     * Readies the model for inference at {@code precision}: with bf16 the conv / linear weights are stored in bf16
     * (half the memory, no per-step cast; numerics as autocast). Returns this bundle.
     */
    public ModelBundle prepare(io.cdiffset.engine.Precision precision) {
        if (precision == io.cdiffset.engine.Precision.BF16) {
            unet.storeMatmulWeightsAs(org.bytedeco.pytorch.global.torch.ScalarType.BFloat16);
            vae.storeMatmulWeightsAs(org.bytedeco.pytorch.global.torch.ScalarType.BFloat16);
        }
        return this;
    }

    /** SD 2.1 CLIP ids of the prompt, unpadded (SD21_SPEC §4.5). */
    public static final int[] PROMPT_IDS = {49406, 23244, 268, 16822, 2867, 49407};

    /**
     * {@link #load(Path, Path)} then {@link #prepare}: for bf16 the convolution and linear weights are read straight
     * into bf16 parameters (the same values as an fp32 load cast afterwards), so the full-size model never holds its
     * fp32 weights: load peak 4.2 → 2.3 GB resident measured.
     */
    public static ModelBundle load(Path folder, Path unetFile, io.cdiffset.engine.Precision precision) {
        if (precision != io.cdiffset.engine.Precision.BF16) return load(folder, unetFile).prepare(precision);
        return Module.loadingMatmulWeightsAs(org.bytedeco.pytorch.global.torch.ScalarType.BFloat16, () -> load(folder, unetFile)).prepare(precision);
    }

    public static ModelBundle load(Path folder, Path unetFile) {
        if (Files.isRegularFile(folder) && WeightFiles.isWeightsName(folder)) return loadSingleFile(folder, unetFile);
        if (!Files.isDirectory(folder)) {
            throw new WeightsException(folder + ": not a model folder; pass a diffusers-layout folder (unet/ vae/ ...) or a cdiffset checkpoint");
        }
        Path unetDir = folder.resolve("unet");
        Path vaeDir = folder.resolve("vae");
        if (!Files.isDirectory(vaeDir)) throw new WeightsException(folder + ": no vae/ folder; this is not a diffusers-layout model folder");
        UNet2DConditionModel unet = loadUNet(unetDir, unetFile);
        AutoencoderKL vae = loadVae(vaeDir);
        Tensor context = loadContext(folder);
        NoiseSchedule sched = loadSchedule(folder.resolve("scheduler"));
        long cross = unet.config().crossAttentionDim();
        if (context.size(2) != cross) {
            throw new WeightsException(folder + ": prompt embedding width " + context.size(2) + " does not match the UNet's cross_attention_dim " + cross);
        }
        return new ModelBundle(unet, vae, context, sched, folder);
    }

    /**
     * An original single-file SD 2.x checkpoint (LDM names; {@code .safetensors} or {@code .ckpt} / {@code .pth}): VAE
     * and text encoder come from it (configs: {@link SingleFile.Configs#beside}, SD 2.1-base for a real file), the
     * C-DiffSET UNet from {@code unetFile}. The prompt is encoded from its fixed token ids.
     */
    static ModelBundle loadSingleFile(Path file, Path unetFile) {
        if (unetFile == null) {
            throw new WeightsException(file + ": a single-file SD checkpoint holds a plain 4-in/4-out UNet; pass --unet with a C-DiffSET 8-in/5-out UNet file");
        }
        AutoencoderKL vae;
        ClipTextModel te;
        SingleFile.Configs configs = SingleFile.Configs.beside(file);
        try (SingleFile sf = SingleFile.open(file, configs)) { // its UNet (plain SD) is not read
            vae = sf.vae();
            te = sf.textEncoder();
        }
        vae.requiresGrad(false);
        long[] ids = new long[PROMPT_IDS.length];
        for (int i = 0; i < ids.length; i++) ids[i] = PROMPT_IDS[i];
        Tensor context;
        try (InferenceMode im = new InferenceMode()) {
            context = te.forward(Tensors.fromLongs(ids, 1, ids.length)).clone();
        }
        UNet2DConditionModel unet = loadUNet(configs.unet(), unetFile);
        return new ModelBundle(unet, vae, context, NoiseSchedule.fromConfig(Sd21Configs.scheduler().root()), file);
    }

    static UNet2DConditionModel loadUNet(Path unetDir, Path override) {
        Path weights = override != null ? override : weightsFile(unetDir, "diffusion_pytorch_model");
        return loadUNet(UNetConfig.from(ConfigJson.read(unetDir.resolve("config.json"))), weights);
    }

    /** {conv_in input channels, conv_out output channels} read from a UNet weights file's header. */
    static int[] unetChannels(Path weights) {
        try (WeightFile st = WeightFiles.open(weights)) {
            Map<String, WeightFile.Info> e = WeightKeys.unetEntries(st.tensors());
            WeightFile.Info ci = e.get("conv_in.weight"), co = e.get("conv_out.weight");
            if (ci == null || co == null) throw new WeightsException(weights + ": no conv_in.weight / conv_out.weight; this is not a diffusers UNet file");
            return new int[]{(int) ci.shape()[1], (int) co.shape()[0]};
        }
    }

    /** A trainable UNet from a diffusers unet/ folder with whatever channel layout its weights have (plain SD, stage 1, C-DiffSET). */
    public static UNet2DConditionModel loadAnyUNet(Path unetDir) {
        Path weights = weightsFile(unetDir, "diffusion_pytorch_model");
        int[] io = unetChannels(weights);
        return build(UNetConfig.from(ConfigJson.read(unetDir.resolve("config.json"))), io, weights);
    }

    private static UNet2DConditionModel build(UNetConfig cfg, int[] io, Path weights) {
        UNet2DConditionModel unet = Module.forLoading(() -> new UNet2DConditionModel(cfg.withChannels(io[0], io[1])));
        try (WeightFile f = WeightFiles.open(weights)) { // streamed: one tensor in memory at a time
            WeightKeys.load(unet, f, WeightKeys::unetName, weights.toString());
        }
        return unet;
    }

    static UNet2DConditionModel loadUNet(UNetConfig cfg, Path weights) {
        int[] io = unetChannels(weights);
        int in = io[0], out = io[1];
        if (in == 4 && out == 4) {
            throw new WeightsException(weights + ": this is a plain SD UNet (4-in/4-out), not a C-DiffSET one; pass --unet with a C-DiffSET 8-in/5-out UNet file");
        }
        UNet2DConditionModel unet = build(cfg, io, weights);
        if (!CDiffSetSurgery.isCDiffSet(unet.config()) && !(in == 8 && out == 4)) {
            throw new WeightsException(weights + ": UNet has " + in + " input and " + out + " output channels; C-DiffSET needs 8 in (SAR | noisy EO latent) and 5 out");
        }
        unet.requiresGrad(false);
        return unet;
    }

    /** The VAE folder of a path: a VAE folder itself, or a model / run / checkpoint holding vae/, best/vae/ or final/vae/. */
    public static Path resolveVaeDir(Path p) {
        if (Files.exists(p.resolve("config.json"))) return p;
        if (Files.exists(p.resolve("vae/config.json"))) return p.resolve("vae");
        if (Files.exists(p.resolve("best/vae/config.json"))) return p.resolve("best/vae");
        if (Files.exists(p.resolve("final/vae/config.json"))) return p.resolve("final/vae");
        throw new IllegalArgumentException(p + ": no VAE here (expected config.json, vae/, best/vae/ or final/vae/)");
    }

    /** A frozen VAE from a diffusers vae/ folder (config.json + weights, any variant name, legacy attention names). */
    public static AutoencoderKL loadVae(Path vaeDir) {
        VaeConfig cfg = VaeConfig.from(ConfigJson.read(vaeDir.resolve("config.json")));
        AutoencoderKL vae = Module.forLoading(() -> new AutoencoderKL(cfg));
        Path w = weightsFile(vaeDir, "diffusion_pytorch_model");
        try (WeightFile f = WeightFiles.open(w)) {
            WeightKeys.load(vae, f, WeightKeys::vaeName, w.toString());
        }
        vae.requiresGrad(false);
        return vae;
    }

    /** The fixed prompt context [1, L, D]: a stored embedding, or the text encoder run on the unpadded prompt. */
    public static Tensor loadContext(Path folder) {
        Path stored = folder.resolve(PROMPT_EMBEDDING);
        if (Files.exists(stored)) {
            try (SafeTensors st = SafeTensors.open(stored)) {
                if (!st.entries().containsKey("context")) throw new WeightsException(stored + ": no tensor named 'context'");
                Tensor c = st.loadFloat("context");
                return c.dim() == 2 ? c.unsqueeze(0) : c;
            }
        }
        Path te = folder.resolve("text_encoder");
        Path tok = folder.resolve("tokenizer");
        if (!Files.isDirectory(te) || !Files.isDirectory(tok)) {
            throw new WeightsException(folder + ": needs either " + PROMPT_EMBEDDING + " or text_encoder/ and tokenizer/ folders");
        }
        ClipTextModel model = ClipTextModel.load(te.resolve("config.json"), weightsFile(te, "model"));
        return encodePrompt(model, tok, PROMPT);
    }

    public static Tensor encodePrompt(ClipTextModel model, Path tokenizerDir, String prompt) {
        ClipTokenizer tk;
        try {
            tk = ClipTokenizer.fromFolder(tokenizerDir);
        } catch (IOException e) {
            throw new WeightsException(tokenizerDir + ": cannot read the tokenizer (" + e.getMessage() + ")");
        }
        int[] ids = tk.encode(prompt); // C-DiffSET: do_not_pad → [1, 6]
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        try (InferenceMode im = new InferenceMode()) {
            return model.forward(Tensors.fromLongs(l, 1, l.length)).clone();
        }
    }

    static NoiseSchedule loadSchedule(Path dir) {
        for (String name : List.of("scheduler_config.json", "config.json")) {
            Path f = dir.resolve(name);
            if (Files.exists(f)) {
                return NoiseSchedule.fromConfig(ConfigJson.read(f).root());
            }
        }
        return NoiseSchedule.sd21();
    }

    /**
     * Finds {@code base.safetensors} or an fp16 / other variant ({@code base.fp16.safetensors}); failing those, the
     * PyTorch file diffusers / transformers wrote before safetensors ({@code base.bin}, {@code pytorch_model.bin}).
     */
    public static Path weightsFile(Path dir, String base) {
        Path p = dir.resolve(base + ".safetensors");
        if (Files.exists(p)) return p;
        try (var s = Files.list(dir)) {
            List<Path> c = s.filter(f -> {
                String n = f.getFileName().toString();
                return n.startsWith(base + ".") && n.endsWith(".safetensors");
            }).sorted().toList();
            if (!c.isEmpty()) return c.get(0);
        } catch (IOException e) {
            throw new WeightsException(dir + ": cannot list folder (" + e.getMessage() + ")");
        }
        for (String pytorch : new String[]{base + ".bin", "pytorch_model.bin"}) {
            if (Files.isRegularFile(dir.resolve(pytorch))) return dir.resolve(pytorch);
        }
        throw new WeightsException(dir + ": no " + base + ".safetensors (or a variant such as " + base + ".fp16.safetensors, or " + base + ".bin)");
    }

    /**
     * Saves UNet + VAE + context in the same layout (weights in the given dtype), with SD 2.1's DDIM schedule and the
     * prediction type the UNet was trained for.
     */
    public static void save(Path folder, UNet2DConditionModel unet, AutoencoderKL vae, Tensor context,
                            org.bytedeco.pytorch.global.torch.ScalarType dtype, NoiseSchedule.Prediction prediction,
                            Map<String, String> provenance) {
        try {
            Files.createDirectories(folder.resolve("unet"));
            Files.createDirectories(folder.resolve("vae"));
            Files.createDirectories(folder.resolve("scheduler"));
        } catch (IOException e) {
            throw new WeightsException(folder + ": cannot create folder (" + e.getMessage() + ")");
        }
        io.cdiffset.io.AtomicFile.writeString(folder.resolve("unet/config.json"), unet.config().raw().root().toPrettyString());
        SafeTensors.write(folder.resolve("unet/diffusion_pytorch_model.safetensors"), unet.stateDict(dtype), Map.of("format", "pt"));
        if (vae != null) {
            io.cdiffset.io.AtomicFile.writeString(folder.resolve("vae/config.json"), vae.config().raw().root().toPrettyString());
            SafeTensors.write(folder.resolve("vae/diffusion_pytorch_model.safetensors"), vae.stateDict(dtype), Map.of("format", "pt"));
        }
        Map<String, Tensor> ctx = new LinkedHashMap<>();
        ctx.put("context", context.to(dtype));
        Map<String, String> meta = new LinkedHashMap<>(provenance);
        meta.put("prompt", PROMPT);
        SafeTensors.write(folder.resolve(PROMPT_EMBEDDING), ctx, meta);
        io.cdiffset.io.AtomicFile.writeString(folder.resolve("scheduler/scheduler_config.json"), schedulerConfig(prediction));
    }

    /** SD 2.1's DDIMScheduler config with the given prediction type. */
    public static String schedulerConfig(NoiseSchedule.Prediction prediction) {
        com.fasterxml.jackson.databind.node.ObjectNode c = ConfigJson.parse(SD21_SCHEDULER, "SD 2.1 DDIM scheduler").root().deepCopy();
        c.put("prediction_type", NoiseSchedule.predictionName(prediction));
        return c.toPrettyString();
    }

    private static final String SD21_SCHEDULER = """
            {
              "_class_name": "DDIMScheduler",
              "beta_end": 0.012,
              "beta_schedule": "scaled_linear",
              "beta_start": 0.00085,
              "clip_sample": false,
              "num_train_timesteps": 1000,
              "prediction_type": "epsilon",
              "set_alpha_to_one": false,
              "steps_offset": 1,
              "timestep_spacing": "leading"
            }
            """;
}
