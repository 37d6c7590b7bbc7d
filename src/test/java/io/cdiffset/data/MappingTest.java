package io.cdiffset.data;

import static org.junit.jupiter.api.Assertions.*;

import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.SampleType;
import org.junit.jupiter.api.Test;

class MappingTest {

    private static final float EPS = 1e-6f;

    @Test
    void oneBandU8IsRepeatedAndScaled() {
        Raster r = new Raster(3, 1, 1, new float[]{0, 51, 255}, SampleType.U8);
        float[] m = SarMapping.toModel(r, "a.png");
        assertEquals(9, m.length);
        float[] one = {-1f, 51 / 127.5f - 1f, 1f};
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 3; i++) {
                assertEquals(one[i], m[c * 3 + i], EPS);
            }
        }
        assertEquals(-0.6f, m[1], EPS);
    }

    @Test
    void fourBandsMapToHhCrossVv() {
        // 2 pixels, bands HH, HV, VH, VV
        float[] d = {10, 0, /*HV*/ 20, 255, /*VH*/ 41, 255, /*VV*/ 200, 1};
        float[] m = SarMapping.toModel(new Raster(2, 1, 4, d, SampleType.U8), "q.tif");
        assertArrayEquals(new float[]{
                10 / 127.5f - 1, 0 / 127.5f - 1,
                30.5f / 127.5f - 1, 255 / 127.5f - 1,
                200 / 127.5f - 1, 1 / 127.5f - 1}, m, EPS);
    }

    @Test
    void wrongSarBandCountsNameTheFile() {
        for (int bands : new int[]{2, 3, 5}) {
            Raster r = new Raster(2, 2, bands, new float[4 * bands], SampleType.U8);
            DataException e = assertThrows(DataException.class, () -> SarMapping.toModel(r, "scene_x.tif"));
            assertTrue(e.getMessage().startsWith("expected 1 or 4 SAR bands, got " + bands + " in scene_x.tif"),
                    e.getMessage());
        }
    }

    @Test
    void percentileStretchOnRamp() {
        // 0..100: numpy percentile(1) = 1, percentile(99) = 99
        float[] d = new float[101];
        for (int i = 0; i < d.length; i++) {
            d[i] = i;
        }
        float[] m = SarMapping.toModel(new Raster(101, 1, 1, d, SampleType.F32), "ramp.tif");
        assertEquals(-1f, m[0], EPS);
        assertEquals(-1f, m[1], EPS);
        assertEquals(0f, m[50], EPS);
        assertEquals(1f, m[99], EPS);
        assertEquals(1f, m[100], EPS);
        assertEquals((float) ((24 / 98.0) * 255) / 127.5f - 1f, m[25], EPS);
        assertEquals(m[25], m[101 + 25], 0); // channel replicated

        // 0..999 in U16: percentile(1) = 9.99, percentile(99) = 989.01 (linear interpolation)
        float[] d2 = new float[1000];
        for (int i = 0; i < d2.length; i++) {
            d2[i] = 999 - i; // order must not matter
        }
        float[] m2 = SarMapping.toModel(new Raster(50, 20, 1, d2, SampleType.U16), "ramp16.tif");
        double lo = 9.99;
        double hi = 989.01;
        for (int v : new int[]{0, 9, 10, 500, 989, 990, 999}) {
            int idx = 999 - v;
            double expect = Math.max(0, Math.min(1, (v - lo) / (hi - lo))) * 255 / 127.5 - 1;
            assertEquals(expect, m2[idx], 1e-5, "value " + v);
        }
        assertEquals(Stretch.percentile(new float[]{5f}, 99), 5.0);
    }

    @Test
    void fourBandFloatStretchesEachBandBeforeAveraging() {
        int n = 101;
        float[] d = new float[4 * n];
        for (int i = 0; i < n; i++) {
            d[i] = i;                 // HH 0..100
            d[n + i] = 10 * i;        // HV 0..1000 -> same stretched values as HH
            d[2 * n + i] = 100 - i;   // VH reversed
            d[3 * n + i] = i * 0.001f; // VV tiny values
        }
        float[] m = SarMapping.toModel(new Raster(n, 1, 4, d, SampleType.F32), "sn6.tif");
        for (int i : new int[]{0, 25, 50, 75, 100}) {
            double s = Math.max(0, Math.min(1, (i - 1) / 98.0)) * 255;
            double r = Math.max(0, Math.min(1, (100 - i - 1) / 98.0)) * 255;
            assertEquals(s / 127.5 - 1, m[i], 1e-5);
            assertEquals((s + r) / 2 / 127.5 - 1, m[n + i], 1e-5);
            assertEquals(s / 127.5 - 1, m[2 * n + i], 1e-4);
        }
    }

    @Test
    void nanAndInfAreRejectedWithFileName() {
        float[] d = {1, 2, Float.NaN, 4};
        DataException e = assertThrows(DataException.class,
                () -> SarMapping.toModel(new Raster(2, 2, 1, d, SampleType.F32), "bad.tif"));
        assertTrue(e.getMessage().startsWith("NaN/Inf pixels in bad.tif"), e.getMessage());
        assertTrue(e.getMessage().contains("mask or fill them first"));
        float[] d2 = new float[12];
        d2[7] = Float.POSITIVE_INFINITY;
        assertThrows(DataException.class, () -> EoMapping.toModel(new Raster(2, 2, 3, d2, SampleType.F32), "e.tif"));
    }

    @Test
    void eoMappingAndInverse() {
        float[] d = new float[4 * 4];
        for (int i = 0; i < d.length; i++) {
            d[i] = i * 17;
        }
        Raster rgba = new Raster(2, 2, 4, d, SampleType.U8);
        float[] m = EoMapping.toModel(rgba, "e.png");
        assertEquals(12, m.length);
        for (int i = 0; i < 12; i++) {
            assertEquals(d[i] / 127.5f - 1f, m[i], EPS);
        }
        Raster back = EoMapping.toRaster(m, 3, 2, 2);
        assertEquals(SampleType.U8, back.sampleType());
        for (int i = 0; i < 12; i++) {
            assertEquals(d[i], back.data()[i], 0);
        }
        Raster clamp = EoMapping.toRaster(new float[]{-3f, 2f, 0f, Float.NaN}, 1, 2, 2);
        assertArrayEquals(new float[]{0, 255, 128, 0}, clamp.data());
        DataException e = assertThrows(DataException.class,
                () -> EoMapping.toModel(new Raster(2, 2, 1, new float[4], SampleType.U8), "grey_eo.png"));
        assertTrue(e.getMessage().contains("got 1 in grey_eo.png"), e.getMessage());
        // offset into a batch
        float[] batch = new float[24];
        System.arraycopy(m, 0, batch, 12, 12);
        assertArrayEquals(back.data(), EoMapping.toRaster(batch, 12, 3, 2, 2).data());
    }
}
