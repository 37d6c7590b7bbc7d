package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.io.raster.GeoInfo;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.RasterHeader;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bounded memory, measured in a child JVM whose heap cannot hold the whole-image path: its first arrays (raster,
 * model-space copy, blend accumulators, outputs = 12 floats per pixel) are allocated in the same heap as a control
 * that must fail with OutOfMemoryError, then the scene is translated with the streaming CLI (tiny model, 1 DDIM
 * step, --confidence) and must succeed. The default case is a tall 128 × 8,192 scene in -Xmx32m (the streamed
 * state depends on width × tile, not height); the 4,096 × 4,096 case in -Xmx256m takes about 11 min on 2 busy cores
 * and runs with {@code -Dcdiffset.largeTests=true}.
 */
class LargeSceneMemoryTest {
    @TempDir
    Path tmp;

    @Test
    void tallSceneTranslatesInAHeapTooSmallForTheWholeImage() throws Exception {
        check(128, 8192, "-Xmx32m", 32, "128");
    }

    @Test
    @EnabledIfSystemProperty(named = "cdiffset.largeTests", matches = "true")
    void fourKSceneTranslatesInAHeapTooSmallForTheWholeImage() throws Exception {
        check(4096, 4096, "-Xmx256m", 256, "512");
    }

    void check(int w, int h, String xmx, long heapMb, String tile) throws Exception {
        Path model = TestModels.tinyModel(tmp.resolve("model"));
        Path in = tmp.resolve("big.tif");
        GeoInfo geo = GeoInfo.fromGeoTransform(new double[]{600000, 10, 0, 5000000, 0, -10}, 32632);
        float[] d = new float[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) d[y * w + x] = (float) ((x * 7 + y * 3 + (x * y) % 17) % 256);
        Rasters.writeGeoTiff(in, new Raster(w, h, 1, d, SampleType.U8, geo), geo);
        d = null;
        long wholeBytes = 12L * 4 * w * h;
        assertTrue(wholeBytes > heapMb << 20, "the control must not fit the heap");

        Result control = child(xmx, List.of("whole", in.toString()));
        System.out.println("control (whole-image arrays of " + w + "x" + h + ", " + xmx + "): exit " + control.code + "\n" + control.out.strip());
        assertEquals(3, control.code, "the whole-image arrays must not fit in " + xmx + ": " + control.out);

        Path out = tmp.resolve("out");
        Result run = child(xmx, List.of("translate", in.toString(), "-o", out.toString(), "--model", model.toString(),
                "--steps", "1", "--tile", tile, "--confidence"));
        System.out.println("streamed translate " + w + "x" + h + " (" + xmx + ", --tile " + tile + "): exit " + run.code + "\n" + run.out.strip());
        assertEquals(0, run.code, run.out);
        for (String f : List.of("big.tif", "big_confidence.tif", "big_confidence.png")) {
            RasterHeader hd = Rasters.readHeader(out.resolve(f));
            assertEquals(w, hd.width(), f);
            assertEquals(h, hd.height(), f);
        }
        assertEquals(geo, Rasters.readHeader(out.resolve("big.tif")).geo());
        try (var s = Files.list(out)) {
            assertEquals(3, s.count(), "no temporary files left");
        }
    }

    record Result(int code, String out) {}

    Result child(String xmx, List<String> args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, xmx, "-XX:+UseSerialGC",
                "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0",
                "-cp", System.getProperty("java.class.path"), HeapProbe.class.getName()));
        cmd.addAll(args);
        Path log = Files.createTempFile(tmp, "child", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("child JVM did not finish: " + Files.readString(log));
        }
        List<String> keep = new ArrayList<>();
        for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (!l.contains("NNPACK") && !l.contains("window ")) keep.add(l);
        }
        return new Result(p.exitValue(), String.join("\n", keep));
    }
}
