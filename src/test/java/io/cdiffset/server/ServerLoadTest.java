package io.cdiffset.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.cdiffset.server.ServerTests.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A bounded load test on loopback: 50 uploads at once against one worker and a queue of 8, in a fixed time budget.
 * Every request is answered 202 or 429 (no 5xx, no connection error), every accepted job completes, the queue never
 * holds more than its bound, /healthz answers within 200 ms throughout (1 s on a machine whose load exceeds its cores,
 * which the test prints), and the JVM's memory stays within the stated bound. The figures are printed (and recorded in BENCHMARKS.md); they are not speed assertions.
 */
class ServerLoadTest {
    static final int UPLOADS = 50, QUEUE = 8;
    static final Duration BUDGET = Duration.ofSeconds(150);
    /** Stated bounds: Java heap in use, and the whole process (libtorch, Jetty, 50 client connections included). */
    static final long MAX_HEAP_BYTES = 1L << 30, MAX_RSS_BYTES = 3L << 30;

    @TempDir
    Path tmp;

    @Test
    void fiftyConcurrentUploads() throws Exception {
        Path in = png(tmp, "load.png", 48, 48, 9);
        try (TranslationServer s = TranslationServer.start(options(tmp.resolve("data")).withQueue(1, QUEUE), m -> {})) {
            String b = s.url();
            for (int i = 0; i < 20; i++) get(b, "healthz", null); // warm: connection, JIT; what is measured is the server under load
            // the 200 ms bound is for a machine that has its cores to itself; on an oversubscribed one (a shared
            // build host) the probe waits for a CPU like everything else, so the bound there is 1 s (and says so)
            int cores = Runtime.getRuntime().availableProcessors();
            double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            long healthBound = load > cores ? 1000 : 200;
            if (healthBound != 200) System.out.printf(Locale.ROOT, "serve load: the machine is oversubscribed (load %.1f on %d cores): /healthz bound 1000 ms, not 200 ms%n", load, cores);
            long t0 = System.nanoTime();
            List<Long> healthMillis = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean probing = new AtomicBoolean(true);
            AtomicInteger maxQueue = new AtomicInteger();
            long[] peak = new long[2]; // heap, rss
            Thread probe = new Thread(() -> {
                while (probing.get()) {
                    try {
                        long h0 = System.nanoTime();
                        HttpResponse<String> r = get(b, "healthz", null);
                        long ms = (System.nanoTime() - h0) / 1_000_000;
                        if (r.statusCode() != 200) throw new AssertionError("healthz " + r.statusCode());
                        healthMillis.add(ms);
                        maxQueue.accumulateAndGet(s.jobs().queueLength(), Math::max);
                        peak[0] = Math.max(peak[0], ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                        peak[1] = Math.max(peak[1], rssBytes());
                        Thread.sleep(25);
                    } catch (Exception e) {
                        healthMillis.add(Long.MAX_VALUE);
                        return;
                    }
                }
            }, "healthz-probe");
            probe.start();

            ExecutorService pool = Executors.newFixedThreadPool(UPLOADS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < UPLOADS; i++) {
                int seed = i;
                answers.add(pool.submit(() -> {
                    go.await();
                    return submit(b, in, fields("steps", "2", "seed", String.valueOf(seed)), null);
                }));
            }
            go.countDown();
            Map<Integer, Integer> byStatus = new ConcurrentHashMap<>();
            List<String> accepted = new ArrayList<>();
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get(60, TimeUnit.SECONDS); // a connection error fails here
                byStatus.merge(r.statusCode(), 1, Integer::sum);
                assertTrue(r.statusCode() == 202 || r.statusCode() == 429, "every upload is accepted or asked to retry: " + r.statusCode() + " " + r.body());
                if (r.statusCode() == 202) accepted.add(json(r).get("id").asText());
                else assertTrue(r.headers().firstValue("Retry-After").isPresent());
            }
            pool.shutdown();
            long uploadedMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(accepted.size() >= QUEUE, "at least a full queue is accepted: " + byStatus);
            for (String id : accepted) {
                JsonNode d = await(b, id, BUDGET.minus(Duration.ofNanos(System.nanoTime() - t0)));
                assertEquals("done", d.get("state").asText(), "every accepted job completes: " + d);
            }
            probing.set(false);
            probe.join();
            long wallMs = (System.nanoTime() - t0) / 1_000_000;
            List<Long> lat = new ArrayList<>(healthMillis);
            Collections.sort(lat);
            assertFalse(lat.isEmpty());
            long max = lat.get(lat.size() - 1), p50 = lat.get(lat.size() / 2), p99 = lat.get(Math.min(lat.size() - 1, (int) (lat.size() * 0.99)));
            String figures = String.format(Locale.ROOT,
                    "serve load: %d uploads at once, 1 worker, queue %d: %d accepted (202), %d asked to retry (429), 0 errors; uploads answered in %d ms, "
                            + "all accepted jobs done in %d ms; queue peak %d; /healthz %d probes p50 %d ms, p99 %d ms, max %d ms; "
                            + "peak heap used %d MB, peak RSS %d MB",
                    UPLOADS, QUEUE, byStatus.getOrDefault(202, 0), byStatus.getOrDefault(429, 0), uploadedMs, wallMs, maxQueue.get(), lat.size(), p50, p99, max,
                    peak[0] >> 20, peak[1] >> 20) + String.format(Locale.ROOT, " (machine load %.1f on %d cores)", load, cores);
            System.out.println(figures);
            Files.writeString(Path.of("target/serve-load.txt"), figures + "\n");
            assertEquals(UPLOADS, byStatus.getOrDefault(202, 0) + byStatus.getOrDefault(429, 0));
            assertTrue(maxQueue.get() <= QUEUE, "the queue bound holds: " + maxQueue.get());
            assertTrue(max <= healthBound, "/healthz answers within " + healthBound + " ms throughout: " + figures);
            assertTrue(peak[0] <= MAX_HEAP_BYTES, "heap within the stated bound: " + figures);
            assertTrue(peak[1] <= MAX_RSS_BYTES, "process memory within the stated bound: " + figures);
            assertTrue(wallMs <= BUDGET.toMillis(), "within the time budget: " + figures);
        }
    }

    /** The process's resident set (Linux), or 0 where /proc is missing. */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
            }
        } catch (Exception e) {
            // not Linux
        }
        return 0;
    }
}
