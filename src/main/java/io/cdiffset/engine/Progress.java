package io.cdiffset.engine;

/** Receives progress of long work (training steps, tiles, images). Implementations decide how to show it. */
public interface Progress {
    /** @param done units finished; @param total all units; @param status short text such as "loss 0.123" */
    void update(long done, long total, String status);

    /** A line for the log (not part of the bar). */
    default void message(String line) {}

    default void finish() {}

    Progress NONE = (d, t, s) -> {};
}
