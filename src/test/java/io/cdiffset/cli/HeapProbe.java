package io.cdiffset.cli;

import io.cdiffset.data.SarMapping;
import io.cdiffset.io.raster.Raster;
import io.cdiffset.io.raster.Rasters;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Run in a child JVM with a small -Xmx by {@link LargeSceneMemoryTest}: {@code translate ARGS...} runs the CLI and
 * prints the peak heap use; {@code whole FILE} does what the old whole-image path allocated before its first window
 * (raster, model-space copy, accumulators, outputs) and exits 3 on OutOfMemoryError (the control).
 */
public final class HeapProbe {
    private HeapProbe() {}

    public static void main(String[] args) {
        int code;
        if (args[0].equals("whole")) {
            try {
                Raster r = Rasters.read(Path.of(args[1]));
                float[] x = SarMapping.toModel(r, "whole");
                int n = r.width() * r.height();
                float[] acc = new float[3 * n], conf = new float[n], wsum = new float[n];
                float[] outEo = new float[3 * n], outConf = new float[n];
                System.out.println("whole-image arrays fit: " + (x.length + acc.length + conf.length + wsum.length + outEo.length + outConf.length));
                code = 0;
            } catch (OutOfMemoryError | RuntimeException e) {
                System.out.println("whole-image path: " + e);
                code = 3;
            }
        } else {
            code = Main.run(args);
        }
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) peak += p.getPeakUsage().getUsed();
        }
        System.out.printf("peak heap used: %.1f MB of max %.1f MB (exit %d)%n", peak / 1048576.0,
                Runtime.getRuntime().maxMemory() / 1048576.0, code);
        System.out.flush();
        System.exit(code);
    }
}
