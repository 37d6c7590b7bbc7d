package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The figures behind --max-pixels and the README (run with {@code -Dcdiffset.memoryFigures=true}): peak Java heap
 * of translate (tiny model, 1 step, serial GC, child JVM) for streamed TIFF scenes of two widths (memory per pixel of
 * a streamed row) and for PNG scenes of two sizes (memory per pixel of an image read whole).
 */
@EnabledIfSystemProperty(named = "cdiffset.memoryFigures", matches = "true")
class MemoryFiguresTest {
    @TempDir
    Path tmp;

    @Test
    void figures() throws Exception {
        Path model = TestModels.tinyModel(tmp.resolve("model"));
        int h = 256;
        double t1 = peak(model, scene("n.tif", 1024, h), "128");
        double t2 = peak(model, scene("w.tif", 4096, h), "128");
        double perRowPixel = (t2 - t1) * 1048576 / (4096 - 1024);
        System.out.printf("streamed TIFF, %d rows, --tile 128: 1024 wide %.1f MB, 4096 wide %.1f MB -> %.0f bytes per pixel of width (%.0f per pixel of the %d-row band)%n",
                h, t1, t2, perRowPixel, perRowPixel / h, h);
        double p1 = peak(model, scene("s.png", 1024, 1024), "512");
        double p2 = peak(model, scene("l.png", 2048, 2048), "512");
        System.out.printf("PNG read whole: 1024² %.1f MB, 2048² %.1f MB -> %.1f bytes per pixel%n", p1, p2, (p2 - p1) * 1048576 / (2048.0 * 2048 - 1024.0 * 1024));
    }

    Path scene(String name, int w, int h) {
        float[] d = new float[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) d[y * w + x] = (float) ((x * 7 + y * 3 + (x * y) % 17) % 256);
        Path f = tmp.resolve(name);
        Raster r = new Raster(w, h, 1, d, SampleType.U8, null);
        if (name.endsWith(".png")) Rasters.writePng(f, r);
        else Rasters.writeGeoTiff(f, r, null);
        return f;
    }

    double peak(Path model, Path in, String tile) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx2g", "-XX:+UseSerialGC", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
                "-Dorg.bytedeco.javacpp.maxBytes=0", "-cp", System.getProperty("java.class.path"), HeapProbe.class.getName(),
                "translate", in.toString(), "-o", tmp.resolve("out-" + in.getFileName()).toString(), "--model", model.toString(),
                "--steps", "1", "--tile", tile, "--overlap", "16"));
        Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(20, TimeUnit.MINUTES));
        String out = Files.readString(log);
        Matcher m = Pattern.compile("peak heap used: ([0-9.]+) MB").matcher(out);
        assertTrue(m.find(), out);
        assertEquals(0, p.exitValue(), out);
        System.out.println(in.getFileName() + ": peak heap " + m.group(1) + " MB");
        return Double.parseDouble(m.group(1));
    }
}
