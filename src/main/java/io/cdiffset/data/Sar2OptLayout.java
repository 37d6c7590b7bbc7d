package io.cdiffset.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * SAR2Opt (pix2pix/CycleGAN) layout: {@code trainA/ trainB/ testA/ testB/}, SAR in A, EO in B with the same file
 * name (stem). The split is the folder ("train"/"test"; either may be absent). id = file stem, prefixed with
 * "train_"/"test_" only if the same stem occurs in both splits; group = id.
 */
public final class Sar2OptLayout extends ListPairDataset {

    private Sar2OptLayout(Path root, List<PairRef> refs) {
        super(root, refs);
    }

    static boolean matches(Path dir) {
        return (Files.isDirectory(dir.resolve("trainA")) && Files.isDirectory(dir.resolve("trainB")))
                || (Files.isDirectory(dir.resolve("testA")) && Files.isDirectory(dir.resolve("testB")));
    }

    public static Sar2OptLayout open(Path dir) {
        List<PairRef> all = new ArrayList<>();
        for (String split : List.of("train", "test")) {
            Path a = dir.resolve(split + "A");
            Path b = dir.resolve(split + "B");
            boolean hasA = Files.isDirectory(a);
            boolean hasB = Files.isDirectory(b);
            if (!hasA && !hasB) {
                continue;
            }
            if (hasA != hasB) {
                Path missing = hasA ? b : a;
                throw new DataException("folder not found: " + missing + " (SAR2Opt layout needs " + split + "A/ "
                        + "with SAR and " + split + "B/ with EO images)");
            }
            Map<String, Path> sar = index(listImages(a), ListPairDataset::stem);
            Map<String, Path> eo = index(listImages(b), ListPairDataset::stem);
            all.addAll(match(sar, eo, b, a, Function.identity(), Function.identity(), split));
        }
        if (all.isEmpty()) {
            throw new DataException("no image pairs found in " + dir + "; expected trainA/trainB or testA/testB");
        }
        Set<String> seen = new HashSet<>();
        boolean clash = false;
        for (PairRef r : all) {
            clash |= !seen.add(r.id());
        }
        if (clash) {
            List<PairRef> renamed = new ArrayList<>();
            for (PairRef r : all) {
                String id = r.split() + "_" + r.id();
                renamed.add(new PairRef(id, r.sar(), r.eo(), id, r.split()));
            }
            all = renamed;
        }
        return new Sar2OptLayout(dir, all);
    }

    @Override
    public String layout() {
        return "sar2opt";
    }
}
