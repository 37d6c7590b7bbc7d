package io.cdiffset.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DenormTest {

    @Test
    void standardVersusAuthorsQuirkOnKnownValues() {
        // x = 0 (mid-grey in model space): standard 0.5, quirk 0.5
        assertEquals(0.5f, Denorm.standard(0f));
        assertEquals(0.5f, Denorm.authorsQuirk(0f));
        // x = 0.2: standard 0.6, quirk 0.7
        assertEquals(0.6f, Denorm.standard(0.2f), 0f);
        assertEquals(0.7f, Denorm.authorsQuirk(0.2f), 1e-7f);
        // x = -0.6: standard 0.2, quirk clamps to 0
        assertEquals(0.2f, Denorm.standard(-0.6f), 1e-7f);
        assertEquals(0f, Denorm.authorsQuirk(-0.6f));
        // extremes
        assertEquals(1f, Denorm.standard(1f));
        assertEquals(0f, Denorm.standard(-1f));
        assertEquals(1f, Denorm.authorsQuirk(0.5f));
        assertEquals(1f, Denorm.authorsQuirk(1f));
        assertEquals(1f, Denorm.standard(3f));
        assertTrue(Float.isNaN(Denorm.standard(Float.NaN)));
        assertArrayEquals(new float[] {0f, 0.5f, 1f, 0.75f}, Denorm.standard(new float[] {-1f, 0f, 1f, 0.5f}));
        assertArrayEquals(new float[] {0f, 0.5f, 1f, 1f}, Denorm.authorsQuirk(new float[] {-1f, 0f, 1f, 0.5f}));
    }

    @Test
    void quirkReadsHigherPsnrThanStandardOnTheSameModelOutputs() {
        // model-space target and a prediction with a constant error of 0.2: the quirk compresses nothing but clamps
        float[] target = {-0.9f, -0.8f, -0.7f, 0.3f};
        float[] pred = {-0.7f, -0.6f, -0.5f, 0.5f};
        double standard = Psnr.of(Denorm.standard(pred), Denorm.standard(target));
        double quirk = Psnr.of(Denorm.authorsQuirk(pred), Denorm.authorsQuirk(target));
        assertEquals(20.0, standard, 1e-5); // error 0.1 everywhere
        assertTrue(quirk > standard, "clamping dark pixels to 0 hides errors: " + quirk + " vs " + standard);
    }
}
