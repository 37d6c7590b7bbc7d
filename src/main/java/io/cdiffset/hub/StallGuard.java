package io.cdiffset.hub;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A download body whose reads fail once no byte has arrived for the download timeout ({@code HF_HUB_DOWNLOAD_TIMEOUT},
 * as huggingface_hub reads it). The JDK's HTTP client times out only the wait for the response headers; a server
 * or network that stalls in the middle of a body would otherwise block {@code pull} forever. A watchdog interrupts
 * the reading thread and closes the stream; the read then throws an IOException that says what happened. What was
 * received is kept by the caller, and the next pull resumes from it.
 */
final class StallGuard extends FilterInputStream {
    private static final ScheduledExecutorService WATCH = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cdiffset-download-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final String source;
    private final Duration timeout;
    private final ScheduledFuture<?> watch;
    private volatile long waitingSince;
    private volatile Thread reader;
    private volatile boolean stalled;

    StallGuard(InputStream in, Duration timeout, String source) {
        super(in);
        this.timeout = timeout;
        this.source = source;
        long period = Math.max(20, timeout.toMillis() / 4);
        this.watch = WATCH.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    private void check() {
        Thread r = reader;
        if (r == null || stalled || System.nanoTime() - waitingSince <= timeout.toNanos()) return;
        stalled = true;
        r.interrupt(); // wakes a read blocked in the HTTP client's queue
        try {
            in.close();
        } catch (IOException ignored) {
            // the read fails either way
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        waitingSince = System.nanoTime();
        reader = Thread.currentThread();
        try {
            int n = in.read(b, off, len);
            if (stalled) throw stall(null);
            return n;
        } catch (IOException e) {
            throw stalled ? stall(e) : e;
        } finally {
            reader = null;
            if (stalled) Thread.interrupted(); // the watchdog's interrupt is consumed here, not by the caller's next wait
        }
    }

    private IOException stall(IOException cause) {
        String secs = timeout.toMillis() % 1000 == 0 ? Long.toString(timeout.toSeconds()) : String.format(java.util.Locale.ROOT, "%.1f", timeout.toMillis() / 1000.0);
        return new IOException(source + ": no data for " + secs + " s (HF_HUB_DOWNLOAD_TIMEOUT); what arrived is kept: run the same pull again to resume it", cause);
    }

    @Override
    public void close() throws IOException {
        watch.cancel(false);
        super.close();
    }
}
