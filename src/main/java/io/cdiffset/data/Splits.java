package io.cdiffset.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/** Ways to split a data set into train and test pair indices. All results are sorted and reproducible. */
public final class Splits {

    private Splits() {
    }

    /** Random split of pairs: {@code round(trainFraction*n)} pairs train (for 0 < fraction < 1 and n ≥ 2 at least one
     * pair on each side). */
    public static Split random(PairDataset ds, double trainFraction, long seed) {
        checkFraction(trainFraction);
        int n = ds.size();
        int[] perm = permutation(n, new SplittableRandom(seed));
        int nTrain = clampCount((int) Math.round(trainFraction * n), n, trainFraction);
        return new Split(sorted(Arrays.copyOfRange(perm, 0, nTrain)), sorted(Arrays.copyOfRange(perm, nTrain, n)));
    }

    /**
     * Random split by {@link PairRef#group()} (scene/strip): the fraction applies to groups, and all pairs of one
     * group land on the same side, so crops of one scene never straddle the split.
     */
    public static Split byGroup(PairDataset ds, double trainFraction, long seed) {
        checkFraction(trainFraction);
        TreeSet<String> groups = new TreeSet<>();
        for (int i = 0; i < ds.size(); i++) {
            groups.add(groupOf(ds.ref(i)));
        }
        List<String> g = new ArrayList<>(groups);
        int[] perm = permutation(g.size(), new SplittableRandom(seed));
        int nTrain = clampCount((int) Math.round(trainFraction * g.size()), g.size(), trainFraction);
        Map<String, Boolean> isTrain = new HashMap<>();
        for (int i = 0; i < perm.length; i++) {
            isTrain.put(g.get(perm[i]), i < nTrain);
        }
        List<Integer> tr = new ArrayList<>();
        List<Integer> te = new ArrayList<>();
        for (int i = 0; i < ds.size(); i++) {
            (isTrain.get(groupOf(ds.ref(i))) ? tr : te).add(i);
        }
        return new Split(toArray(tr), toArray(te));
    }

    /**
     * Uses {@link PairRef#split()} (csv {@code split} column, SAR2Opt folder): "train" → train;
     * "test"/"val"/"valid"/"validation" → test. A missing or other value is an error naming the pair.
     */
    public static Split fromColumn(PairDataset ds) {
        List<Integer> tr = new ArrayList<>();
        List<Integer> te = new ArrayList<>();
        for (int i = 0; i < ds.size(); i++) {
            PairRef r = ds.ref(i);
            String s = r.split() == null ? "" : r.split().trim().toLowerCase(Locale.ROOT);
            switch (s) {
                case "train", "training" -> tr.add(i);
                case "test", "val", "valid", "validation", "eval" -> te.add(i);
                case "" -> throw new DataException("pair '" + r.id() + "' (" + r.sar() + ") has no split in "
                        + ds.root() + "; fill the split column or use a random/scene split");
                default -> throw new DataException("pair '" + r.id() + "' has unknown split '" + r.split() + "' in "
                        + ds.root() + "; use train or test");
            }
        }
        return new Split(toArray(tr), toArray(te));
    }

    /** True if every pair has a split value (csv column / SAR2Opt). */
    public static boolean hasColumn(PairDataset ds) {
        for (int i = 0; i < ds.size(); i++) {
            if (ds.ref(i).split() == null) {
                return false;
            }
        }
        return ds.size() > 0;
    }

    /** Test ids listed in {@code testIdsFile} (one per line, '#' comments); all other pairs are train. */
    public static Split fromList(PairDataset ds, Path testIdsFile) {
        boolean[] test = new boolean[ds.size()];
        for (int i : readIds(ds, testIdsFile)) {
            test[i] = true;
        }
        List<Integer> tr = new ArrayList<>();
        List<Integer> te = new ArrayList<>();
        for (int i = 0; i < ds.size(); i++) {
            (test[i] ? te : tr).add(i);
        }
        return new Split(toArray(tr), toArray(te));
    }

    /** Train and test ids from two list files; pairs in neither list are unused; an id in both is an error. */
    public static Split fromLists(PairDataset ds, Path trainIdsFile, Path testIdsFile) {
        int[] tr = sorted(readIds(ds, trainIdsFile));
        int[] te = sorted(readIds(ds, testIdsFile));
        TreeSet<Integer> t = new TreeSet<>();
        for (int i : tr) {
            t.add(i);
        }
        for (int i : te) {
            if (t.contains(i)) {
                throw new DataException("id '" + ds.ref(i).id() + "' is in both " + trainIdsFile + " and "
                        + testIdsFile + "; remove it from one list");
            }
        }
        return new Split(tr, te);
    }

    /** Writes ids one per line (atomic), e.g. to record the split used by a training run. */
    public static void writeIds(Path file, PairDataset ds, int[] indices) {
        StringBuilder sb = new StringBuilder();
        for (int i : indices) {
            sb.append(ds.ref(i).id()).append('\n');
        }
        try {
            io.cdiffset.io.raster.AtomicFiles.writeBytes(file,
                    sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new DataException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static int[] readIds(PairDataset ds, Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new DataException("cannot read split list " + file + ": " + e.getMessage()
                    + "; check the path (ids one per line)", e);
        }
        Map<Integer, Integer> seen = new LinkedHashMap<>();
        for (int ln = 0; ln < lines.size(); ln++) {
            String id = lines.get(ln).trim();
            if (id.isEmpty() || id.startsWith("#")) {
                continue;
            }
            int idx = ds.indexOf(id);
            if (idx < 0) {
                throw new DataException("unknown id '" + id + "' in " + file + " line " + (ln + 1)
                        + " (not in the data set " + ds.root() + "); fix or remove the line");
            }
            seen.putIfAbsent(idx, ln);
        }
        return seen.keySet().stream().mapToInt(Integer::intValue).toArray();
    }

    private static String groupOf(PairRef r) {
        return r.group() == null ? r.id() : r.group();
    }

    private static void checkFraction(double f) {
        if (!(f >= 0 && f <= 1)) {
            throw new IllegalArgumentException("train fraction must be in [0,1], got " + f);
        }
    }

    private static int clampCount(int k, int n, double f) {
        if (f <= 0) {
            return 0;
        }
        if (f >= 1) {
            return n;
        }
        if (n >= 2) {
            return Math.max(1, Math.min(n - 1, k));
        }
        return Math.max(0, Math.min(n, k));
    }

    static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static int[] sorted(int[] a) {
        int[] c = a.clone();
        Arrays.sort(c);
        return c;
    }

    private static int[] toArray(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }
}
