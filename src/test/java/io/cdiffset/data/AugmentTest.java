package io.cdiffset.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AugmentTest {

    /** 2 channels, 5x4 image with value c*100 + y*10 + x. */
    private static float[] image() {
        float[] d = new float[2 * 4 * 5];
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 5; x++) {
                    d[c * 20 + y * 5 + x] = c * 100 + y * 10 + x;
                }
            }
        }
        return d;
    }

    @Test
    void cropFlipsAndRotationAreExact() {
        float[] img = image();
        // crop 3x3 at (1,1): rows 11 12 13 / 21 22 23 / 31 32 33
        assertArrayEquals(new float[]{11, 12, 13, 21, 22, 23, 31, 32, 33},
                first(Augment.apply(img, 2, 4, 5, new Augment.Params(1, 1, 3, false, false, false))));
        assertArrayEquals(new float[]{13, 12, 11, 23, 22, 21, 33, 32, 31},
                first(Augment.apply(img, 2, 4, 5, new Augment.Params(1, 1, 3, true, false, false))));
        assertArrayEquals(new float[]{31, 32, 33, 21, 22, 23, 11, 12, 13},
                first(Augment.apply(img, 2, 4, 5, new Augment.Params(1, 1, 3, false, true, false))));
        // 90° clockwise: first output row is the first input column read bottom-up
        assertArrayEquals(new float[]{31, 21, 11, 32, 22, 12, 33, 23, 13},
                first(Augment.apply(img, 2, 4, 5, new Augment.Params(1, 1, 3, false, false, true))));
        float[] both = Augment.apply(img, 2, 4, 5, new Augment.Params(2, 0, 3, false, false, false));
        assertEquals(102, both[9]); // channel 1, same crop
        assertEquals(124, both[17]); // channel 1, output (2,2) = source (y=2, x=4)
    }

    private static float[] first(float[] a) {
        float[] f = new float[9];
        System.arraycopy(a, 0, f, 0, 9);
        return f;
    }

    @Test
    void randomParamsCoverAllTransformsAndAreSeeded() {
        Set<String> seen = new HashSet<>();
        Set<Integer> xs = new HashSet<>();
        for (int i = 0; i < 400; i++) {
            Augment.Params p = Augment.random(10, 8, 4, new SplittableRandom(i));
            assertTrue(p.x() >= 0 && p.x() <= 6 && p.y() >= 0 && p.y() <= 4);
            seen.add(p.hflip() + "" + p.vflip() + p.rot90());
            xs.add(p.x());
            assertEquals(p, Augment.random(10, 8, 4, new SplittableRandom(i)));
        }
        assertEquals(8, seen.size());
        assertEquals(7, xs.size());
        Augment.Params none = Augment.random(4, 4, 4, new SplittableRandom(1), false, false);
        assertEquals(new Augment.Params(0, 0, 4, false, false, false), none);
        assertEquals(new Augment.Params(3, 2, 4, false, false, false), Augment.center(10, 8, 4));
        assertThrows(IllegalArgumentException.class, () -> Augment.center(3, 8, 4));
    }

    @Test
    void fixedCropGrid() {
        List<FixedCrops.Crop> g = FixedCrops.grid(5, "003", 1024, 1024, 256);
        assertEquals(16, g.size());
        assertEquals(new FixedCrops.Crop(5, "003_x256_y0", 256, 0, 256), g.get(1));
        assertEquals(new FixedCrops.Crop(5, "003_x0_y256", 0, 256, 256), g.get(4));
        assertEquals(2, FixedCrops.grid(0, "a", 10, 7, 5).size()); // remainder dropped
    }
}
