package io.cdiffset.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdiffset.io.AtomicFile;
import io.cdiffset.io.raster.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The data folder: one folder per job, named by its id, holding {@code job.json} (written atomically), the input and
 * the outputs. A folder without a readable {@code job.json} is an upload that never became a job and is removed on
 * start. Ids come from {@link SecureRandom}; a request's id is checked against {@link #ID} before it names anything.
 */
public final class JobStore {
    /** 32 lower-case hex digits: 128 random bits. */
    public static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
    static final String JOB_JSON = "job.json";
    static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path root;
    private final SecureRandom random = new SecureRandom();

    public JobStore(Path root) {
        this.root = root;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data folder " + root + ": " + e.getMessage(), e);
        }
    }

    public Path root() {
        return root;
    }

    /** A new job folder with a fresh id. */
    public String create() throws IOException {
        byte[] b = new byte[16];
        random.nextBytes(b);
        String id = HexFormat.of().formatHex(b);
        Files.createDirectory(dir(id)); // fails (never reuses) on the 2^-128 collision
        return id;
    }

    /** The folder of a job whose id matched {@link #ID}. */
    public Path dir(String id) {
        if (!ID.matcher(id).matches()) throw new IllegalArgumentException("not a job id: " + id);
        return root.resolve(id);
    }

    public void save(JobRecord r) {
        try {
            AtomicFile.writeString(dir(r.id()).resolve(JOB_JSON), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every job on disk; folders that are not jobs (no or unreadable job.json) are removed and reported. */
    public List<JobRecord> loadAll(Consumer<String> log) throws IOException {
        List<JobRecord> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path d : (Iterable<Path>) s::iterator) {
                String name = d.getFileName().toString();
                if (!ID.matcher(name).matches() || !Files.isDirectory(d)) continue;
                try {
                    JobRecord r = JSON.readValue(d.resolve(JOB_JSON).toFile(), JobRecord.class);
                    if (!name.equals(r.id())) throw new IOException("id " + r.id() + " does not match the folder");
                    out.add(r);
                } catch (IOException e) {
                    log.accept("removing " + d + ": not a job (" + e.getMessage().lines().findFirst().orElse("") + ")");
                    delete(name);
                }
            }
        }
        return out;
    }

    public void delete(String id) {
        try {
            AtomicFiles.deleteTree(dir(id));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete job folder " + dir(id) + ": " + e.getMessage(), e);
        }
    }

    /** Bytes in a job's folder. */
    public long size(String id) {
        try (Stream<Path> s = Files.walk(dir(id))) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }
}
