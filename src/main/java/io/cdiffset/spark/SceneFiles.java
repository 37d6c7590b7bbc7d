package io.cdiffset.spark;

import io.cdiffset.engine.InputException;
import io.cdiffset.pipeline.Translation;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * The scenes of a job, on any Hadoop file system ({@code file:}, {@code hdfs:}, {@code s3a:} with its connector on the
 * class path): a folder (its images), a glob ({@code /data/s1/*.tif}) or a CSV manifest ({@code .csv}: the first
 * column of each line is a scene path, relative to the manifest's folder unless absolute; a header line whose
 * first field is not an image path is skipped). Scenes on the local file system are read in place; others are
 * copied to the executor's temporary folder first (once per JVM).
 */
public final class SceneFiles {
    private SceneFiles() {}

    /** The scene paths of a manifest (folder, glob or CSV), sorted and without duplicates; one-line error if none. */
    public static List<String> list(String manifest, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(manifest);
        FileSystem fs = p.getFileSystem(conf);
        List<String> out = new ArrayList<>();
        if (manifest.toLowerCase(Locale.ROOT).endsWith(".csv") && fs.isFile(p)) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(p), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    String first = line.split(",", 2)[0].strip();
                    if (first.startsWith("\"") && first.endsWith("\"") && first.length() >= 2) first = first.substring(1, first.length() - 1);
                    if (first.isEmpty() || first.startsWith("#") || !isImage(first)) continue;
                    org.apache.hadoop.fs.Path s = new org.apache.hadoop.fs.Path(first);
                    out.add((s.isAbsolute() || s.toUri().getScheme() != null ? s : new org.apache.hadoop.fs.Path(p.getParent(), s))
                            .makeQualified(fs.getUri(), fs.getWorkingDirectory()).toString());
                }
            }
        } else {
            FileStatus[] found = fs.globStatus(p);
            if (found != null) {
                for (FileStatus f : found) {
                    if (f.isDirectory()) {
                        for (FileStatus c : fs.listStatus(f.getPath())) if (c.isFile() && isImage(c.getPath().getName())) out.add(c.getPath().toString());
                    } else if (isImage(f.getPath().getName())) {
                        out.add(f.getPath().toString());
                    }
                }
            }
        }
        List<String> sorted = new ArrayList<>(new LinkedHashSet<>(out));
        sorted.sort(null);
        if (sorted.isEmpty()) {
            throw new InputException("no PNG/JPEG/TIFF scenes found in " + manifest + "; give a folder, a glob or a CSV file of scene paths");
        }
        return sorted;
    }

    static boolean isImage(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return Translation.EXTENSIONS.stream().anyMatch(n::endsWith);
    }

    /** The scene's file name without its extension: its outputs' name. */
    public static String stem(String scene) {
        return Translation.stem(Path.of(new org.apache.hadoop.fs.Path(scene).getName()));
    }

    /** A local file to read the scene from: the file itself on the local file system, else a per-JVM copy. */
    static Path local(String scene) throws IOException {
        URI u = new org.apache.hadoop.fs.Path(scene).toUri();
        if (u.getScheme() == null || u.getScheme().equals("file")) return Path.of(u.getPath());
        synchronized (SceneFiles.class) {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "cdiffset-scenes");
            Files.createDirectories(dir);
            Path copy = dir.resolve(Integer.toHexString(scene.hashCode()) + "-" + new org.apache.hadoop.fs.Path(scene).getName());
            if (!Files.exists(copy)) {
                Path tmp = Files.createTempFile(dir, ".copy", ".tmp");
                org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(scene);
                try (var in = p.getFileSystem(new Configuration()).open(p)) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            return copy;
        }
    }

    /** Scene names that two scenes share (their outputs would collide), or an empty list. */
    static List<String> collisions(List<String> scenes) {
        List<String> stems = scenes.stream().map(SceneFiles::stem).toList();
        return stems.stream().filter(s -> stems.indexOf(s) != stems.lastIndexOf(s)).distinct().toList();
    }

}
