package io.cdiffset.model;

import io.cdiffset.engine.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.cdiffset.model.Sd21ArchitectureTest.printable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spec tables' LDM column maps through {@link LdmKeys} onto exactly the diffusers names and shapes. */
class LdmKeysTest {
    static final List<SpecTsv.Row> UNET = SpecTsv.read("sd21_unet_keys.tsv");
    static final List<SpecTsv.Row> VAE = SpecTsv.read("sd21_vae_keys.tsv");
    static final List<SpecTsv.Row> TEXT = SpecTsv.read("sd21_text_encoder_keys.tsv");

    /** The LDM header a real SD 2.1 single file would have (names + shapes), incl. buffers and the unused layer 23. */
    static Map<String, long[]> ldmHeader() {
        Map<String, long[]> h = new LinkedHashMap<>();
        for (String b : new String[]{"betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod",
                "sqrt_one_minus_alphas_cumprod", "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod",
                "sqrt_recipm1_alphas_cumprod", "posterior_variance", "posterior_log_variance_clipped",
                "posterior_mean_coef1", "posterior_mean_coef2"}) {
            h.put(b, new long[]{1000});
        }
        h.put("model_ema.decay", new long[0]);
        h.put("model_ema.num_updates", new long[0]);
        h.put("model_ema.diffusion_modelinput_blocks00weight", new long[]{320, 4, 3, 3});
        for (SpecTsv.Row r : UNET) h.put(r.ldm(), r.shape());
        for (SpecTsv.Row r : VAE) h.put(r.ldm(), r.ldmShape());
        for (SpecTsv.Row r : TEXT) {
            long start = r.sliceStart();
            if (start < 0) {
                h.put(r.ldm(), r.shape());
            } else {
                long[] s = r.shape().clone();
                s[0] *= 3;
                h.put(r.ldmBase(), s);
            }
        }
        // the 24th OpenCLIP block and the CLIP head, unused by SD 2.x
        String p = LdmKeys.TEXT_PREFIX + "transformer.resblocks.23.";
        h.put(p + "attn.in_proj_weight", new long[]{3072, 1024});
        h.put(p + "attn.in_proj_bias", new long[]{3072});
        h.put(p + "attn.out_proj.weight", new long[]{1024, 1024});
        h.put(p + "ln_1.weight", new long[]{1024});
        h.put(p + "mlp.c_fc.weight", new long[]{4096, 1024});
        h.put(LdmKeys.TEXT_PREFIX + "text_projection", new long[]{1024, 1024});
        h.put(LdmKeys.TEXT_PREFIX + "logit_scale", new long[0]);
        return h;
    }

    @Test
    void namesMapOntoSpecTables() {
        Map<String, long[]> header = ldmHeader();
        LdmKeys.Split<LdmKeys.Mapping> split = LdmKeys.mapNames(header.keySet(), Sd21Configs.textEncoder());
        assertEquals(List.of(), split.unmapped());
        assertEquals(686, split.unet().size());
        assertEquals(248, split.vae().size());
        assertEquals(372, split.textEncoder().size());
        for (SpecTsv.Row r : UNET) {
            LdmKeys.Mapping m = split.unet().get(r.name());
            assertNotNull(m, r.name());
            assertEquals(r.ldm(), m.source(), r.name());
        }
        for (SpecTsv.Row r : VAE) {
            LdmKeys.Mapping m = split.vae().get(r.name());
            assertNotNull(m, r.name());
            assertEquals(r.ldm(), m.source(), r.name());
            assertEquals(r.ldmShape().length == 4 && r.shape().length == 2, m.squeeze1x1(), r.name());
        }
        for (SpecTsv.Row r : TEXT) {
            LdmKeys.Mapping m = split.textEncoder().get(r.name());
            assertNotNull(m, r.name());
            assertEquals(r.ldmBase(), m.source(), r.name());
            assertEquals(r.sliceStart() < 0 ? -1 : (int) (r.sliceStart() / 1024), m.rowChunk(), r.name());
        }
        // everything else was ignored on purpose: 12 buffers, 3 EMA entries, 5 layer-23 tensors, projection, logit scale
        Set<String> ignored = new HashSet<>(split.ignored());
        assertEquals(22, ignored.size(), ignored.toString());
        assertTrue(ignored.contains("betas"));
        assertTrue(ignored.contains("model_ema.decay"));
        assertTrue(ignored.contains(LdmKeys.TEXT_PREFIX + "transformer.resblocks.23.attn.in_proj_weight"));
        assertTrue(ignored.contains(LdmKeys.TEXT_PREFIX + "text_projection"));
        assertTrue(ignored.contains(LdmKeys.TEXT_PREFIX + "logit_scale"));
    }

    @Test
    void shapesMapOntoSpecTables() {
        LdmKeys.Split<long[]> s = LdmKeys.mapShapes(ldmHeader(), 23);
        assertEquals(printable(SpecTsv.shapes(UNET)), printable(s.unet()));
        assertEquals(printable(SpecTsv.shapes(VAE)), printable(s.vae()));
        assertEquals(printable(SpecTsv.shapes(TEXT)), printable(s.textEncoder()));
    }

    @Test
    void textLayerCountComesFromConfig() {
        Map<String, long[]> header = ldmHeader();
        LdmKeys.Split<long[]> all24 = LdmKeys.mapShapes(header, 24);
        assertTrue(all24.textEncoder().containsKey("text_model.encoder.layers.23.self_attn.q_proj.weight"));
        assertArrayEquals(new long[]{1024, 1024}, all24.textEncoder().get("text_model.encoder.layers.23.self_attn.v_proj.weight"));
        LdmKeys.Split<long[]> two = LdmKeys.mapShapes(header, 2);
        assertEquals(2 + 2 + 2 * 16, two.textEncoder().size());
    }

    @Test
    void unknownComponentKeysAreReported() {
        List<String> keys = List.of(LdmKeys.UNET_PREFIX + "label_emb.0.0.weight", LdmKeys.VAE_PREFIX + "encoder.mid.attn_1.foo.weight",
                LdmKeys.TEXT_PREFIX + "transformer.resblocks.0.attn.mystery", LdmKeys.UNET_PREFIX + "input_blocks.1.0.in_layers.0.weight",
                LdmKeys.VAE_PREFIX + "loss.logvar");
        LdmKeys.Split<LdmKeys.Mapping> s = LdmKeys.mapNames(keys, 23);
        assertEquals(keys.subList(0, 3), s.unmapped());
        assertEquals(List.of(LdmKeys.VAE_PREFIX + "loss.logvar"), s.ignored());
        assertEquals(Set.of("down_blocks.0.resnets.0.norm1.weight"), s.unet().keySet());
        var e = assertThrows(io.cdiffset.io.WeightsException.class, () -> s.requireMapped("x.safetensors"));
        assertTrue(e.getMessage().startsWith("x.safetensors: 3 keys"), e.getMessage());
        assertNull(LdmKeys.mapKey(LdmKeys.UNET_PREFIX + "input_blocks.0.1.weight", 23, 4));
    }

    @Test
    void selectedSpecRules() {
        // spot checks of §6 written out by hand (the table tests above cover every key)
        Map<String, String> expect = new LinkedHashMap<>();
        expect.put("input_blocks.0.0.weight", "conv_in.weight");
        expect.put("input_blocks.3.0.op.weight", "down_blocks.0.downsamplers.0.conv.weight");
        expect.put("input_blocks.9.0.op.bias", "down_blocks.2.downsamplers.0.conv.bias");
        expect.put("input_blocks.11.0.skip_connection.weight", "down_blocks.3.resnets.1.conv_shortcut.weight");
        expect.put("input_blocks.8.1.proj_in.weight", "down_blocks.2.attentions.1.proj_in.weight");
        expect.put("middle_block.2.emb_layers.1.weight", "mid_block.resnets.1.time_emb_proj.weight");
        expect.put("output_blocks.2.1.conv.weight", "up_blocks.0.upsamplers.0.conv.weight");
        expect.put("output_blocks.5.2.conv.bias", "up_blocks.1.upsamplers.0.conv.bias");
        expect.put("output_blocks.7.1.transformer_blocks.0.attn2.to_k.weight", "up_blocks.2.attentions.1.transformer_blocks.0.attn2.to_k.weight");
        expect.put("output_blocks.11.0.out_layers.3.weight", "up_blocks.3.resnets.2.conv2.weight");
        expect.put("out.2.weight", "conv_out.weight");
        for (Map.Entry<String, String> e : expect.entrySet()) {
            List<LdmKeys.Mapping> m = LdmKeys.mapKey(LdmKeys.UNET_PREFIX + e.getKey(), 23, 4);
            assertNotNull(m, e.getKey());
            assertEquals(e.getValue(), m.get(0).name(), e.getKey());
        }
        assertEquals("decoder.up_blocks.0.resnets.2.conv1.weight",
                LdmKeys.mapKey(LdmKeys.VAE_PREFIX + "decoder.up.3.block.2.conv1.weight", 23, 4).get(0).name());
        assertEquals("decoder.up_blocks.3.resnets.0.conv_shortcut.bias",
                LdmKeys.mapKey(LdmKeys.VAE_PREFIX + "decoder.up.0.block.0.nin_shortcut.bias", 23, 4).get(0).name());
        assertEquals("encoder.conv_norm_out.weight", LdmKeys.mapKey(LdmKeys.VAE_PREFIX + "encoder.norm_out.weight", 23, 4).get(0).name());
        assertEquals("text_model.embeddings.position_embedding.weight",
                LdmKeys.mapKey(LdmKeys.TEXT_PREFIX + "positional_embedding", 23, 4).get(0).name());
    }

    @Test
    void convertSplitsInProjAndSqueezesVaeAttention() {
        Map<String, Tensor> state = new LinkedHashMap<>();
        float[] w = new float[6 * 2];
        for (int i = 0; i < w.length; i++) w[i] = i;
        String blk = LdmKeys.TEXT_PREFIX + "transformer.resblocks.0.attn.";
        state.put(blk + "in_proj_weight", Tensors.fromFloats(w, 6, 2));
        state.put(blk + "in_proj_bias", Tensors.fromFloats(new float[]{10, 11, 12, 13, 14, 15}, 6));
        state.put(LdmKeys.VAE_PREFIX + "decoder.mid.attn_1.q.weight", Tensors.fromFloats(new float[]{1, 2, 3, 4}, 2, 2, 1, 1));
        state.put(LdmKeys.VAE_PREFIX + "decoder.mid.attn_1.q.bias", Tensors.fromFloats(new float[]{5, 6}, 2));
        state.put(LdmKeys.VAE_PREFIX + "decoder.up.1.block.0.nin_shortcut.weight", Tensors.fromFloats(new float[]{7, 8}, 1, 2, 1, 1));
        state.put("alphas_cumprod", Tensors.fromFloats(new float[]{0.9f}, 1));

        LdmKeys.Split<Tensor> s = LdmKeys.convert(state, 23).requireMapped("test");
        String p = "text_model.encoder.layers.0.self_attn.";
        assertArrayEquals(new float[]{0, 1, 2, 3}, Tensors.toFloats(s.textEncoder().get(p + "q_proj.weight").contiguous()));
        assertArrayEquals(new float[]{4, 5, 6, 7}, Tensors.toFloats(s.textEncoder().get(p + "k_proj.weight").contiguous()));
        assertArrayEquals(new float[]{8, 9, 10, 11}, Tensors.toFloats(s.textEncoder().get(p + "v_proj.weight").contiguous()));
        assertArrayEquals(new long[]{2, 2}, Tensors.shape(s.textEncoder().get(p + "v_proj.weight")));
        assertArrayEquals(new float[]{12, 13}, Tensors.toFloats(s.textEncoder().get(p + "k_proj.bias").contiguous()));
        assertArrayEquals(new float[]{14, 15}, Tensors.toFloats(s.textEncoder().get(p + "v_proj.bias").contiguous()));

        Tensor q = s.vae().get("decoder.mid_block.attentions.0.to_q.weight");
        assertArrayEquals(new long[]{2, 2}, Tensors.shape(q));
        assertArrayEquals(new float[]{1, 2, 3, 4}, Tensors.toFloats(q.contiguous()));
        assertArrayEquals(new long[]{2}, Tensors.shape(s.vae().get("decoder.mid_block.attentions.0.to_q.bias")));
        // 1x1 convs that are convs in diffusers too stay 4-D; with decoder.up.1 the highest level, 2 levels → up_blocks.0
        assertArrayEquals(new long[]{1, 2, 1, 1}, Tensors.shape(s.vae().get("decoder.up_blocks.0.resnets.0.conv_shortcut.weight")));
        assertEquals(List.of("alphas_cumprod"), s.ignored());
        assertTrue(s.unet().isEmpty());
    }

    @Test
    void detectsFormats() {
        Map<String, long[]> unet = SpecTsv.shapes(UNET);
        assertEquals(LdmKeys.Format.LDM_SINGLE_FILE, LdmKeys.detect(ldmHeader().keySet()));
        assertEquals(LdmKeys.Format.DIFFUSERS_UNET, LdmKeys.detect(unet.keySet()));
        assertEquals(LdmKeys.Format.DIFFUSERS_UNET, LdmKeys.detect(unet));
        Map<String, long[]> cdiff = new LinkedHashMap<>(unet);
        cdiff.put("conv_in.weight", new long[]{320, 8, 3, 3});
        cdiff.put("conv_out.weight", new long[]{5, 320, 3, 3});
        cdiff.put("conv_out.bias", new long[]{5});
        assertEquals(LdmKeys.Format.CDIFFSET_UNET, LdmKeys.detect(cdiff));
        Map<String, long[]> wrapped = new LinkedHashMap<>();
        cdiff.forEach((k, v) -> wrapped.put("module.unet." + k, v));
        assertEquals(LdmKeys.Format.CDIFFSET_UNET, LdmKeys.detect(wrapped));
        assertArrayEquals(new int[]{8, 5}, LdmKeys.unetChannels(wrapped));
        assertEquals(LdmKeys.Format.DIFFUSERS_VAE, LdmKeys.detect(SpecTsv.shapes(VAE).keySet()));
        Set<String> text = new LinkedHashSet<>(SpecTsv.shapes(TEXT).keySet());
        assertEquals(LdmKeys.Format.TEXT_ENCODER, LdmKeys.detect(text));
        Set<String> bare = new LinkedHashSet<>();
        for (String k : text) bare.add(k.substring("text_model.".length()));
        assertEquals(LdmKeys.Format.TEXT_ENCODER_NO_PREFIX, LdmKeys.detect(bare));
        assertEquals(LdmKeys.Format.UNKNOWN, LdmKeys.detect(Set.of("foo.weight", "bar.bias")));
        assertEquals(1024, LdmKeys.ldmCrossAttentionDim(ldmHeader()));
        List<String> none = new ArrayList<>();
        assertEquals(LdmKeys.Format.UNKNOWN, LdmKeys.detect(new HashSet<>(none)));
        assertEquals("[1024]", Arrays.toString(SpecTsv.parseShape("[1024]")));
    }
}
