package io.cdiffset.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link BoundedMemoryTest}: runs the CLI with ARGS and prints the process's peak resident set
 * ({@code VmHWM} of /proc/self/status) and the time from JVM start, then exits with the CLI's exit code.
 */
public final class RssProbe {
    private RssProbe() {}

    public static void main(String[] args) throws Exception {
        int code = Main.run(args);
        String hwm = "?";
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmHWM:")) hwm = l.substring(6).strip();
        }
        long ms = System.currentTimeMillis() - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        System.out.println("probe: VmHWM " + hwm + ", " + ms + " ms, exit " + code);
        System.out.flush();
        System.exit(code);
    }
}
