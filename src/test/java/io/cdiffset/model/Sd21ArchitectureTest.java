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

    @Test
    void cdiffsetUNetHasExpandedConvs() {
        UNet2DConditionModel unet = Module.shapesOnly(() -> new UNet2DConditionModel(Sd21Configs.unet()));
        UNet2DConditionModel expanded;
        try {
            CDiffSetSurgery.expandConvIn(unet);
            CDiffSetSurgery.expandConvOut(unet);
            expanded = unet;
        } catch (RuntimeException surgeryNeedsRealTensors) {
            expanded = Module.shapesOnly(() -> new UNet2DConditionModel(Sd21Configs.unet().withChannels(8, 5)));
        }
        Map<String, long[]> got = Inspector.shapes(expanded);
        assertEquals(686, got.size());
        assertEquals(865_925_125L, expanded.parameterCount());
        assertArrayEquals(new long[]{320, 8, 3, 3}, got.get("conv_in.weight"));
        assertArrayEquals(new long[]{5, 320, 3, 3}, got.get("conv_out.weight"));
        assertArrayEquals(new long[]{5}, got.get("conv_out.bias"));
        assertTrue(CDiffSetSurgery.isCDiffSet(expanded.config()));
        // the withChannels route gives the same layout
        UNet2DConditionModel viaConfig = Module.shapesOnly(() -> new UNet2DConditionModel(Sd21Configs.unet(8, 5)));
        assertEquals(printable(got), printable(Inspector.shapes(viaConfig)));
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
