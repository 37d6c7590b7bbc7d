package io.cdiffset.data;

import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.io.raster.SampleType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Tiny generated images and data set folders for the data tests. */
final class Fixtures {
    private Fixtures() {
    }

    /** Random U8 grey image (seeded). */
    static Raster grey(int w, int h, long seed) {
        Random r = new Random(seed);
        float[] d = new float[w * h];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextInt(256);
        }
        return new Raster(w, h, 1, d, SampleType.U8);
    }

    /** RGB image whose three channels all equal the grey image. */
    static Raster replicate(Raster g) {
        int n = g.planeSize();
        float[] d = new float[3 * n];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(g.data(), 0, d, c * n, n);
        }
        return new Raster(g.width(), g.height(), 3, d, SampleType.U8);
    }

    static Path png(Path file, Raster r) throws IOException {
        Files.createDirectories(file.getParent());
        Rasters.writePng(file, r);
        return file;
    }

    /** sar/ and eo/ folders with EO = SAR replicated, plus a pairs.csv with a split column and a group column. */
    static Path csvDataset(Path dir, int n, int size) throws IOException {
        StringBuilder csv = new StringBuilder("id,sar,eo,split,group,extra\n");
        for (int i = 0; i < n; i++) {
            String id = String.format("%03d", i);
            Raster g = grey(size, size, i);
            png(dir.resolve("sar/" + id + ".png"), g);
            png(dir.resolve("eo/" + id + ".png"), replicate(g));
            csv.append(id).append(",sar/").append(id).append(".png,eo/").append(id).append(".png,")
                    .append(i % 4 == 0 ? "test" : "train").append(",scene").append(i / 2).append(",x\n");
        }
        Files.writeString(dir.resolve("pairs.csv"), csv.toString());
        return dir;
    }

    /** In-memory data set of refs only (for split tests). */
    static PairDataset refs(List<PairRef> refs) {
        return new ListPairDataset(Path.of("mem"), refs) {
            @Override
            public String layout() {
                return "mem";
            }
        };
    }

    static List<PairRef> groupedRefs(int groups, int perGroup) {
        List<PairRef> l = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            for (int k = 0; k < perGroup; k++) {
                String id = "g" + g + "_" + k;
                l.add(new PairRef(id, Path.of(id + "_sar.png"), Path.of(id + "_eo.png"), "g" + g, null));
            }
        }
        return l;
    }
}
