package io.cdiffset.model;

import io.cdiffset.model.clip.ClipTextModel;
import io.cdiffset.model.unet.CDiffSetSurgery;
import io.cdiffset.model.unet.UNet2DConditionModel;
import io.cdiffset.model.vae.AutoencoderKL;
import io.cdiffset.nn.Module;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Full-size SD 2.1-base models built on the meta device have exactly the spec's tensor names and shapes. */
class Sd21ArchitectureTest {

    static Map<String, String> printable(Map<String, long[]> m) {
        Map<String, String> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, Arrays.toString(v)));
        return out;
    }

    @Test
    void builtinConfigsHaveSpecValues() {
        var u = Sd21Configs.unet();
        assertEquals(4, u.inChannels());
        assertEquals(4, u.outChannels());
        assertArrayEquals(new int[]{320, 640, 1280, 1280}, u.blockOutChannels());
        assertArrayEquals(new int[]{5, 10, 20, 20}, u.headsPerLevel());
        assertEquals(1024, u.crossAttentionDim());
        assertTrue(u.useLinearProjection());
        assertEquals(64, u.sampleSize());
        var v = Sd21Configs.vae();
        assertArrayEquals(new int[]{128, 256, 512, 512}, v.blockOutChannels());
        assertEquals(2, v.layersPerBlock());
        assertEquals(0.18215, v.scalingFactor());
        var t = Sd21Configs.textEncoder();
        assertEquals(23, t.layers());
        assertEquals(1024, t.hiddenSize());
        assertEquals(16, t.heads());
        assertEquals(4096, t.intermediateSize());
        assertEquals("gelu", t.hiddenAct());
        var s = Sd21Configs.scheduler();
        assertEquals("scaled_linear", s.getString("beta_schedule", null));
        assertEquals(0.00085, s.getDouble("beta_start", 0));
        assertEquals(0.012, s.getDouble("beta_end", 0));
        assertEquals(1000, s.getInt("num_train_timesteps", 0));
        assertEquals("epsilon", s.getString("prediction_type", null));
        assertEquals(1, s.getInt("steps_offset", 0));
    }

    @Test
    void unetMatchesSpecTable() {
        Map<String, long[]> spec = SpecTsv.shapes(SpecTsv.read("sd21_unet_keys.tsv"));
        assertEquals(686, spec.size());
        UNet2DConditionModel unet = Module.shapesOnly(() -> new UNet2DConditionModel(Sd21Configs.unet()));
        Map<String, long[]> got = Inspector.shapes(unet);
        assertEquals(printable(spec), printable(got));
        assertEquals(686, got.size());
        assertEquals(865_910_724L, unet.parameterCount());
        assertEquals(865_910_724L, SpecTsv.params(spec));
    }

    /**
     * The C-DiffSET layout (8-in / 5-out) is the spec's SD 2.1 table with only conv_in and conv_out widened: the
     * expected shapes and parameter count are derived here from the spec table, not from cdiffset's own code. (The
     * surgery's values, on real tensors, are checked against diffusers by the unet fixture's expansion cases.)
     */
    @Test
    void cdiffsetUNetHasExpandedConvs() {
        Map<String, long[]> expected = new TreeMap<>(SpecTsv.shapes(SpecTsv.read("sd21_unet_keys.tsv")));
        long specParams = SpecTsv.params(expected);
        long[] in = expected.get("conv_in.weight"), out = expected.get("conv_out.weight");
        expected.put("conv_in.weight", new long[]{in[0], 8, in[2], in[3]});
        expected.put("conv_out.weight", new long[]{5, out[1], out[2], out[3]});
        expected.put("conv_out.bias", new long[]{5});
        long extra = in[0] * 4 * in[2] * in[3] + (out[1] * out[2] * out[3] + 1); // 4 more input channels, 1 more output
        assertEquals(865_925_125L, specParams + extra);

        UNet2DConditionModel expanded = Module.shapesOnly(() -> new UNet2DConditionModel(Sd21Configs.unet().withChannels(8, 5)));
        assertEquals(printable(expected), printable(Inspector.shapes(expanded)));
        assertEquals(specParams + extra, expanded.parameterCount());
        assertTrue(CDiffSetSurgery.isCDiffSet(expanded.config()));
        UNet2DConditionModel viaConfig = Module.shapesOnly(() -> new UNet2DConditionModel(Sd21Configs.unet(8, 5)));
        assertEquals(printable(expected), printable(Inspector.shapes(viaConfig)));
    }

    @Test
    void vaeMatchesSpecTable() {
        Map<String, long[]> spec = SpecTsv.shapes(SpecTsv.read("sd21_vae_keys.tsv"));
        assertEquals(248, spec.size());
        AutoencoderKL vae = Module.shapesOnly(() -> new AutoencoderKL(Sd21Configs.vae()));
        assertEquals(printable(spec), printable(Inspector.shapes(vae)));
        assertEquals(83_653_863L, vae.parameterCount());
    }

    @Test
    void textEncoderMatchesSpecTable() {
        Map<String, long[]> spec = SpecTsv.shapes(SpecTsv.read("sd21_text_encoder_keys.tsv"));
        assertEquals(372, spec.size());
        ClipTextModel te = Module.shapesOnly(() -> new ClipTextModel(Sd21Configs.textEncoder()));
        assertEquals(printable(spec), printable(Inspector.shapes(te)));
        assertEquals(340_387_840L, te.parameterCount());
    }
}
