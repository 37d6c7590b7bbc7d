package io.cdiffset.server;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A job while the server knows it: its {@link JobRecord} (what {@code job.json} says) plus the live progress of a run,
 * which is not persisted. Readers wait for a change with {@link #awaitChange}, so a slow reader (an event stream)
 * never holds up the worker: it sees the latest state, not every step.
 */
public final class Job {
    /** Live progress of a running job: {@code step} of {@code steps} units (window × sampling step), and a status line. */
    public record Progress(long step, long steps, String status, Double etaSeconds) {}

    private volatile JobRecord record;
    private volatile Progress progress;
    private volatile long runStartNanos;
    private long version;
    /** Set by DELETE on a running job (the worker deletes the folder when it stops). */
    final AtomicBoolean cancelled = new AtomicBoolean();
    /** Bytes of the job folder once finished (for the disk quota). */
    volatile long bytes;
    private volatile boolean removed;

    Job(JobRecord record) {
        this.record = record;
    }

    public String id() {
        return record.id();
    }

    public JobRecord record() {
        return record;
    }

    /** The progress of the current run, or null if it has not started a step. */
    public Progress progress() {
        return progress;
    }

    void update(JobRecord r) {
        if (r.state().equals(JobRecord.RUNNING) && !record.state().equals(JobRecord.RUNNING)) {
            runStartNanos = System.nanoTime();
            progress = null;
        }
        record = r;
        changed();
    }

    void progress(long step, long steps, String status) {
        double elapsed = (System.nanoTime() - runStartNanos) / 1e9;
        Double eta = step > 0 ? elapsed / step * (steps - step) : null;
        progress = new Progress(step, steps, status, eta);
        changed();
    }

    /** Whether the job was deleted (by a request or by expiry); its folder is gone or going. */
    public boolean removed() {
        return removed;
    }

    void markRemoved() {
        removed = true;
        changed();
    }

    private synchronized void changed() {
        version++;
        notifyAll();
    }

    /** A number that grows with every change. */
    public synchronized long version() {
        return version;
    }

    /** Waits until the version differs from {@code seen} or the time is up; returns the current version. */
    public synchronized long awaitChange(long seen, long timeoutMillis) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMillis;
        while (version == seen) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) break;
            wait(left);
        }
        return version;
    }
}
