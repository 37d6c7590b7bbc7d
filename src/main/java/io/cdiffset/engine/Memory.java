package io.cdiffset.engine;

import org.bytedeco.javacpp.Pointer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory of this process: resident set from /proc (Linux; -1 where unavailable) and JavaCPP's physical-bytes figure,
 * with {@link #settle()} to hand freed memory back first. Shared by the bench and the tests that bound memory growth.
 */
public final class Memory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private Memory() {}

    /** Current resident set, bytes (VmRSS). */
    public static long rss() {
        return statusKb("VmRSS:") * 1024;
    }

    /** Peak resident set since start or the last {@link #resetPeak()}, bytes (VmHWM). */
    public static long peak() {
        return statusKb("VmHWM:") * 1024;
    }

    /**
     * Resets VmHWM to the current RSS by writing "5" to /proc/self/clear_refs (Linux ≥ 4.0).
     *
     * @return whether the reset took effect
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return false;
        }
        long hwm = peak(), rss = rss();
        return hwm >= 0 && hwm <= rss + (8L << 20);
    }

    /** Returns freed memory to the OS as far as possible (GC for native handles, then malloc_trim). */
    public static void settle() {
        System.gc();
        try {
            Thread.sleep(20); // let the reference handler enqueue the collected pointers
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Pointer.deallocateReferences();
        System.gc();
        try {
            Pointer.trimMemory();
        } catch (Throwable ignored) {
            // not on every platform
        }
    }

    /** JavaCPP's figure for the process's physical memory (same source as RSS on Linux), bytes. */
    public static long physical() {
        return Pointer.physicalBytes();
    }

    public static double mb(long bytes) {
        return bytes < 0 ? -1 : bytes / (1024.0 * 1024.0);
    }

    private static long statusKb(String key) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key)) {
                    String v = line.substring(key.length()).trim();
                    int sp = v.indexOf(' ');
                    return Long.parseLong(sp > 0 ? v.substring(0, sp) : v);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
