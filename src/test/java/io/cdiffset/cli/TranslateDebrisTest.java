package io.cdiffset.cli;

import io.cdiffset.TestModels;
import io.cdiffset.io.raster.AtomicFiles;
import io.cdiffset.io.raster.Rasters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.cdiffset.cli.OutputSafetyTest.tree;
import static org.junit.jupiter.api.Assertions.*;

/** translate cleans the temporary files a killed run left for its outputs; a full disk loses nothing and leaves no debris. */
class TranslateDebrisTest {
    @TempDir
    static Path tmp;
    static Path model;
    static Path inputs;

    @BeforeAll
    static void setUp() {
        model = TestModels.tinyModel(tmp.resolve("model"));
        inputs = tmp.resolve("in");
        for (String f : List.of("a.png", "b.png")) Rasters.writePng(inputs.resolve(f), TranslateCommandTest.sarRamp(64, 64, null));
    }

    static TranslateCommandTest.Run translate(Path out, String... more) {
        return TranslateCommandTest.run(Stream.concat(Stream.of("translate", inputs.toString(), "-o", out.toString(), "--model", model.toString(),
                "--steps", "2"), Stream.of(more)).toArray(String[]::new));
    }

    static List<String> temps(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(AtomicFiles::isTemp).sorted().toList();
        }
    }

    @Test
    void theTemporaryFilesOfItsOwnOutputsThatAKilledRunLeftAreRemoved() throws Exception {
        Path out = tmp.resolve("out-stale");
        Files.createDirectories(out);
        Files.writeString(out.resolve(".a.png.8812391.tmp"), "half an a.png");
        Files.writeString(out.resolve(".b.png.-77.tmp"), "half a b.png");
        Files.writeString(out.resolve(".zzz.png.456.tmp"), "not one of this run's outputs");
        Files.writeString(out.resolve(".notes.txt.77.tmp"), "the user's");
        TranslateCommandTest.Run r = translate(out);
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of(".notes.txt.77.tmp", ".zzz.png.456.tmp"), temps(out));
        assertTrue(Files.exists(out.resolve("a.png")) && Files.exists(out.resolve("b.png")));
    }

    @Test
    void aFullDiskLosesNothingAndLeavesNoDebris() throws Exception {
        Path clean = tmp.resolve("out-clean");
        assertEquals(0, translate(clean).code());
        byte[] a = Files.readAllBytes(clean.resolve("a.png")), b = Files.readAllBytes(clean.resolve("b.png"));

        Path out = tmp.resolve("out-full");
        Files.createDirectories(out);
        Files.writeString(out.resolve("a.png"), "an earlier output, to be replaced only by a complete one");
        Files.writeString(out.resolve("notes.txt"), "the user's");
        Map<String, String> before = tree(out);
        for (long left : new long[]{0, 100, a.length / 2, a.length + b.length / 2}) {
            AtomicFiles.simulateDiskFullAfter(left);
            TranslateCommandTest.Run r;
            try {
                r = translate(out, "--overwrite");
            } finally {
                AtomicFiles.simulateDiskFullAfter(-1);
            }
            List<String> errors = r.err().lines().filter(l -> l.startsWith("cdiffset: error: ")).toList();
            System.out.println("translate, disk full after " + left + " bytes: exit " + r.code() + ": " + errors);
            assertEquals(1, r.code(), r.err());
            assertEquals(1, errors.size(), r.err());
            assertTrue(errors.get(0).contains("No space left on device"), errors.get(0));
            assertTrue(errors.get(0).contains("cannot write " + out.resolve(left < a.length ? "a.png" : "b.png").toAbsolutePath())
                    || errors.get(0).contains("cannot write " + out.resolve(left < a.length ? "a.png" : "b.png")), errors.get(0));
            assertEquals(List.of(), temps(out), "no temporary file left");
            Map<String, String> after = tree(out);
            assertEquals(before.get("notes.txt"), after.get("notes.txt"));
            if (left < a.length) {
                assertEquals(before, after, "nothing changed when the first output could not be written");
            } else {
                assertArrayEquals(a, Files.readAllBytes(out.resolve("a.png")), "a.png replaced by a complete output only");
                assertFalse(Files.exists(out.resolve("b.png")), "no partial b.png");
            }
        }
    }

    @Test
    void aFullDiskWhileWritingAGeoTiffAndItsConfidenceMapsPublishesAllOrNothing() throws Exception {
        io.cdiffset.io.raster.GeoInfo geo = io.cdiffset.io.raster.GeoInfo.fromGeoTransform(new double[]{500000.0, 10.0, 0.0, 4649776.0, 0.0, -10.0}, 32633);
        Path in = tmp.resolve("geo-in/scene.tif");
        Rasters.writeGeoTiff(in, TranslateCommandTest.sarRamp(64, 64, geo), geo);
        Path out = tmp.resolve("out-geo-full");
        Files.createDirectories(out);
        Files.writeString(out.resolve("scene.tif"), "an earlier output");
        Map<String, String> before = tree(out);
        int failed = 0;
        for (long left : new long[]{0, 2_000, 8_000, 20_000, 40_000, 80_000}) {
            AtomicFiles.simulateDiskFullAfter(left);
            TranslateCommandTest.Run r;
            try {
                r = TranslateCommandTest.run("translate", in.toString(), "-o", out.toString(), "--model", model.toString(), "--steps", "2",
                        "--confidence", "--overwrite");
            } finally {
                AtomicFiles.simulateDiskFullAfter(-1);
            }
            List<String> errors = r.err().lines().filter(l -> l.startsWith("cdiffset: error: ")).toList();
            System.out.println("translate --confidence, disk full after " + left + " bytes: exit " + r.code() + ": " + errors);
            assertEquals(List.of(), temps(out), "no temporary file left");
            if (r.code() == 0) break; // enough room for everything
            failed++;
            assertEquals(1, r.code(), r.err());
            assertEquals(1, errors.size(), r.err());
            assertTrue(errors.get(0).contains("No space left on device"), errors.get(0));
            assertEquals(before, tree(out), "nothing published, nothing changed");
        }
        assertTrue(failed >= 3, "the disk filled at several points: " + failed);
    }
}
