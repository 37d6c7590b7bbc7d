package io.cdiffset.spark;

import io.cdiffset.data.SarMapping;
import io.cdiffset.data.SarRows;
import io.cdiffset.io.raster.AtomicFiles;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.RasterHeader;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.pipeline.Translation;
import io.cdiffset.translate.SarSource;
import io.cdiffset.translate.SceneTranslator;
import io.cdiffset.translate.SceneWriter;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Translates a set of scenes on Spark. The unit of work is a window group of a scene (the
 * {@link SceneTranslator.Plan} groups: {@code --batch} consecutive windows), not a scene, so one large scene spreads
 * over every executor. Three stages:
 * <ol>
 * <li>per scene, on an executor: skip it if its outputs are complete ({@link SceneManifest}), else read its header,
 * check it, compute its stretch limits once ({@link SarRows.Limits}) and its plan;</li>
 * <li>per window group: read the group's SAR with the scene's limits, crop its noise from the scene's seeded canvas
 * (made again in each JVM with the same seed), translate, and write the group's EO and confidence to
 * {@code OUT/_work/<scene>-<key>/} (atomic; a retried or speculative copy writes the same bytes);</li>
 * <li>per scene: blend the groups in plan order with {@link SceneTranslator.Assembler} (the single-process blend),
 * write the outputs with {@link SceneWriter} streaming rows, publish them atomically, then the scene's manifest.</li>
 * </ol>
 * The numbers equal single-process {@code cdiffset translate} with the same seed: every window sees the same SAR,
 * the same noise and the same batch, and the blend is the same code in the same order (bit-identical at equal
 * libtorch threads per task). A scene that fails (unreadable, bad values) fails alone with its reason; the others
 * complete. Each run ends with {@code OUT/_report.csv}.
 */
public final class SparkTranslate {
    public enum Status { DONE, SKIPPED, FAILED }

    /** One scene's outcome; {@code seconds} is the task time spent on it (summed over its tasks). */
    public record SceneReport(String scene, Status status, String reason, int windows, double seconds) implements Serializable {}

    /** The outcome of a run, scene by scene, in manifest order. */
    public record Report(List<SceneReport> scenes, double seconds) {
        public long count(Status s) {
            return scenes.stream().filter(r -> r.status() == s).count();
        }

        /** One screen: a line per scene (the first 40, then the failures) and the totals. */
        public String summary() {
            StringBuilder b = new StringBuilder();
            int shown = 0;
            for (SceneReport r : scenes) {
                if (shown < 40 || r.status() == Status.FAILED) {
                    b.append(String.format(Locale.ROOT, "  %-8s %-40s %6d windows %8.1f s%s%n", r.status().name().toLowerCase(Locale.ROOT),
                            SceneFiles.stem(r.scene()), r.windows(), r.seconds(), r.reason() == null ? "" : "  " + r.reason()));
                    shown++;
                }
            }
            if (shown < scenes.size()) b.append("  ... (").append(scenes.size() - shown).append(" more in _report.csv)\n");
            b.append(String.format(Locale.ROOT, "%d scene(s): %d done, %d skipped, %d failed in %.1f s%n", scenes.size(), count(Status.DONE),
                    count(Status.SKIPPED), count(Status.FAILED), seconds));
            return b.toString();
        }
    }

    /** The result of stage 1 for one scene: its plan, or its final report (skipped or failed). */
    record SceneJob(int index, String scene, SceneTranslator.Plan plan, SarRows.Limits limits, boolean hasConfidence, double seconds,
                    SceneReport finished) implements Serializable {}

    /** The result of stage 2 for one window group. */
    record GroupDone(int scene, int group, int windows, double seconds, String error) implements Serializable {}

    static final String WORK = "_work";
    public static final String REPORT = "_report.csv";

    private SparkTranslate() {}

    /**
     * Runs the job over {@code scenes} (paths from {@link SceneFiles#list}) and writes {@code OUT/_report.csv}.
     *
     * @param progress receives the driver's progress lines (scenes done / windows done / ETA) and the summary
     */
    public static Report run(JavaSparkContext sc, JobSpec spec, List<String> scenes, PrintStream progress) throws IOException {
        long t0 = System.nanoTime();
        List<String> dup = SceneFiles.collisions(scenes);
        if (!dup.isEmpty()) {
            throw new io.cdiffset.engine.InputException("scenes " + dup + " appear more than once by name; their outputs would collide; give unique file names");
        }
        Files.createDirectories(spec.out());
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < scenes.size(); i++) idx.add(i);
        List<String> sceneList = List.copyOf(scenes);

        // stage 1: skip, check, stretch limits and plan (one task per scene)
        sc.setJobDescription("cdiffset: scene statistics");
        List<SceneJob> jobs = new ArrayList<>(sc.parallelize(idx, Math.max(1, idx.size())).map(i -> stats(spec, i, sceneList.get(i))).collect());
        jobs.sort((a, b) -> Integer.compare(a.index(), b.index()));

        // stage 2: window groups (one task per group; groups an interrupted earlier run finished are reused)
        List<int[]> groups = new ArrayList<>();
        int totalWindows = 0;
        for (SceneJob j : jobs) {
            if (j.finished() != null) continue;
            for (int g = 0; g < j.plan().groups(); g++) {
                groups.add(new int[]{j.index(), g});
                totalWindows += j.plan().group(g).size();
            }
        }
        Map<Integer, SceneJob> byIndex = new HashMap<>();
        for (SceneJob j : jobs) byIndex.put(j.index(), j);
        List<GroupDone> done = List.of();
        if (!groups.isEmpty()) {
            LongAccumulator windowsDone = sc.sc().longAccumulator("cdiffset windows");
            Map<Integer, SceneJob> shipped = Map.copyOf(byIndex);
            sc.setJobDescription("cdiffset: window groups");
            JavaFutureAction<List<GroupDone>> f = sc.parallelize(groups, Math.min(groups.size(), 100_000))
                    .map(gi -> {
                        GroupDone d = group(spec, shipped.get(gi[0]), gi[1]);
                        windowsDone.add(d.windows());
                        return d;
                    }).collectAsync();
            done = await(f, () -> progressLine(0, jobs.size(), windowsDone.value(), totalWindowsOf(jobs), t0), progress);
        }

        // stage 3: assemble each scene whose groups all succeeded (one task per scene)
        Map<Integer, String> groupError = new HashMap<>();
        Map<Integer, Double> groupSeconds = new HashMap<>();
        for (GroupDone d : done) {
            groupSeconds.merge(d.scene(), d.seconds(), Double::sum);
            if (d.error() != null) groupError.putIfAbsent(d.scene(), d.error());
        }
        List<SceneJob> toAssemble = new ArrayList<>();
        List<SceneReport> reports = new ArrayList<>();
        for (SceneJob j : jobs) {
            if (j.finished() == null && !groupError.containsKey(j.index())) toAssemble.add(j);
        }
        Map<Integer, SceneReport> assembled = new HashMap<>();
        if (!toAssemble.isEmpty()) {
            LongAccumulator scenesDone = sc.sc().longAccumulator("cdiffset scenes");
            int windowsTotal = totalWindows;
            sc.setJobDescription("cdiffset: assemble scenes");
            JavaFutureAction<List<SceneReport>> f = sc.parallelize(toAssemble, toAssemble.size()).map(j -> {
                SceneReport r = assemble(spec, j);
                scenesDone.add(1);
                return r;
            }).collectAsync();
            List<SceneReport> out = await(f, () -> progressLine(scenesDone.value(), jobs.size(), windowsTotal, windowsTotal, t0), progress);
            for (int i = 0; i < out.size(); i++) assembled.put(toAssemble.get(i).index(), out.get(i));
        }
        for (SceneJob j : jobs) {
            double secs = j.seconds() + groupSeconds.getOrDefault(j.index(), 0.0);
            SceneReport r;
            if (j.finished() != null) r = j.finished();
            else if (groupError.containsKey(j.index())) r = new SceneReport(j.scene(), Status.FAILED, groupError.get(j.index()), j.plan().windows().size(), secs);
            else {
                SceneReport a = assembled.get(j.index());
                r = new SceneReport(a.scene(), a.status(), a.reason(), a.windows(), secs + a.seconds());
            }
            reports.add(r);
        }
        Report report = new Report(reports, (System.nanoTime() - t0) / 1e9);
        try {
            Files.deleteIfExists(spec.out().resolve(WORK)); // only when empty: a failed scene's finished groups stay for the next run
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            // kept on purpose
        }
        writeReport(spec.out().resolve(REPORT), report);
        progress.print(report.summary());
        progress.flush();
        return report;
    }

    private static int totalWindowsOf(List<SceneJob> jobs) {
        return jobs.stream().filter(j -> j.finished() == null).mapToInt(j -> j.plan().windows().size()).sum();
    }

    private static String progressLine(long scenesDone, int scenes, long windowsDone, long windows, long t0) {
        double el = (System.nanoTime() - t0) / 1e9;
        String eta = windowsDone > 0 && windowsDone < windows ? String.format(Locale.ROOT, ", ETA %s", duration(el / windowsDone * (windows - windowsDone))) : "";
        return String.format(Locale.ROOT, "cdiffset: scenes %d/%d, windows %d/%d, %s elapsed%s", scenesDone, scenes, windowsDone, windows, duration(el), eta);
    }

    private static String duration(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%dh%02dm", t / 3600, t / 60 % 60) : t >= 60 ? String.format("%dm%02ds", t / 60, t % 60) : t + "s";
    }

    /** Waits for a Spark action, printing a progress line every few seconds when it changed. */
    private static <T> T await(JavaFutureAction<T> f, java.util.function.Supplier<String> line, PrintStream progress) throws IOException {
        String last = null;
        while (true) {
            try {
                T v = f.get(2, TimeUnit.SECONDS);
                progress.println(line.get());
                return v;
            } catch (TimeoutException e) {
                String l = line.get();
                if (!l.equals(last)) progress.println(l);
                last = l;
            } catch (InterruptedException e) {
                f.cancel(true);
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (ExecutionException e) {
                throw new IOException("Spark job failed: " + e.getCause().getMessage(), e.getCause());
            }
        }
    }

    // ---- stage 1 ----

    static SceneJob stats(JobSpec spec, int index, String scene) {
        long t0 = System.nanoTime();
        String stem = SceneFiles.stem(scene);
        try {
            if (SceneManifest.complete(spec.out(), stem, spec.outputKey())) {
                return new SceneJob(index, scene, null, null, false, 0, new SceneReport(scene, Status.SKIPPED, "outputs complete", 0, 0));
            }
            Path file = SceneFiles.local(scene);
            RasterHeader hdr = Translation.check(List.of(file), spec.options()).get(0).header();
            Translation t = ExecutorModels.translation(spec);
            SarRows.Limits limits = Rasters.readWhole(hdr) ? null : SarRows.open(file, hdr).limits(); // the one scan of the scene
            SceneTranslator st = t.sceneTranslator();
            return new SceneJob(index, scene, st.plan(hdr.height(), hdr.width()), limits, st.hasConfidence(), (System.nanoTime() - t0) / 1e9, null);
        } catch (Exception e) {
            return new SceneJob(index, scene, null, null, false, 0, new SceneReport(scene, Status.FAILED, reason(e), 0, (System.nanoTime() - t0) / 1e9));
        }
    }

    static String reason(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        return m.strip().lines().findFirst().orElse(m).replace(',', ';');
    }

    // ---- stage 2 ----

    static Path workDir(JobSpec spec, String scene) {
        return spec.out().resolve(WORK).resolve(SceneFiles.stem(scene) + "-" + spec.resultKey());
    }

    static Path groupFile(JobSpec spec, String scene, int g) {
        return workDir(spec, scene).resolve(String.format("group-%06d.bin", g));
    }

    static GroupDone group(JobSpec spec, SceneJob job, int g) {
        long t0 = System.nanoTime();
        SceneTranslator.Plan plan = job.plan();
        int n = plan.group(g).size();
        Path target = groupFile(spec, job.scene(), g);
        try {
            if (Files.isRegularFile(target)) return new GroupDone(job.index(), g, n, 0, null); // an earlier run (or attempt) finished it
            Path file = SceneFiles.local(job.scene());
            RasterHeader hdr = Rasters.readHeader(file);
            ExecutorModels.translation(spec).checkKernels(hdr);
            SceneTranslator st = ExecutorModels.sceneTranslator(spec);
            float[] sar = SceneTranslator.groupSar(source(file, hdr, job.limits()), plan, g);
            SceneTranslator.WindowOutputs r = st.translateGroup(plan.group(g), sar, ExecutorModels.canvas(spec.options().seed(), plan.hp(), plan.wp()), null);
            writeGroup(target, r);
            return new GroupDone(job.index(), g, n, (System.nanoTime() - t0) / 1e9, null);
        } catch (Exception e) {
            return new GroupDone(job.index(), g, n, (System.nanoTime() - t0) / 1e9, reason(e));
        }
    }

    /** The scene's SAR in model space, as {@link Translation#translateFile} reads it. */
    private static SarSource source(Path file, RasterHeader hdr, SarRows.Limits limits) {
        if (!Rasters.readWhole(hdr)) return SarRows.open(file, hdr, limits)::rows;
        Raster sar = Rasters.read(file);
        return SarSource.inMemory(SarMapping.toModel(sar, file.getFileName().toString()), sar.height(), sar.width());
    }

    /** A group's outputs: [eo length, confidence length or -1] then the floats, little-endian. */
    static void writeGroup(Path target, SceneTranslator.WindowOutputs r) throws IOException {
        AtomicFiles.writeChannel(target, ch -> {
            float[] c = r.confidence();
            ByteBuffer b = ByteBuffer.allocate(8 + 4 * (r.eo().length + (c == null ? 0 : c.length))).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(r.eo().length).putInt(c == null ? -1 : c.length);
            b.asFloatBuffer().put(r.eo());
            b.position(8 + 4 * r.eo().length);
            if (c != null) b.asFloatBuffer().put(c);
            b.rewind();
            while (b.hasRemaining()) ch.write(b);
        });
    }

    static SceneTranslator.WindowOutputs readGroup(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) ch.size()).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) if (ch.read(b) < 0) throw new IOException(file + " is truncated");
            b.flip();
            int ne = b.getInt(), nc = b.getInt();
            if (ne < 0 || b.remaining() != 4L * (ne + Math.max(0, nc))) throw new IOException(file + " is not a window group file of this job");
            float[] eo = new float[ne];
            b.asFloatBuffer().get(eo);
            float[] conf = null;
            if (nc >= 0) {
                b.position(8 + 4 * ne);
                conf = new float[nc];
                b.asFloatBuffer().get(conf);
            }
            return new SceneTranslator.WindowOutputs(eo, conf);
        }
    }

    // ---- stage 3 ----

    static SceneReport assemble(JobSpec spec, SceneJob job) {
        long t0 = System.nanoTime();
        SceneTranslator.Plan plan = job.plan();
        try {
            Path file = SceneFiles.local(job.scene());
            RasterHeader hdr = Rasters.readHeader(file);
            Translation.Input in = new Translation.Input(file, hdr);
            Translation.Outputs o = Translation.outputs(in, spec.out(), spec.options());
            boolean cog = spec.options().format().equals("cog");
            List<Path> written;
            try (SceneWriter sink = new SceneWriter(plan.w(), plan.h(), hdr.geo(), cog, o.eo(), o.confidencePng(), o.confidenceTif())) {
                SceneTranslator.Assembler a = new SceneTranslator.Assembler(plan, job.hasConfidence(), sink);
                for (int g = 0; g < plan.groups(); g++) a.add(g, readGroup(groupFile(spec, job.scene(), g)));
                written = sink.commit();
            }
            SceneManifest.write(spec.out(), SceneFiles.stem(job.scene()), job.scene(), spec.outputKey(), written);
            AtomicFiles.deleteTree(workDir(spec, job.scene()));
            return new SceneReport(job.scene(), Status.DONE, null, plan.windows().size(), (System.nanoTime() - t0) / 1e9);
        } catch (Exception e) {
            return new SceneReport(job.scene(), Status.FAILED, reason(e), plan.windows().size(), (System.nanoTime() - t0) / 1e9);
        }
    }

    /** OUT/_report.csv: scene, status, windows, seconds, reason. */
    static void writeReport(Path target, Report report) throws IOException {
        StringBuilder b = new StringBuilder("scene,status,windows,seconds,reason\n");
        for (SceneReport r : report.scenes()) {
            b.append(r.scene()).append(',').append(r.status().name().toLowerCase(Locale.ROOT)).append(',').append(r.windows()).append(',')
                    .append(String.format(Locale.ROOT, "%.2f", r.seconds())).append(',').append(r.reason() == null ? "" : r.reason()).append('\n');
        }
        AtomicFiles.writeBytes(target, b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
