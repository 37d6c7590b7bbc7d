package io.cdiffset.server;

import java.util.Locale;
import java.util.Map;

/**
 * The counters behind {@code GET /metrics}, written in the Prometheus text format (version 0.0.4) by hand: a few
 * gauges, counters and one histogram need no client library.
 */
final class Metrics {
    /** Upper bounds (seconds) of the job duration histogram's buckets. */
    static final double[] BUCKETS = {1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};

    private final long[] bucketCounts = new long[BUCKETS.length];
    private long durationCount;
    private double durationSum;
    private long submitted, rejected, succeeded, failed, cancelled;

    synchronized void submitted() {
        submitted++;
    }

    synchronized void rejected() {
        rejected++;
    }

    synchronized void cancelled() {
        cancelled++;
    }

    synchronized void finished(boolean ok, double seconds) {
        if (ok) succeeded++;
        else failed++;
        for (int i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) bucketCounts[i]++;
        durationCount++;
        durationSum += seconds;
    }

    /** Mean seconds of a finished job, or {@code fallback} before any. */
    synchronized double meanSeconds(double fallback) {
        return durationCount == 0 ? fallback : durationSum / durationCount;
    }

    /** The exposition text, with the queue length and the number of jobs in each state given by the caller. */
    synchronized String render(int queueLength, int capacity, Map<String, Integer> byState) {
        StringBuilder b = new StringBuilder();
        gauge(b, "cdiffset_queue_length", "Jobs waiting for a worker.", queueLength);
        gauge(b, "cdiffset_queue_capacity", "Jobs that may wait before uploads are refused with 429.", capacity);
        b.append("# HELP cdiffset_jobs Jobs the server holds, by state.\n# TYPE cdiffset_jobs gauge\n");
        for (String s : new String[]{JobRecord.QUEUED, JobRecord.RUNNING, JobRecord.DONE, JobRecord.FAILED}) {
            b.append("cdiffset_jobs{state=\"").append(s).append("\"} ").append(byState.getOrDefault(s, 0)).append('\n');
        }
        counter(b, "cdiffset_jobs_submitted_total", "Uploads accepted as jobs (202).", submitted);
        counter(b, "cdiffset_jobs_rejected_total", "Uploads refused because the queue was full (429).", rejected);
        counter(b, "cdiffset_jobs_cancelled_total", "Jobs deleted while queued or running.", cancelled);
        b.append("# HELP cdiffset_jobs_finished_total Jobs that ended, by outcome.\n# TYPE cdiffset_jobs_finished_total counter\n");
        b.append("cdiffset_jobs_finished_total{outcome=\"done\"} ").append(succeeded).append('\n');
        b.append("cdiffset_jobs_finished_total{outcome=\"failed\"} ").append(failed).append('\n');
        b.append("# HELP cdiffset_job_duration_seconds Wall-clock seconds from start to end of a run.\n# TYPE cdiffset_job_duration_seconds histogram\n");
        for (int i = 0; i < BUCKETS.length; i++) {
            b.append("cdiffset_job_duration_seconds_bucket{le=\"").append(num(BUCKETS[i])).append("\"} ").append(bucketCounts[i]).append('\n');
        }
        b.append("cdiffset_job_duration_seconds_bucket{le=\"+Inf\"} ").append(durationCount).append('\n');
        b.append("cdiffset_job_duration_seconds_sum ").append(num(durationSum)).append('\n');
        b.append("cdiffset_job_duration_seconds_count ").append(durationCount).append('\n');
        return b.toString();
    }

    private static void gauge(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(v).append('\n');
    }

    private static void counter(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.6f", v);
    }
}
