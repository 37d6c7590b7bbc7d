package io.cdiffset.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Base of the folder/csv layouts: an immutable list of refs plus helpers shared by the layouts. */
abstract class ListPairDataset implements PairDataset {

    static final Set<String> IMAGE_EXT = Set.of("png", "jpg", "jpeg", "tif", "tiff");

    private final Path root;
    private final List<PairRef> refs;
    private final Map<String, Integer> byId = new HashMap<>();

    ListPairDataset(Path root, List<PairRef> refs) {
        this.root = root;
        this.refs = List.copyOf(refs);
        for (int i = 0; i < this.refs.size(); i++) {
            PairRef r = this.refs.get(i);
            Integer prev = byId.put(r.id(), i);
            if (prev != null) {
                throw new DataException("duplicate pair id '" + r.id() + "' in " + root + " (" + r.sar() + " and "
                        + this.refs.get(prev).sar() + "); ids must be unique");
            }
        }
    }

    @Override
    public int size() {
        return refs.size();
    }

    @Override
    public PairRef ref(int i) {
        return refs.get(i);
    }

    @Override
    public Path root() {
        return root;
    }

    @Override
    public int indexOf(String id) {
        Integer i = byId.get(id);
        return i == null ? -1 : i;
    }

    @Override
    public String toString() {
        return layout() + " data set " + root + " (" + size() + " pairs)";
    }

    static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return !n.startsWith(".") && dot > 0 && IMAGE_EXT.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT))
                && Files.isRegularFile(p);
    }

    /** Image files of a folder (not recursive), sorted by name. */
    static List<Path> listImages(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new DataException("folder not found: " + dir + "; check the data set layout");
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> l = new ArrayList<>(s.filter(ListPairDataset::isImage).sorted().toList());
            if (l.isEmpty()) {
                throw new DataException("no images (png/jpg/tif) found in " + dir + "; check the data set folder");
            }
            return l;
        } catch (IOException e) {
            throw new DataException("cannot list " + dir + ": " + e.getMessage() + "; check permissions", e);
        }
    }

    /** Maps key → file; two files with the same key is an error. */
    static Map<String, Path> index(List<Path> files, java.util.function.Function<Path, String> key) {
        Map<String, Path> m = new TreeMap<>();
        for (Path p : files) {
            String k = key.apply(p);
            Path prev = m.put(k, p);
            if (prev != null) {
                throw new DataException("ambiguous images " + prev + " and " + p + " (same name '" + k
                        + "'); keep only one of them");
            }
        }
        return m;
    }

    /**
     * Pairs SAR and EO files with equal keys; a file without partner on either side is an error naming it.
     */
    static List<PairRef> match(Map<String, Path> sar, Map<String, Path> eo, Path eoDir, Path sarDir,
                               java.util.function.Function<String, String> idOf,
                               java.util.function.Function<String, String> groupOf, String split) {
        List<PairRef> out = new ArrayList<>();
        for (var e : sar.entrySet()) {
            Path o = eo.get(e.getKey());
            if (o == null) {
                throw new DataException("missing EO partner for SAR image " + e.getValue() + ": expected a file "
                        + "named like '" + e.getKey() + "' in " + eoDir + "; add it or remove the SAR image");
            }
            String id = idOf.apply(e.getKey());
            out.add(new PairRef(id, e.getValue(), o, groupOf.apply(e.getKey()), split));
        }
        for (var e : eo.entrySet()) {
            if (!sar.containsKey(e.getKey())) {
                throw new DataException("missing SAR partner for EO image " + e.getValue() + ": expected a file "
                        + "named like '" + e.getKey() + "' in " + sarDir + "; add it or remove the EO image");
            }
        }
        return out;
    }
}
