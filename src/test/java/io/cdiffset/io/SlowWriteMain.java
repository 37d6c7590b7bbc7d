package io.cdiffset.io;

import io.cdiffset.io.raster.AtomicFiles;
import io.cdiffset.train.Checkpoints;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Child process of {@link ShutdownCleanupTest}: starts an atomic file write and a checkpoint write in DIR, both
 * stuck half-way, prints WRITING and waits to be killed.
 */
public final class SlowWriteMain {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        CountDownLatch started = new CountDownLatch(2);
        Thread file = new Thread(() -> {
            try {
                AtomicFiles.write(dir.resolve("out.bin"), out -> {
                    out.write(new byte[100_000]);
                    out.flush();
                    started.countDown();
                    try {
                        Thread.sleep(600_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Thread cp = new Thread(() -> new Checkpoints(dir.resolve("run")).save(2, d -> {
            Files.write(d.resolve("model.safetensors"), new byte[100_000]);
            started.countDown();
            try {
                Thread.sleep(600_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, 0));
        file.start();
        cp.start();
        started.await();
        System.out.println("WRITING");
        System.out.flush();
        file.join();
    }
}
