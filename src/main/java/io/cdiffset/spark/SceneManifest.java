package io.cdiffset.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdiffset.io.raster.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The record that a scene's outputs are complete: {@code OUT/_manifest/<scene>.json} lists each output file with its
 * size and SHA-256 and the job's output key ({@link JobSpec#outputKey}). Written last, after every output is
 * published, so a scene with a manifest whose files all still match is done; anything else (no manifest, a file
 * missing, changed or truncated, other settings) is redone by the next run.
 */
final class SceneManifest {
    static final String DIR = "_manifest";
    private static final ObjectMapper JSON = new ObjectMapper();

    record FileEntry(String name, long size, String sha256) {}

    record Content(String scene, String key, List<FileEntry> files) {}

    private SceneManifest() {}

    static Path path(Path out, String stem) {
        return out.resolve(DIR).resolve(stem + ".json");
    }

    /** Records the published outputs of a scene (files in {@code out}). */
    static void write(Path out, String stem, String scene, String key, List<Path> files) throws IOException {
        List<FileEntry> entries = new ArrayList<>();
        for (Path f : files) entries.add(new FileEntry(f.getFileName().toString(), Files.size(f), sha256(f)));
        AtomicFiles.writeBytes(path(out, stem), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new Content(scene, key, entries)));
    }

    /** Whether the scene's outputs are complete and unchanged under this result key. */
    static boolean complete(Path out, String stem, String key) {
        Path m = path(out, stem);
        if (!Files.isRegularFile(m)) return false;
        try {
            Content c = JSON.readValue(m.toFile(), Content.class);
            if (!key.equals(c.key()) || c.files() == null || c.files().isEmpty()) return false;
            for (FileEntry e : c.files()) {
                Path f = out.resolve(e.name());
                if (!Files.isRegularFile(f) || Files.size(f) != e.size() || !sha256(f).equals(e.sha256())) return false;
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false; // unreadable manifest: the scene is redone
        }
    }

    static String sha256(Path f) throws IOException {
        return io.cdiffset.io.FileDigest.sha256(f);
    }
}
