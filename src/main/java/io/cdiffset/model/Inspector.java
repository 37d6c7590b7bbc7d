package io.cdiffset.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import io.cdiffset.io.WeightFile;
import io.cdiffset.io.WeightFiles;
import io.cdiffset.io.WeightsException;
import io.cdiffset.model.clip.ClipTextConfig;
import io.cdiffset.model.clip.ClipTextModel;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.model.vae.VaeConfig;
import io.cdiffset.nn.Module;
import org.bytedeco.pytorch.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Checks weights without loading them: reads only safetensors headers, builds the expected model on the meta device
 * ({@link Module#shapesOnly}) from the config, and lists missing / unexpected / wrong-shape tensors.
 *
 * <p>Accepts a diffusers pipeline folder ({@code model_index.json} + {@code unet/ vae/ text_encoder/ tokenizer/
 * scheduler/}), a single component folder ({@code config.json} + {@code diffusion_pytorch_model*.safetensors} or
 * {@code model*.safetensors}, incl. variants such as {@code .fp16.} and shards), a bare {@code .safetensors} file
 * (checked against the built-in SD 2.1-base config, UNet channel counts taken from the file) or an LDM single-file
 * checkpoint (split with {@link LdmKeys}).
 */
public final class Inspector {
    private Inspector() {}

    /** How many keys of each problem list the text report shows. */
    public static final int SHOW = 5;

    public enum Kind {
        UNET("SD UNet (4-in/4-out)"),
        CDIFFSET_UNET("C-DiffSET UNet (8-in/5-out)"),
        VAE("AutoencoderKL"),
        TEXT_ENCODER("CLIPTextModel"),
        TOKENIZER("CLIP tokenizer"),
        SCHEDULER("scheduler"),
        UNKNOWN("unknown");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One inspected component. Counts are -1 where they do not apply (tokenizer, scheduler, unreadable files).
     *
     * @param name           component name ({@code unet}, {@code vae}, {@code text_encoder}, …; {@code unet[fp16]} for a variant)
     * @param config         where the expected architecture came from (a config.json path or a built-in description)
     * @param summary        config highlights
     * @param dtypes         storage dtype → tensor count
     * @param parameters     elements of all floating-point tensors in the file(s)
     * @param inChannels     UNet only: conv_in input channels found in the weights (from the config if absent), else -1
     * @param wrongShape     entries "name [file shape] (expected [shape])"
     * @param error          a one-line reason the component cannot be used at all (unreadable file, bad config), or null
     */
    public record Component(String name, Kind kind, String className, String config, String summary, List<Path> files,
                            Map<String, Integer> dtypes, int tensors, long parameters, int expectedTensors,
                            long expectedParameters, int inChannels, int outChannels, List<String> missing,
                            List<String> unexpected, List<String> wrongShape, List<String> notes, String error) {
        /** Readable, and (where weights were checked) every expected tensor present with the right shape, nothing extra. */
        public boolean ok() {
            return error == null && missing.isEmpty() && unexpected.isEmpty() && wrongShape.isEmpty();
        }

        public boolean isCDiffSet() {
            return kind == Kind.CDIFFSET_UNET;
        }

        public boolean isPlainUNet() {
            return kind == Kind.UNET && inChannels == 4 && outChannels == 4;
        }

        /** e.g. "C-DiffSET UNet (8-in/5-out)", "SD UNet (9-in/4-out)", "AutoencoderKL". */
        public String description() {
            String d = kind == Kind.UNET && inChannels > 0 ? "SD UNet (" + inChannels + "-in/" + outChannels + "-out)" : kind.label();
            // weights not read: the kind and channels are the config's word, not the file's
            if (tensors < 0 && error != null && (kind == Kind.UNET || kind == Kind.CDIFFSET_UNET) && inChannels > 0) d += " per config.json";
            return d;
        }
    }

    /** The whole inspection: what {@code path} is and one entry per component (LDM files yield three). */
    public record Report(Path path, String layout, List<Component> components, List<String> notes) {
        public boolean ok() {
            return components.stream().allMatch(Component::ok) && !components.isEmpty();
        }

        /** The first component with that name ({@code unet}, {@code vae}, …), or null. */
        public Component component(String name) {
            for (Component c : components) if (c.name().equals(name)) return c;
            return null;
        }

        public String text() {
            return format(this);
        }
    }

    // ============================================================================================== entry points

    /** Human-readable report (a few lines per component). */
    public static String inspect(Path path) {
        return analyze(path).text();
    }

    /** Human-readable report for a weights file checked against an explicit config.json. */
    public static String inspect(Path weights, Path configJson) {
        return analyze(weights, configJson).text();
    }

    /** Structured inspection of a file or folder; never throws for bad weights (problems are in the report). */
    public static Report analyze(Path path) {
        List<String> notes = new ArrayList<>();
        if (!Files.exists(path)) {
            return new Report(path, "missing", List.of(failed(fileName(path), Kind.UNKNOWN, path + ": not found; check the path")), notes);
        }
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve("model_index.json"))) return pipeline(path);
            if (Files.isRegularFile(path.resolve("config.json"))) {
                String name = fileName(path);
                return new Report(path, "component folder", componentFolder(path, name, null), notes);
            }
            if (Files.isRegularFile(path.resolve("scheduler_config.json"))) {
                return new Report(path, "scheduler folder", List.of(scheduler(path, fileName(path))), notes);
            }
            if (Files.isRegularFile(path.resolve("vocab.json")) || Files.isRegularFile(path.resolve("tokenizer.json"))) {
                return new Report(path, "tokenizer folder", List.of(tokenizer(path, fileName(path))), notes);
            }
            if (Files.isDirectory(path.resolve("unet"))) {
                notes.add("no model_index.json; inspecting the unet/ vae/ text_encoder/ subfolders found");
                return pipelineWithoutIndex(path, notes);
            }
            return new Report(path, "folder", List.of(failed(fileName(path), Kind.UNKNOWN, path
                    + ": neither a diffusers pipeline folder (model_index.json) nor a component folder (config.json)")), notes);
        }
        Path beside = path.toAbsolutePath().getParent() == null ? null : path.toAbsolutePath().getParent().resolve("config.json");
        if (WEIGHTS.matcher(fileName(path)).matches() && beside != null && Files.isRegularFile(beside)) {
            // a component's weights file (diffusers / transformers name) in its folder: its own config says what it
            // should hold, not SD 2.1-base's; other files are checked bare even when a config.json lies beside them
            Report r = analyze(path, beside);
            List<String> n = new ArrayList<>(r.notes());
            n.add("checked against " + beside.getFileName() + " beside the file");
            return new Report(r.path(), r.layout(), r.components(), n);
        }
        return bareFile(path);
    }

    /** Structured inspection of a weights file against an explicit config.json (kind taken from the config). */
    public static Report analyze(Path weights, Path configJson) {
        ConfigJson cfg;
        try {
            cfg = ConfigJson.read(configJson);
        } catch (WeightsException e) {
            return new Report(weights, "file + config", List.of(failed(fileName(weights), Kind.UNKNOWN, e.getMessage())), List.of());
        }
        String name = componentName(kindFromConfig(cfg), fileName(weights));
        return new Report(weights, "file + config", List.of(checkWeights(name, List.of(weights), cfg, configJson.toString())), List.of());
    }

    // ============================================================================================== layouts

    private static Report pipeline(Path dir) {
        List<String> notes = new ArrayList<>();
        List<Component> comps = new ArrayList<>();
        ConfigJson index;
        try {
            index = ConfigJson.read(dir.resolve("model_index.json"));
        } catch (WeightsException e) {
            return new Report(dir, "pipeline folder", List.of(failed("model_index", Kind.UNKNOWN, e.getMessage())), notes);
        }
        String cls = index.getString("_class_name", "?");
        notes.add("model_index.json: " + cls + (index.has("_diffusers_version") ? " (diffusers " + index.getString("_diffusers_version", "") + ")" : ""));
        for (Iterator<Map.Entry<String, JsonNode>> it = index.root().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.startsWith("_") || !v.isArray() || v.size() < 2 || v.get(1).isNull()) continue;
            String className = v.get(1).asText();
            Path sub = dir.resolve(name);
            if (!Files.isDirectory(sub)) {
                comps.add(failed(name, Kind.UNKNOWN, sub + ": folder missing (model_index.json lists " + className + ")"));
                continue;
            }
            if (Files.isRegularFile(sub.resolve("config.json"))) {
                comps.addAll(componentFolder(sub, name, className));
            } else if (Files.isRegularFile(sub.resolve("scheduler_config.json"))) {
                comps.add(scheduler(sub, name));
            } else if (className.toLowerCase(Locale.ROOT).contains("tokenizer")) {
                comps.add(tokenizer(sub, name));
            } else {
                comps.add(failed(name, Kind.UNKNOWN, sub + ": no config.json"));
            }
        }
        for (String required : new String[]{"unet", "vae", "text_encoder"}) {
            if (comps.stream().noneMatch(c -> c.name().startsWith(required))) notes.add("model_index.json lists no " + required);
        }
        return new Report(dir, "diffusers pipeline folder", comps, notes);
    }

    private static Report pipelineWithoutIndex(Path dir, List<String> notes) {
        List<Component> comps = new ArrayList<>();
        for (String name : new String[]{"unet", "vae", "text_encoder", "tokenizer", "scheduler"}) {
            Path sub = dir.resolve(name);
            if (!Files.isDirectory(sub)) continue;
            if (name.equals("tokenizer")) comps.add(tokenizer(sub, name));
            else if (name.equals("scheduler")) comps.add(scheduler(sub, name));
            else if (Files.isRegularFile(sub.resolve("config.json"))) comps.addAll(componentFolder(sub, name, null));
            else comps.add(failed(name, Kind.UNKNOWN, sub + ": no config.json"));
        }
        return new Report(dir, "pipeline folder without model_index.json", comps, notes);
    }

    private static final Pattern WEIGHTS = Pattern.compile(
            "(diffusion_pytorch_model|model)(?:\\.([A-Za-z0-9_]+))?(-\\d+-of-\\d+)?(?:\\.([A-Za-z0-9_]+))?\\.safetensors");

    /** A component folder: one Component per weights variant (plain, fp16, …). */
    private static List<Component> componentFolder(Path dir, String name, String indexClass) {
        Path cfgPath = dir.resolve("config.json");
        ConfigJson cfg;
        try {
            cfg = ConfigJson.read(cfgPath);
        } catch (WeightsException e) {
            return List.of(failed(name, Kind.UNKNOWN, e.getMessage()));
        }
        Map<String, List<Path>> variants = new TreeMap<>();
        List<String> others = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().collect(Collectors.toList())) {
                String fn = p.getFileName().toString();
                Matcher m = WEIGHTS.matcher(fn);
                if (m.matches()) {
                    String variant = m.group(2) != null ? m.group(2) : m.group(4) != null ? m.group(4) : "";
                    variants.computeIfAbsent(variant, k -> new ArrayList<>()).add(p);
                } else if (fn.endsWith(".bin") || fn.endsWith(".ckpt") || fn.endsWith(".pt") || fn.endsWith(".pth")) {
                    others.add(fn);
                }
            }
        } catch (IOException e) {
            return List.of(failed(name, Kind.UNKNOWN, dir + ": cannot list folder (" + e.getMessage() + ")"));
        }
        if (variants.isEmpty() && !others.isEmpty()) {
            // the PyTorch files the loaders fall back to (ModelBundle.weightsFile)
            for (String pt : new String[]{"diffusion_pytorch_model.bin", "model.bin", "pytorch_model.bin"}) {
                if (others.contains(pt)) {
                    variants.put("", List.of(dir.resolve(pt)));
                    break;
                }
            }
        }
        if (variants.isEmpty()) {
            String found = listSafetensors(dir);
            String why = others.isEmpty() ? "no diffusion_pytorch_model*.safetensors / model*.safetensors weights"
                    + (found.isEmpty() ? "" : " (found " + found + ")")
                    : "only pickle weights (" + String.join(", ", others) + "); not a name the loaders look for (diffusion_pytorch_model.bin, pytorch_model.bin)";
            Component c = checkWeights(name, List.of(), cfg, cfgPath.toString());
            return List.of(withError(c, dir + ": " + why));
        }
        List<Component> out = new ArrayList<>();
        for (Map.Entry<String, List<Path>> v : variants.entrySet()) {
            String n = v.getKey().isEmpty() ? name : name + "[" + v.getKey() + "]";
            Component c = checkWeights(n, v.getValue(), cfg, cfgPath.toString());
            if (indexClass != null && c.className() != null && !indexClass.equals(c.className())) {
                c.notes().add("model_index.json says " + indexClass + " but config.json says " + c.className());
            }
            out.add(c);
        }
        return out;
    }

    private static Component tokenizer(Path dir, String name) {
        List<String> notes = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String f : new String[]{"vocab.json", "merges.txt"}) if (!Files.isRegularFile(dir.resolve(f))) missing.add(f);
        String summary = "files: " + listNames(dir);
        String error = missing.isEmpty() ? null : dir + ": missing " + String.join(", ", missing) + " (needed by the CLIP BPE tokenizer)";
        return new Component(name, Kind.TOKENIZER, "CLIPTokenizer", dir.toString(), summary, List.of(), Map.of(), -1, -1, -1, -1,
                -1, -1, missing, List.of(), List.of(), notes, error);
    }

    private static Component scheduler(Path dir, String name) {
        Path p = dir.resolve("scheduler_config.json");
        List<String> notes = new ArrayList<>();
        try {
            ConfigJson c = ConfigJson.read(p);
            String pred = c.getString("prediction_type", "epsilon");
            String summary = c.getString("_class_name", "?") + ", " + c.getInt("num_train_timesteps", 1000) + " steps, "
                    + c.getString("beta_schedule", "linear") + " " + c.getDouble("beta_start", 0.0001) + "→"
                    + c.getDouble("beta_end", 0.02) + ", prediction " + pred;
            if (!pred.equals("epsilon")) notes.add("prediction_type " + pred + ": C-DiffSET is trained with epsilon prediction (SD 2.1-base)");
            return new Component(name, Kind.SCHEDULER, c.getString("_class_name", null), p.toString(), summary, List.of(), Map.of(),
                    -1, -1, -1, -1, -1, -1, List.of(), List.of(), List.of(), notes, null);
        } catch (WeightsException e) {
            return failed(name, Kind.SCHEDULER, e.getMessage());
        }
    }

    /** A bare .safetensors file: detect what it is from its keys and check it against the built-in SD 2.1-base configs. */
    private static Report bareFile(Path file) {
        String fn = fileName(file);
        if (!WeightFiles.isWeightsName(file)) {
            return new Report(file, "file", List.of(failed(fn, Kind.UNKNOWN, file + ": not a weights file (" + String.join(" ", WeightFiles.EXTENSIONS) + ")")), List.of());
        }
        Header h;
        try {
            h = readHeaders(List.of(file));
        } catch (WeightsException e) {
            return new Report(file, "file", List.of(failed(fn, Kind.UNKNOWN, e.getMessage())), List.of());
        }
        LdmKeys.Format format = LdmKeys.detect(h.shapes);
        List<String> notes = new ArrayList<>();
        switch (format) {
            case LDM_SINGLE_FILE:
                return ldmFile(file, h);
            case DIFFUSERS_UNET:
            case CDIFFSET_UNET: {
                int[] io = LdmKeys.unetChannels(h.shapes);
                UNetConfig base = Sd21Configs.unet();
                String src = "builtin sd21-base/" + Sd21Configs.UNET;
                if (io != null && (io[0] != base.inChannels() || io[1] != base.outChannels())) {
                    base = base.withChannels(io[0], io[1]);
                    src += " with in/out channels " + io[0] + "/" + io[1] + " from the file";
                }
                return new Report(file, "file (" + format.label() + ")", List.of(check("unet", List.of(file), h, Kind.UNET, base.raw(), src)), notes);
            }
            case DIFFUSERS_VAE:
                return new Report(file, "file (" + format.label() + ")", List.of(check("vae", List.of(file), h, Kind.VAE,
                        Sd21Configs.json(Sd21Configs.VAE), "builtin sd21-base/" + Sd21Configs.VAE)), notes);
            case TEXT_ENCODER:
            case TEXT_ENCODER_NO_PREFIX:
                return new Report(file, "file (" + format.label() + ")", List.of(check("text_encoder", List.of(file), h, Kind.TEXT_ENCODER,
                        Sd21Configs.json(Sd21Configs.TEXT_ENCODER), "builtin sd21-base/" + Sd21Configs.TEXT_ENCODER)), notes);
            default: {
                List<String> first = h.shapes.keySet().stream().limit(SHOW).collect(Collectors.toList());
                Component c = new Component(fn, Kind.UNKNOWN, null, null, null, List.of(file), h.dtypeCounts(), h.shapes.size(),
                        h.floatParams(), -1, -1, -1, -1, List.of(), List.of(), List.of(), new ArrayList<>(List.of("first keys: " + first)),
                        file + ": key layout not recognised (not a diffusers UNet / VAE, transformers CLIP text encoder or LDM single file)");
                return new Report(file, "file", List.of(c), notes);
            }
        }
    }

    private static Report ldmFile(Path file, Header h) {
        List<String> notes = new ArrayList<>();
        ClipTextConfig textCfg = Sd21Configs.textEncoder();
        LdmKeys.Split<LdmKeys.Mapping> split = LdmKeys.mapNames(h.shapes.keySet(), textCfg);
        notes.add(split.ignored().size() + " keys ignored (scheduler buffers, EMA copies, unused text layer "
                + textCfg.layers() + ", text_projection, logit_scale, …)");
        long xdim = LdmKeys.ldmCrossAttentionDim(h.shapes);
        if (xdim > 0 && xdim != 1024) notes.add("UNet cross-attention width " + xdim + ": not an SD 2.x checkpoint (SD 2.x has 1024)");
        List<Component> comps = new ArrayList<>();
        for (LdmKeys.Target t : LdmKeys.Target.values()) {
            Header sub = new Header();
            for (LdmKeys.Mapping m : split.get(t).values()) {
                sub.shapes.put(m.name(), m.shape(h.shapes.get(m.source())));
                sub.dtypes.put(m.name(), h.dtypes.get(m.source()));
            }
            List<String> unmapped = new ArrayList<>();
            String prefix = switch (t) {
                case UNET -> LdmKeys.UNET_PREFIX;
                case VAE -> LdmKeys.VAE_PREFIX;
                case TEXT_ENCODER -> LdmKeys.TEXT_PREFIX;
            };
            for (String u : split.unmapped()) if (u.startsWith(prefix)) unmapped.add(u);
            Component c;
            switch (t) {
                case UNET -> {
                    if (sub.shapes.isEmpty()) continue;
                    int[] io = LdmKeys.unetChannels(sub.shapes);
                    UNetConfig cfg = io == null ? Sd21Configs.unet() : Sd21Configs.unet(io[0], io[1]);
                    c = check("unet", List.of(file), sub, Kind.UNET, cfg.raw(), "builtin sd21-base/" + Sd21Configs.UNET
                            + (io == null ? "" : " with in/out channels " + io[0] + "/" + io[1] + " from the file"));
                }
                case VAE -> {
                    if (sub.shapes.isEmpty()) continue;
                    c = check("vae", List.of(file), sub, Kind.VAE, Sd21Configs.json(Sd21Configs.VAE), "builtin sd21-base/" + Sd21Configs.VAE);
                }
                default -> {
                    if (sub.shapes.isEmpty()) continue;
                    c = check("text_encoder", List.of(file), sub, Kind.TEXT_ENCODER, textCfg.raw(), "builtin sd21-base/" + Sd21Configs.TEXT_ENCODER);
                }
            }
            if (!unmapped.isEmpty()) {
                c.unexpected().addAll(0, unmapped);
                c.notes().add(unmapped.size() + " LDM keys have no diffusers equivalent (listed as unexpected)");
            }
            c.notes().add("converted from LDM names (" + prefix + "*)");
            comps.add(c);
        }
        if (comps.isEmpty()) comps.add(failed(fileName(file), Kind.UNKNOWN, file + ": LDM prefixes found but no convertible tensors"));
        return new Report(file, "LDM single-file checkpoint", comps, notes);
    }

    // ============================================================================================== checking

    /** Header contents (merged over shards): name → shape and name → dtype, in file order. */
    private static final class Header {
        final Map<String, long[]> shapes = new LinkedHashMap<>();
        final Map<String, String> dtypes = new LinkedHashMap<>();
        final List<String> duplicates = new ArrayList<>();

        Map<String, Integer> dtypeCounts() {
            Map<String, Integer> out = new TreeMap<>();
            for (String d : dtypes.values()) out.merge(d, 1, Integer::sum);
            return out;
        }

        long floatParams() {
            long n = 0;
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                String d = dtypes.get(e.getKey());
                if (d != null && (d.startsWith("F") || d.startsWith("BF"))) n += numel(e.getValue());
            }
            return n;
        }
    }

    private static Header readHeaders(List<Path> files) {
        Header h = new Header();
        for (Path f : files) {
            try (WeightFile st = WeightFiles.open(f)) {
                for (Map.Entry<String, WeightFile.Info> e : st.tensors().entrySet()) {
                    if (h.shapes.containsKey(e.getKey())) h.duplicates.add(e.getKey());
                    h.shapes.put(e.getKey(), e.getValue().shape());
                    h.dtypes.put(e.getKey(), e.getValue().dtype());
                }
            }
        }
        return h;
    }

    private static Kind kindFromConfig(ConfigJson c) {
        String cls = c.getString("_class_name", "");
        if (cls.equals("UNet2DConditionModel")) return Kind.UNET;
        if (cls.equals("AutoencoderKL")) return Kind.VAE;
        String[] arch = c.stringArray("architectures", new String[0]);
        if (Arrays.asList(arch).contains("CLIPTextModel") || (cls.isEmpty() && c.getString("model_type", "").equals("clip_text_model"))) {
            return Kind.TEXT_ENCODER;
        }
        return Kind.UNKNOWN;
    }

    private static String className(ConfigJson c) {
        if (c.has("_class_name")) return c.getString("_class_name", null);
        String[] arch = c.stringArray("architectures", new String[0]);
        return arch.length > 0 ? arch[0] : null;
    }

    private static String componentName(Kind k, String fallback) {
        return switch (k) {
            case UNET, CDIFFSET_UNET -> "unet";
            case VAE -> "vae";
            case TEXT_ENCODER -> "text_encoder";
            default -> fallback;
        };
    }

    /** Reads the headers of {@code files} and checks them against the model {@code cfg} describes. */
    private static Component checkWeights(String name, List<Path> files, ConfigJson cfg, String cfgSource) {
        Kind kind = kindFromConfig(cfg);
        Header h;
        try {
            h = readHeaders(files);
        } catch (WeightsException e) {
            // say what the config describes (a C-DiffSET 8-in/5-out UNet is not an "SD UNet (4-in/4-out)")
            int in = -1, out = -1;
            if (kind == Kind.UNET) {
                in = cfg.getInt("in_channels", 4);
                out = cfg.getInt("out_channels", 4);
                if (in == 8 && out == 5) kind = Kind.CDIFFSET_UNET;
            }
            return new Component(name, kind, className(cfg), cfgSource, null, files, Map.of(), -1, -1, -1, -1, in, out,
                    List.of(), List.of(), List.of(), new ArrayList<>(), "weights unreadable: " + e.getMessage());
        }
        return check(name, files, h, kind, cfg, cfgSource);
    }

    private static Component check(String name, List<Path> files, Header h, Kind kind, ConfigJson cfg, String cfgSource) {
        List<String> notes = new ArrayList<>();
        for (String d : h.duplicates) notes.add("tensor " + d + " appears in more than one shard");
        Map<String, long[]> actual = normalise(kind, h.shapes, notes);
        String summary = null;
        Map<String, long[]> expected = null;
        int in = -1, out = -1;
        String error = null;
        try {
            switch (kind) {
                case UNET, CDIFFSET_UNET -> {
                    UNetConfig c = UNetConfig.from(cfg);
                    summary = unetSummary(c);
                    expected = shapes(Module.shapesOnly(() -> new UNet2DConditionModel(c)));
                    int[] io = LdmKeys.unetChannels(actual);
                    in = io != null ? io[0] : c.inChannels();
                    out = io != null ? io[1] : c.outChannels();
                    kind = in == 8 && out == 5 ? Kind.CDIFFSET_UNET : Kind.UNET;
                    if (io != null && (io[0] != c.inChannels() || io[1] != c.outChannels())) {
                        notes.add("config says " + c.inChannels() + "-in/" + c.outChannels() + "-out but the weights are "
                                + io[0] + "-in/" + io[1] + "-out");
                    }
                    if (kind == Kind.UNET && !(in == 4 && out == 4)) notes.add("neither a plain 4-in/4-out SD UNet nor a C-DiffSET 8-in/5-out one");
                }
                case VAE -> {
                    VaeConfig c = VaeConfig.from(cfg);
                    summary = "in " + c.inChannels() + ", out " + c.outChannels() + ", latent " + c.latentChannels()
                            + ", block_out_channels " + Arrays.toString(c.blockOutChannels()) + ", layers_per_block "
                            + c.layersPerBlock() + ", scaling_factor " + c.scalingFactor();
                    expected = shapes(Module.shapesOnly(() -> new AutoencoderKL(c)));
                }
                case TEXT_ENCODER -> {
                    ClipTextConfig c = ClipTextConfig.from(cfg);
                    summary = "hidden " + c.hiddenSize() + ", layers " + c.layers() + ", heads " + c.heads() + ", intermediate "
                            + c.intermediateSize() + ", act " + c.hiddenAct() + ", vocab " + c.vocabSize() + ", positions " + c.maxPositions();
                    expected = shapes(Module.shapesOnly(() -> new ClipTextModel(c)));
                }
                default -> error = cfg.source() + ": model class " + (className(cfg) == null ? "(none)" : className(cfg))
                        + " is not one cdiffset can build (UNet2DConditionModel, AutoencoderKL, CLIPTextModel)";
            }
        } catch (WeightsException e) {
            error = e.getMessage();
        }
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), wrong = new ArrayList<>();
        int expTensors = -1;
        long expParams = -1;
        if (expected != null) {
            expTensors = expected.size();
            expParams = 0;
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                expParams += numel(e.getValue());
                long[] a = actual.get(e.getKey());
                if (a == null) missing.add(e.getKey());
                else if (!Arrays.equals(a, e.getValue())) {
                    wrong.add(e.getKey() + " " + Tensors.shapeString(a) + " (expected " + Tensors.shapeString(e.getValue()) + ")");
                }
            }
            TreeSet<String> extra = new TreeSet<>(actual.keySet());
            extra.removeAll(expected.keySet());
            unexpected.addAll(extra);
        }
        for (Map.Entry<String, String> d : h.dtypes.entrySet()) {
            String t = d.getValue();
            if (!(t.equals("F32") || t.equals("F16") || t.equals("BF16")) && actual.containsKey(d.getKey()) && expected != null
                    && expected.containsKey(d.getKey())) {
                notes.add("tensor " + d.getKey() + " is stored as " + t + " (a float type is needed)");
            }
        }
        if (expected != null && cfgSource.startsWith("builtin") && wrong.size() + missing.size() > expected.size() / 2) {
            notes.add("most tensors differ from SD 2.1-base: a different architecture; check the file against its own config.json");
        }
        return new Component(name, kind, className(cfg), cfgSource, summary, files, h.dtypeCounts(), h.shapes.size(),
                h.floatParams(), expTensors, expParams, in, out, missing, unexpected, wrong, notes, error);
    }

    /** The key normalisation the loaders apply (see {@link WeightKeys}), on names only; explains what it did. */
    private static Map<String, long[]> normalise(Kind kind, Map<String, long[]> in, List<String> notes) {
        Map<String, long[]> out = new LinkedHashMap<>();
        int changed = 0;
        for (Map.Entry<String, long[]> e : in.entrySet()) {
            String k = e.getKey();
            String n = k;
            switch (kind) {
                case UNET, CDIFFSET_UNET -> {
                    if (n.startsWith("module.")) n = n.substring(7);
                    if (n.startsWith("unet.")) n = n.substring(5);
                }
                case VAE -> {
                    if (n.contains("mid_block.attentions.0.")) {
                        n = n.replace(".attentions.0.query.", ".attentions.0.to_q.")
                                .replace(".attentions.0.key.", ".attentions.0.to_k.")
                                .replace(".attentions.0.value.", ".attentions.0.to_v.")
                                .replace(".attentions.0.proj_attn.", ".attentions.0.to_out.0.");
                    }
                }
                case TEXT_ENCODER -> {
                    if (n.endsWith("position_ids")) {
                        notes.add("buffer " + k + " ignored");
                        continue;
                    }
                    if (!n.startsWith("text_model.")) n = "text_model." + n;
                }
                default -> { }
            }
            if (!n.equals(k)) changed++;
            out.put(n, e.getValue());
        }
        if (changed > 0) {
            notes.add(changed + " keys renamed on load: " + switch (kind) {
                case UNET, CDIFFSET_UNET -> "training-wrapper prefixes module./unet. stripped";
                case VAE -> "legacy (≤ 2022) VAE attention names query/key/value/proj_attn";
                case TEXT_ENCODER -> "no text_model. prefix (transformers ≥ 5 layout)";
                default -> "";
            });
        }
        return out;
    }

    /** Parameter names → shapes of a module (works on {@link Module#shapesOnly} models). */
    public static Map<String, long[]> shapes(Module m) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) out.put(e.getKey(), Tensors.shape(e.getValue()));
        return out;
    }

    private static String unetSummary(UNetConfig c) {
        return "in " + c.inChannels() + ", out " + c.outChannels() + ", block_out_channels " + Arrays.toString(c.blockOutChannels())
                + ", heads " + Arrays.toString(c.headsPerLevel()) + ", cross_attention_dim " + c.crossAttentionDim()
                + ", layers_per_block " + c.layersPerBlock() + (c.useLinearProjection() ? ", linear proj" : ", conv proj");
    }

    // ============================================================================================== formatting

    private static String format(Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append(r.path()).append(": ").append(r.layout()).append('\n');
        for (String n : r.notes()) sb.append("  note: ").append(n).append('\n');
        for (Component c : r.components()) {
            sb.append('[').append(c.name()).append("] ").append(c.description());
            if (c.className() != null && !c.description().equals(c.className()) && c.kind() != Kind.TOKENIZER) {
                sb.append(" — ").append(c.className());
            }
            sb.append('\n');
            if (!c.files().isEmpty()) {
                sb.append("  files:   ").append(c.files().stream().map(Inspector::fileName).collect(Collectors.joining(", ")));
                sb.append('\n');
            }
            if (c.config() != null && c.kind() != Kind.TOKENIZER) sb.append("  config:  ").append(c.config()).append('\n');
            if (c.summary() != null) sb.append("           ").append(c.summary()).append('\n');
            if (c.tensors() >= 0) {
                sb.append("  weights: ").append(c.tensors()).append(" tensors, ").append(String.format(Locale.ROOT, "%,d", c.parameters()))
                        .append(" params, ").append(dtypeText(c.dtypes()));
                if (c.expectedTensors() >= 0) {
                    sb.append(" (model expects ").append(c.expectedTensors()).append(" tensors, ")
                            .append(String.format(Locale.ROOT, "%,d", c.expectedParameters())).append(" params)");
                }
                sb.append('\n');
            }
            problems(sb, "missing", c.missing(), SHOW);
            problems(sb, "unexpected", c.unexpected(), SHOW);
            problems(sb, "wrong shape", c.wrongShape(), 3);
            for (String n : c.notes()) sb.append("  note:    ").append(n).append('\n');
            if (c.error() != null) sb.append("  error:   ").append(c.error()).append('\n');
            else if (c.ok() && c.expectedTensors() >= 0) sb.append("  check:   OK (all names and shapes match)\n");
            else if (c.ok()) sb.append("  check:   OK\n");
        }
        return sb.toString();
    }

    private static void problems(StringBuilder sb, String label, List<String> keys, int show) {
        if (keys.isEmpty()) return;
        sb.append("  ").append(label).append(" (").append(keys.size()).append("): ");
        sb.append(String.join(", ", keys.subList(0, Math.min(show, keys.size()))));
        if (keys.size() > show) sb.append(", … (").append(keys.size() - show).append(" more)");
        sb.append('\n');
    }

    private static String dtypeText(Map<String, Integer> dtypes) {
        if (dtypes.isEmpty()) return "no tensors";
        if (dtypes.size() == 1) return dtypes.keySet().iterator().next();
        return dtypes.entrySet().stream().map(e -> e.getKey() + "×" + e.getValue()).collect(Collectors.joining(" + "));
    }

    // ============================================================================================== helpers

    private static Component failed(String name, Kind kind, String error) {
        return new Component(name, kind, null, null, null, List.of(), Map.of(), -1, -1, -1, -1, -1, -1, List.of(), List.of(),
                List.of(), new ArrayList<>(), error);
    }

    private static Component withError(Component c, String error) {
        return new Component(c.name(), c.kind(), c.className(), c.config(), c.summary(), c.files(), c.dtypes(), -1, -1,
                c.expectedTensors(), c.expectedParameters(), c.inChannels(), c.outChannels(), List.of(), List.of(), List.of(),
                c.notes(), error);
    }

    private static String listNames(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(Inspector::fileName).sorted().collect(Collectors.joining(", "));
        } catch (IOException e) {
            return "(cannot list: " + e.getMessage() + ")";
        }
    }

    private static String listSafetensors(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(Inspector::fileName).filter(n -> n.endsWith(".safetensors")).sorted().collect(Collectors.joining(", "));
        } catch (IOException e) {
            return "";
        }
    }

    private static String fileName(Path p) {
        Path f = p.getFileName();
        return f == null ? p.toString() : f.toString();
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }
}
