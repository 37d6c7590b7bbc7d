package io.cdiffset.cli;

import io.cdiffset.engine.Progress;

import java.io.PrintStream;

/** A progress bar on stderr: redrawn in place on a terminal, a plain line every few seconds otherwise. */
final class ConsoleProgress implements Progress {
    private final PrintStream err = System.err;
    private final String label;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private long lastPrint;
    private long firstDone = -1;
    private long firstTime;
    private long lastTotal = -1;
    private boolean open;

    ConsoleProgress(String label) {
        this.label = label;
    }

    @Override
    public synchronized void update(long done, long total, String status) {
        long now = System.nanoTime();
        if (firstDone < 0 || total != lastTotal || done < firstDone) {
            // the rate counts from the first report of this task (one bar may show several tasks in turn): a resumed
            // run starts at its checkpoint's step, not at 0
            firstDone = done;
            firstTime = now;
            lastTotal = total;
        }
        boolean end = done >= total;
        if (!end && now - lastPrint < (tty ? 100_000_000L : 5_000_000_000L) && done != 1) return;
        lastPrint = now;
        double secs = (now - start) / 1e9;
        double frac = total > 0 ? Math.min(1, (double) done / total) : 0;
        String eta = done > firstDone && total > done
                ? fmt((now - firstTime) / 1e9 / (done - firstDone) * (total - done)) : "--:--";
        int width = 24, fill = (int) Math.round(frac * width);
        String bar = "#".repeat(fill) + ".".repeat(width - fill);
        String line = String.format("%s [%s] %d/%d %3.0f%% %s elapsed %s ETA %s", label, bar, done, total, frac * 100,
                status == null ? "" : status, fmt(secs), eta);
        if (tty) {
            err.print("\r" + line + "\u001b[K");
            open = true;
            if (end) newline();
        } else {
            err.println(line);
        }
        err.flush();
    }

    @Override
    public synchronized void message(String line) {
        newline();
        err.println(line);
    }

    @Override
    public synchronized void finish() {
        newline();
    }

    private void newline() {
        if (open) {
            err.println();
            open = false;
        }
    }

    static String fmt(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String.format("%02d:%02d", t / 60, t % 60);
    }
}
