package io.cdiffset.server;

import io.cdiffset.engine.InputException;
import io.cdiffset.engine.Progress;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The jobs of a server: a bounded queue, a fixed pool of worker threads that run them one each, and the upkeep of the
 * data folder (resume on start, expiry after the TTL, the disk quota). Every change of a job's state is saved to its
 * {@code job.json} before it is visible, so a restart (or a crash) loses at most the progress of the running jobs,
 * which are run again.
 */
public final class Jobs implements AutoCloseable {
    /** Runs one job in its folder and names the files it wrote (relative to the folder). */
    @FunctionalInterface
    public interface Runner {
        Outcome run(JobRecord job, Path dir, Progress progress) throws IOException;
    }

    /** What a finished run wrote; see {@link JobRecord} for the fields. */
    public record Outcome(String eo, String eoPng, String sarPng, String confidencePng, String confidenceTif, double seconds) {}

    /** Thrown from the progress callback to stop a run: the job was deleted, or the server is stopping. */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super("stopped", null, false, false);
        }
    }

    private final JobStore store;
    private final Runner runner;
    private final int capacity;
    private final Duration ttl;
    private final long quotaBytes;
    private final Consumer<String> log;
    private final Metrics metrics = new Metrics();
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    /** Jobs waiting, and places reserved by uploads being saved: read without the lock by /healthz and the 429 check. */
    private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
    private final List<Thread> workers = new ArrayList<>();
    private final ScheduledExecutorService janitor;
    private volatile boolean stopping;

    /**
     * Loads the jobs in the store (queued and interrupted ones go back on the queue, oldest first; finished ones are
     * kept) and starts {@code workers} worker threads and the expiry sweep.
     */
    public Jobs(JobStore store, Runner runner, int workers, int capacity, Duration ttl, long quotaBytes, Consumer<String> log) throws IOException {
        this.store = store;
        this.runner = runner;
        this.capacity = capacity;
        this.ttl = ttl;
        this.quotaBytes = quotaBytes;
        this.log = log;
        List<JobRecord> found = new ArrayList<>(store.loadAll(log));
        found.sort(Comparator.comparingLong(JobRecord::created));
        int resumed = 0;
        for (JobRecord r : found) {
            if (!r.finishedState()) {
                if (r.state().equals(JobRecord.RUNNING)) store.save(r = r.requeued()); // interrupted: run again from the start
                Job j = new Job(r);
                jobs.put(r.id(), j);
                queue.add(j); // resumed jobs may exceed the capacity: none is dropped
                waiting.incrementAndGet();
                resumed++;
            } else {
                Job j = new Job(r);
                j.bytes = store.size(r.id());
                jobs.put(r.id(), j);
            }
        }
        if (!found.isEmpty()) log.accept("resumed " + resumed + " queued job(s), kept " + (found.size() - resumed) + " finished job(s) from " + store.root());
        sweep();
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(this::work, "cdiffset-worker-" + i);
            t.setDaemon(true);
            this.workers.add(t);
            t.start();
        }
        long period = Math.max(200, Math.min(ttl.toMillis() / 4, 60_000));
        janitor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cdiffset-expiry");
            t.setDaemon(true);
            return t;
        });
        janitor.scheduleWithFixedDelay(this::sweepQuietly, period, period, TimeUnit.MILLISECONDS);
    }

    public JobStore store() {
        return store;
    }

    /** Whether a new job would be queued now (a cheap check before an upload is stored). */
    public boolean hasRoom() {
        return waiting.get() < capacity && !stopping;
    }

    /**
     * Queues a job whose folder holds its checked input; false if the queue is full (the caller removes the folder).
     * Its place is reserved first and {@code job.json} written outside the lock, so a slow disk never holds up the
     * other requests.
     */
    public boolean submit(JobRecord r) {
        synchronized (this) {
            if (waiting.get() >= capacity || stopping) {
                metrics.rejected();
                return false;
            }
            waiting.incrementAndGet(); // reserved
        }
        try {
            store.save(r);
        } catch (RuntimeException e) {
            waiting.decrementAndGet();
            throw e;
        }
        synchronized (this) {
            Job j = new Job(r);
            jobs.put(r.id(), j);
            queue.add(j);
            metrics.submitted();
            notifyAll();
        }
        return true;
    }

    /** Counts an upload refused before it became a job (queue full before the upload was read). */
    public void rejected() {
        metrics.rejected();
    }

    public synchronized Optional<Job> find(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    /** 1 for the next job to run, or 0 if the job is not waiting. */
    public synchronized int position(Job j) {
        int i = 1;
        for (Job q : queue) {
            if (q == j) return i;
            i++;
        }
        return 0;
    }

    /**
     * Deletes a job: a queued or finished one at once; a running one is stopped at its next step and its folder
     * deleted then. False if there is no such job.
     */
    public boolean delete(String id) {
        Job j;
        boolean running;
        synchronized (this) {
            j = jobs.remove(id);
            if (j == null) return false;
            running = j.record().state().equals(JobRecord.RUNNING);
            if (!j.record().finishedState()) metrics.cancelled();
            if (queue.remove(j)) waiting.decrementAndGet();
            j.cancelled.set(true);
        }
        if (!running) store.delete(id); // a running job's worker deletes it when the run stops
        j.markRemoved();
        return true;
    }

    /** The newest jobs first. */
    public synchronized List<Job> recent(int limit) {
        List<Job> all = new ArrayList<>(jobs.values());
        all.sort(Comparator.comparingLong((Job j) -> j.record().created()).reversed());
        return all.subList(0, Math.min(limit, all.size()));
    }

    /** Jobs waiting for a worker (without the lock: /healthz must answer whatever the workers do). */
    public int queueLength() {
        return waiting.get();
    }

    public int capacity() {
        return capacity;
    }

    public synchronized Map<String, Integer> countByState() {
        Map<String, Integer> m = new HashMap<>();
        for (Job j : jobs.values()) m.merge(j.record().state(), 1, Integer::sum);
        return m;
    }

    /** Seconds until a refused client should try again: the queue ahead of it at the mean job duration. */
    public synchronized long retryAfterSeconds() {
        double mean = metrics.meanSeconds(10);
        int running = (int) jobs.values().stream().filter(j -> j.record().state().equals(JobRecord.RUNNING)).count();
        return Math.max(1, (long) Math.ceil(mean * (waiting.get() + running) / Math.max(1, workers.size())));
    }

    public String metricsText() {
        return metrics.render(waiting.get(), capacity, countByState());
    }

    /**
     * Deletes finished jobs that are older than the TTL, then the oldest finished jobs while the data folder is over
     * the quota (queued and running jobs are never deleted).
     */
    public void sweep() {
        long now = System.currentTimeMillis();
        List<String> expired = new ArrayList<>();
        synchronized (this) {
            long total = 0;
            List<Job> finished = new ArrayList<>();
            for (Job j : jobs.values()) {
                JobRecord r = j.record();
                if (r.finishedState() && r.finished() != null && now - r.finished() > ttl.toMillis()) expired.add(r.id());
                else if (r.finishedState()) {
                    finished.add(j);
                    total += j.bytes;
                }
            }
            finished.sort(Comparator.comparingLong(j -> j.record().finished()));
            for (int i = 0; i < finished.size() && total > quotaBytes; i++) {
                expired.add(finished.get(i).id());
                total -= finished.get(i).bytes;
            }
        }
        for (String id : expired) {
            if (delete(id)) log.accept("expired job " + id);
        }
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            log.accept("expiry sweep failed: " + e.getMessage());
        }
    }

    private void work() {
        while (true) {
            Job j;
            synchronized (this) {
                while (!stopping && queue.isEmpty()) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (stopping) return;
                j = queue.poll();
                waiting.decrementAndGet();
                j.update(j.record().running(System.currentTimeMillis()));
            }
            try {
                run(j);
            } catch (RuntimeException | Error e) { // the data folder failed (disk full?): the worker lives on for the next job
                log.accept("job " + j.id() + ": cannot record its state: " + e);
            }
        }
    }

    private void run(Job j) {
        JobRecord r = j.record();
        Path dir = store.dir(r.id());
        long t0 = System.nanoTime();
        Progress progress = (done, total, status) -> {
            if (j.cancelled.get() || stopping) throw new Stopped();
            j.progress(done, total, status);
        };
        JobRecord end;
        try {
            store.save(r); // running; outside the lock (a DELETE now is seen at the first step)
            Outcome o = runner.run(r, dir, progress);
            end = r.done(System.currentTimeMillis(), o.eo(), o.eoPng(), o.sarPng(), o.confidencePng(), o.confidenceTif(), o.seconds());
        } catch (Stopped e) {
            end = null;
        } catch (InputException e) {
            end = r.failed(System.currentTimeMillis(), oneLine(e.getMessage()));
        } catch (Throwable e) {
            log.accept("job " + r.id() + " failed: " + e);
            end = r.failed(System.currentTimeMillis(), "internal error: " + oneLine(String.valueOf(e.getMessage())) + " (see the server log)");
        }
        if (end == null && !j.cancelled.get()) { // the server is stopping: leave it queued on disk, to resume on the next start
            store.save(r.requeued());
            return;
        }
        if (end != null && !j.cancelled.get()) {
            store.save(end);
            j.bytes = store.size(r.id());
        }
        synchronized (this) {
            if (j.cancelled.get()) { // deleted while running (or while its end was being saved)
                store.delete(r.id());
                return;
            }
            j.update(end);
            metrics.finished(end.state().equals(JobRecord.DONE), (System.nanoTime() - t0) / 1e9);
        }
        sweepQuietly(); // the quota holds after every new result, not only at the next periodic sweep
    }

    static String oneLine(String m) {
        String first = m == null ? "" : m.strip().lines().findFirst().orElse("");
        return first.length() > 600 ? first.substring(0, 600) + "..." : first;
    }

    /** Stops the workers (a running job stops at its next step and stays queued on disk) and the expiry sweep. */
    @Override
    public void close() {
        synchronized (this) {
            stopping = true;
            notifyAll();
        }
        janitor.shutdownNow();
        for (Thread t : workers) {
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
