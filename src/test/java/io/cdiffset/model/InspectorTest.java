package io.cdiffset.model;

import io.cdiffset.engine.Tensors;
import io.cdiffset.io.SafeTensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InspectorTest {
    static final Path FIX = Path.of("src/test/resources/fixtures");
    static final Path UNET = FIX.resolve("unet");

    @Test
    void cdiffsetUNetWithItsConfig() {
        Inspector.Report r = Inspector.analyze(UNET.resolve("weights.safetensors"), UNET.resolve("config.json"));
        Inspector.Component c = r.component("unet");
        assertNotNull(c, r.text());
        assertEquals(Inspector.Kind.CDIFFSET_UNET, c.kind(), r.text());
        assertTrue(c.isCDiffSet());
        assertTrue(c.ok(), r.text());
        assertEquals(684, c.tensors());
        assertEquals(1_707_141L, c.parameters());
        assertEquals(684, c.expectedTensors());
        assertEquals(1_707_141L, c.expectedParameters());
        assertEquals(8, c.inChannels());
        assertEquals(5, c.outChannels());
        assertEquals(Map.of("F32", 684), c.dtypes());
        String text = r.text();
        assertTrue(text.contains("C-DiffSET UNet (8-in/5-out)"), text);
        assertTrue(text.contains("block_out_channels [32, 32, 32, 64]"), text);
        assertTrue(text.contains("cross_attention_dim 64"), text);
        assertTrue(text.contains("OK"), text);
    }

    @Test
    void plainF16UNet() {
        Inspector.Report r = Inspector.analyze(UNET.resolve("weights_base_4in4out.safetensors"), UNET.resolve("config_base_4in4out.json"));
        Inspector.Component c = r.component("unet");
        assertEquals(Inspector.Kind.UNET, c.kind(), r.text());
        assertTrue(c.isPlainUNet());
        assertFalse(c.isCDiffSet());
        assertTrue(c.ok(), r.text());
        assertEquals(Map.of("F16", 684), c.dtypes());
        assertEquals(1_705_700L, c.parameters());
        assertTrue(r.text().contains("F16"), r.text());

        // the same file bare: a plain UNet, checked against SD 2.1-base (so every shape differs from the tiny fixture)
        Inspector.Report bare = Inspector.analyze(UNET.resolve("weights_base_4in4out.safetensors"));
        Inspector.Component b = bare.components().get(0);
        assertEquals(Inspector.Kind.UNET, b.kind(), bare.text());
        assertTrue(b.isPlainUNet());
        assertTrue(b.config().startsWith("builtin sd21-base/unet/config.json"), b.config());
        assertEquals(686, b.expectedTensors());
        assertEquals(865_910_724L, b.expectedParameters());
        assertFalse(b.ok());
        assertFalse(b.wrongShape().isEmpty());

        // and the C-DiffSET file bare: the built-in config gets 8/5 channels from the file
        Inspector.Component cb = Inspector.analyze(UNET.resolve("weights.safetensors")).components().get(0);
        assertEquals(Inspector.Kind.CDIFFSET_UNET, cb.kind());
        assertEquals(865_925_125L, cb.expectedParameters());
    }

    @Test
    void damagedFileListsMissingUnexpectedAndWrongShape(@TempDir Path tmp) throws IOException {
        Map<String, Tensor> state = new LinkedHashMap<>(SafeTensors.read(UNET.resolve("weights.safetensors")));
        state.remove("mid_block.attentions.0.proj_out.weight");
        state.remove("time_embedding.linear_1.bias");
        state.put("extra.weight", Tensors.fromFloats(new float[]{1, 2}, 2));
        state.put("conv_out.bias", Tensors.fromFloats(new float[]{0, 0, 0, 0}, 4));
        Path f = tmp.resolve("damaged.safetensors");
        TestWeights.write(f, state);   // SafeTensors.write mislabels dtypes, see TestWeights

        Inspector.Report r = Inspector.analyze(f, UNET.resolve("config.json"));
        Inspector.Component c = r.component("unet");
        assertFalse(c.ok());
        assertEquals(List.of("mid_block.attentions.0.proj_out.weight", "time_embedding.linear_1.bias").stream().sorted().toList(),
                c.missing().stream().sorted().toList());
        assertEquals(List.of("extra.weight"), c.unexpected());
        assertEquals(List.of("conv_out.bias [4] (expected [5])"), c.wrongShape());
        String text = r.text();
        assertTrue(text.contains("missing (2): "), text);
        assertTrue(text.contains("unexpected (1): extra.weight"), text);
        assertTrue(text.contains("wrong shape (1): conv_out.bias [4] (expected [5])"), text);
        assertFalse(r.ok());
    }

    @Test
    void truncatedFileGivesOneLineError(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("truncated.safetensors");
        Files.copy(UNET.resolve("weights.safetensors"), f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
        for (Inspector.Report r : List.of(Inspector.analyze(f), Inspector.analyze(f, UNET.resolve("config.json")))) {
            assertFalse(r.ok());
            assertEquals(1, r.components().size());
            String err = r.components().get(0).error();
            assertNotNull(err, r.text());
            assertTrue(err.contains(f.toString()), err);
            assertTrue(err.contains("truncated"), err);
            assertFalse(err.contains("\n"), err);
            assertTrue(r.text().contains(err), r.text());
        }
        Path junk = tmp.resolve("tiny.safetensors");
        Files.write(junk, new byte[]{1, 2, 3});
        String err = Inspector.analyze(junk).components().get(0).error();
        assertTrue(err.startsWith(junk.toString()), err);
    }

    /** Issue #13: unreadable weights beside an 8-in/5-out config.json were labelled "SD UNet (4-in/4-out)". */
    @Test
    void unreadableWeightsAreDescribedByTheirConfig(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("unet"));
        copy(UNET.resolve("config.json"), dir.resolve("config.json"));
        Path w = dir.resolve("diffusion_pytorch_model.safetensors");
        Files.copy(UNET.resolve("weights.safetensors"), w);
        try (RandomAccessFile raf = new RandomAccessFile(w.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
        for (Inspector.Report r : List.of(Inspector.analyze(dir), Inspector.analyze(w, dir.resolve("config.json")))) {
            Inspector.Component c = r.components().get(0);
            System.out.println(r.text());
            assertEquals("C-DiffSET UNet (8-in/5-out) per config.json", c.description(), r.text());
            assertTrue(c.error().startsWith("weights unreadable: ") && c.error().contains("truncated"), c.error());
            assertTrue(r.text().contains("C-DiffSET UNet (8-in/5-out) per config.json"), r.text());
            assertFalse(r.text().contains("4-in/4-out"), r.text());
        }
    }

    @Test
    void pipelineFolderWithVariantsAndLegacyNames(@TempDir Path tmp) throws IOException {
        Path p = tmp.resolve("pipe");
        Files.createDirectories(p);
        Files.writeString(p.resolve("model_index.json"), """
                {"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.10.0.dev0",
                 "feature_extractor": [null, null], "safety_checker": [null, null],
                 "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
                 "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
                 "vae": ["diffusers", "AutoencoderKL"]}""");
        copy(UNET.resolve("config.json"), p.resolve("unet/config.json"));
        copy(UNET.resolve("weights.safetensors"), p.resolve("unet/diffusion_pytorch_model.safetensors"));
        copy(FIX.resolve("vae/config.json"), p.resolve("vae/config.json"));
        copy(FIX.resolve("vae/weights_legacy_names.safetensors"), p.resolve("vae/diffusion_pytorch_model.fp16.safetensors"));
        copy(FIX.resolve("text_encoder/config.json"), p.resolve("text_encoder/config.json"));
        copy(FIX.resolve("text_encoder/weights.safetensors"), p.resolve("text_encoder/model.fp16.safetensors"));
        copy(FIX.resolve("tokenizer/vocab.json"), p.resolve("tokenizer/vocab.json"));
        copy(FIX.resolve("tokenizer/merges.txt"), p.resolve("tokenizer/merges.txt"));
        Files.createDirectories(p.resolve("scheduler"));
        Files.writeString(p.resolve("scheduler/scheduler_config.json"), Sd21Configs.text(Sd21Configs.SCHEDULER));

        Inspector.Report r = Inspector.analyze(p);
        String text = r.text();
        assertEquals("diffusers pipeline folder", r.layout());
        assertTrue(r.ok(), text);
        assertEquals(Inspector.Kind.CDIFFSET_UNET, r.component("unet").kind());
        Inspector.Component vae = r.component("vae[fp16]");
        assertNotNull(vae, text);
        assertEquals(Inspector.Kind.VAE, vae.kind());
        assertTrue(vae.notes().stream().anyMatch(n -> n.contains("legacy")), text);
        Inspector.Component te = r.component("text_encoder[fp16]");
        assertEquals(Inspector.Kind.TEXT_ENCODER, te.kind());
        assertEquals(Map.of("F16", 36), te.dtypes());
        assertEquals(Inspector.Kind.TOKENIZER, r.component("tokenizer").kind());
        assertEquals(Inspector.Kind.SCHEDULER, r.component("scheduler").kind());
        assertTrue(text.contains("PNDMScheduler"), text);

        // a single component folder
        Inspector.Report unet = Inspector.analyze(p.resolve("unet"));
        assertEquals("component folder", unet.layout());
        assertTrue(unet.ok(), unet.text());

        // damage the pipeline: text encoder weights without the prefix are fine, a missing vae folder is not
        Map<String, Tensor> te2 = new LinkedHashMap<>();
        SafeTensors.read(FIX.resolve("text_encoder/weights.safetensors")).forEach((k, v) -> te2.put(k.substring("text_model.".length()), v));
        Files.delete(p.resolve("text_encoder/model.fp16.safetensors"));
        TestWeights.write(p.resolve("text_encoder/model.safetensors"), te2);
        deleteTree(p.resolve("vae"));
        Inspector.Report r2 = Inspector.analyze(p);
        assertTrue(r2.component("text_encoder").ok(), r2.text());
        assertFalse(r2.component("vae").ok());
        assertTrue(r2.component("vae").error().contains("folder missing"), r2.text());
    }

    @Test
    void ldmSingleFileIsSplitIntoComponents(@TempDir Path tmp) throws IOException {
        Map<String, Tensor> state = new LinkedHashMap<>();
        state.put("betas", Tensors.fromFloats(new float[]{0.1f, 0.2f}, 2));
        state.put(LdmKeys.UNET_PREFIX + "out.2.bias", Tensors.fromFloats(new float[]{0, 0, 0, 0}, 4));
        state.put(LdmKeys.VAE_PREFIX + "quant_conv.bias", Tensors.fromFloats(new float[8], 8));
        state.put(LdmKeys.TEXT_PREFIX + "ln_final.bias", Tensors.fromFloats(new float[1024], 1024));
        state.put(LdmKeys.TEXT_PREFIX + "logit_scale", Tensors.fromFloats(new float[]{1}));
        Path f = tmp.resolve("v2-1_512-tiny.safetensors");
        TestWeights.write(f, state);
        Inspector.Report r = Inspector.analyze(f);
        assertEquals("LDM single-file checkpoint", r.layout(), r.text());
        assertEquals(List.of("unet", "vae", "text_encoder"), r.components().stream().map(Inspector.Component::name).toList());
        Inspector.Component te = r.component("text_encoder");
        assertEquals(1, te.tensors());
        assertEquals(371, te.missing().size());
        assertTrue(te.wrongShape().isEmpty());
        assertEquals(685, r.component("unet").missing().size());
        assertTrue(r.notes().get(0).startsWith("2 keys ignored"), r.text());
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Files.copy(from, to);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    /**
     * A weights file in its component folder is checked against the config.json beside it: the shipped demo VAE
     * (narrower than SD 2.1-base's) is OK, with as many tensors and parameters as its own config builds; against
     * SD 2.1-base's built-in config it reported 178 wrong shapes.
     */
    @Test
    void aWeightsFileIsCheckedAgainstTheConfigBesideIt() {
        Path f = Path.of("models/default/vae/diffusion_pytorch_model.safetensors");
        Inspector.Report r = Inspector.analyze(f);
        assertTrue(r.ok(), r.text());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("config.json")), r.text());
        var vae = io.cdiffset.nn.Module.shapesOnly(() -> new io.cdiffset.model.vae.AutoencoderKL(
                io.cdiffset.model.vae.VaeConfig.from(ConfigJson.read(Path.of("models/default/vae/config.json")))));
        assertEquals(Inspector.shapes(vae).size(), r.component("vae").tensors(), r.text());
    }
}
