package io.cdiffset.model;

import io.cdiffset.io.WeightsException;
import io.cdiffset.model.unet.UNetConfig;
import io.cdiffset.model.unet.UNets;
import io.cdiffset.model.vae.VaeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Bad configs and mismatched weights give one-line errors naming the file and the problem. */
class ConfigErrorsTest {
    static final Path FX = Path.of("src/test/resources/fixtures");
    @TempDir
    Path tmp;

    @Test
    void unknownBlockTypeInConfig() throws Exception {
        String cfg = Files.readString(FX.resolve("unet/config.json")).replace("\"DownBlock2D\"", "\"SimpleCrossAttnDownBlock2D\"");
        Path f = tmp.resolve("config.json");
        Files.writeString(f, cfg);
        WeightsException e = assertThrows(WeightsException.class, () -> UNetConfig.from(ConfigJson.read(f)));
        assertOneLine(e, "config.json", "SimpleCrossAttnDownBlock2D");

        String vae = Files.readString(FX.resolve("vae/config.json")).replaceFirst("\"UpDecoderBlock2D\"", "\"AttnUpDecoderBlock2D\"");
        Path v = tmp.resolve("vae_config.json");
        Files.writeString(v, vae);
        e = assertThrows(WeightsException.class, () -> VaeConfig.from(ConfigJson.read(v)));
        assertOneLine(e, "vae_config.json", "AttnUpDecoderBlock2D");
    }

    @Test
    void invalidJsonAndMissingConfig() throws Exception {
        Path f = tmp.resolve("broken.json");
        Files.writeString(f, "{\"block_out_channels\": [32, 64,");
        assertOneLine(assertThrows(WeightsException.class, () -> ConfigJson.read(f)), "broken.json", "not valid JSON");
        assertOneLine(assertThrows(WeightsException.class, () -> ConfigJson.read(tmp.resolve("absent.json"))), "absent.json", "not found");
    }

    @Test
    void weightsForAnotherConfigListMissingUnexpectedAndMisShapedKeys() {
        // 8-in/5-out weights against the 4-in/4-out config: conv_in / conv_out shapes differ
        WeightsException e = assertThrows(WeightsException.class,
                () -> UNets.load(FX.resolve("unet/config_base_4in4out.json"), FX.resolve("unet/weights.safetensors")));
        assertOneLine(e, "weights.safetensors", "wrong shape");
        assertTrue(e.getMessage().contains("conv_in.weight [32, 8, 3, 3] (expected [32, 4, 3, 3])"), e.getMessage());
        // VAE weights into a UNet: missing and unexpected keys, counted
        e = assertThrows(WeightsException.class, () -> UNets.load(FX.resolve("unet/config.json"), FX.resolve("vae/weights.safetensors")));
        assertOneLine(e, "vae/weights.safetensors", "missing");
        assertTrue(e.getMessage().contains("unexpected"), e.getMessage());
    }

    static void assertOneLine(Exception e, String file, String what) {
        String m = e.getMessage();
        assertEquals(1, m.lines().count(), m);
        assertTrue(m.contains(file), "message should name " + file + ": " + m);
        assertTrue(m.contains(what), "message should say " + what + ": " + m);
    }
}
