package io.cdiffset.train;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The typed settings carry the preset's values (as written in qxs-saropt.yaml and base.yaml) and refuse bad ones in one line. */
class TrainSettingsTest {
    @Test
    void presetValuesOverBaseDefaults() {
        TrainSettings s = TrainConfig.load("qxs-saropt", List.of("train.grad_accum=0")).settings();
        assertEquals("unet", s.task());
        assertEquals("qxs-saropt", s.data().layout());
        assertEquals("random", s.data().split());
        assertEquals(0.8, s.data().trainFraction());
        assertEquals(256, s.data().crop());
        assertEquals(64, s.train().batch());
        assertEquals(50_000, s.train().steps());
        assertEquals(3.0e-5, s.train().lr());
        assertEquals(0.01, s.train().weightDecay());
        assertEquals(100, s.train().warmup());
        assertEquals(2024, s.train().seed());
        assertEquals(1, s.train().accumulation(), "grad_accum 0 counts as 1");
        assertTrue(s.train().cdiff());
        assertEquals(100, s.log().valCount());
        assertEquals(1000, s.log().checkpointEvery());
        // base.yaml defaults the preset does not set
        assertArrayEquals(new int[]{320, 640, 1280, 1280}, s.model().blockOutChannels());
        assertEquals(1024, s.model().crossAttentionDim());
        assertEquals("", s.model().base());
        assertEquals(50, s.log().inferenceSteps());
        assertEquals(null, s.model().fixedScalingFactor(), "auto");
        assertEquals(0.25, TrainConfig.load("demo-vae", List.of("model.vae_scaling_factor=0.25")).settings().model().fixedScalingFactor());
    }

    @Test
    void badValuesFailInOneLineNamingTheSetting() {
        for (String[] c : new String[][]{{"data.crop=260", "data.crop"}, {"train.sar_dropout=1", "train.sar_dropout"},
                {"train.eo_fraction=1.5", "train.eo_fraction"}, {"train.vae_part=encoder", "train.vae_part"},
                {"model.vae_scaling_factor=-2", "model.vae_scaling_factor"}, {"train.lr=fast", "train.lr"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.load("demo", List.of(c[0])).settings(), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
