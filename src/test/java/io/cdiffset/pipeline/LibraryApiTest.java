package io.cdiffset.pipeline;

import io.cdiffset.TestModels;
import io.cdiffset.cli.Main;
import io.cdiffset.engine.Engine;
import io.cdiffset.engine.InputException;
import io.cdiffset.engine.Progress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's library example: {@link Translation#translateFile} from Java code writes the same bytes as
 * {@code cdiffset translate} with the same options, reports its windows, and refuses bad input with an
 * {@link InputException} without touching the disk.
 */
class LibraryApiTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void setUp() {
        Engine.init();
        model = TestModels.tinyModel(tmp.resolve("model"));
    }

    @Test
    void translateFileEqualsTheCommandLine() throws Exception {
        Path sample = Path.of("samples/sar/s1s2_130_y256_x512.png");
        TranslateOptions options = TranslateOptions.defaults().withConfidence(true).withSampling("dpmpp_2m", 3, null).withSeed(7).withWindows(128, 32, 2);
        long[] last = new long[2];
        Translation t = Translation.load(model, null, options, note -> {});
        assertEquals("dpmpp_2m", t.sampling().sampler());
        assertEquals(3, t.sampling().steps());
        Translation.Result r = t.translateFile(sample, tmp.resolve("lib"), (done, total, s) -> {
            last[0] = done;
            last[1] = total;
        });
        assertEquals(3, r.written().size(), r.written().toString());
        assertEquals(last[1], last[0], "progress reaches its total");
        // 128-pixel windows with stride 96: 1 + ceil((n - 128) / 96) along each axis
        io.cdiffset.io.raster.RasterHeader h = io.cdiffset.io.raster.Rasters.readHeader(sample);
        assertEquals(axis(h.height()) * axis(h.width()), r.windows());

        int code = Main.run("translate", sample.toString(), "-o", tmp.resolve("cli").toString(), "--model", model.toString(), "--confidence",
                "--sampler", "dpmpp_2m", "--steps", "3", "--seed", "7", "--tile", "128", "--overlap", "32", "--batch", "2");
        assertEquals(0, code);
        for (Path f : r.written()) {
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(tmp.resolve("cli").resolve(f.getFileName())), f.getFileName().toString());
        }
    }

    private static int axis(int n) {
        return n <= 128 ? 1 : 1 + (n - 128 + 95) / 96;
    }

    @Test
    void badInputIsAnInputExceptionAndLeavesNothing() throws Exception {
        Path out = tmp.resolve("refused");
        Path notAnImage = Files.writeString(tmp.resolve("x.png"), "not a png");
        Translation t = Translation.load(model, null, TranslateOptions.defaults(), note -> {});
        InputException e = assertThrows(InputException.class, () -> t.translateFile(notAnImage, out, Progress.NONE));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertFalse(Files.exists(out), "nothing written for a refused input");
        // a failure while writing: the folders translateFile created are removed again, nothing is left
        Path nested = tmp.resolve("new/deeper");
        io.cdiffset.io.raster.AtomicFiles.simulateDiskFullAfter(1000);
        try {
            assertThrows(Exception.class, () -> t.translateFile(Path.of("samples/sar/s1s2_003_y384_x256.png"), nested, Progress.NONE));
        } finally {
            io.cdiffset.io.raster.AtomicFiles.simulateDiskFullAfter(-1);
        }
        assertFalse(Files.exists(tmp.resolve("new")), "no empty folder left by a failed translation");
        assertThrows(IllegalArgumentException.class, () -> Translation.checkOptions(model, TranslateOptions.defaults().withSampling("nope", null, null)));
        assertThrows(IllegalArgumentException.class, () -> Translation.checkOptions(model, TranslateOptions.defaults().withWindows(100, 0, 1)));
    }
}
