package io.cdiffset.spark;

import io.cdiffset.TestModels;
import io.cdiffset.engine.Engine;
import org.apache.spark.api.java.JavaSparkContext;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Spark standalone cluster on loopback: a master and two workers in JVMs of their own (127.0.0.1 only, small
 * heaps), started from this test with its class path; the job is submitted to it from here. One worker is killed
 * with SIGKILL while window groups are still running: the job completes on the other, the outputs equal
 * single-process {@code translate} byte for byte (1 libtorch thread in both), the corrupt scene fails alone, and a
 * second run skips every scene without touching an output.
 */
class SparkClusterTest {
    @TempDir
    static Path tmp;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void standaloneClusterSurvivesAKilledWorkerAndEqualsSingleProcess() throws Exception {
        SparkTranslateTest.modelDir = TestModels.tinyModel(tmp.resolve("model"));
        SparkTranslateTest.scenes = Files.createDirectories(tmp.resolve("scenes"));
        SparkTranslateTest.writeScenes(SparkTranslateTest.scenes);
        Path ref = tmp.resolve("ref");
        Engine.init();
        int threads = torch.get_num_threads();
        torch.set_num_threads(1); // as each executor: 1 core, 1 libtorch thread
        try {
            SparkTranslateTest.reference(ref, 1);
        } finally {
            torch.set_num_threads(threads);
        }

        List<Process> procs = new ArrayList<>();
        try {
            int port = freePort();
            Path home = Files.createDirectories(tmp.resolve("spark-home/jars")).getParent(); // SPARK_HOME with no jars of its own
            procs.add(start("master", home, List.of("-Dspark.master.rest.enabled=false", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "" + port,
                    "--webui-port", "" + freePort())));
            waitForPort(port, 60);
            String url = "spark://127.0.0.1:" + port;
            for (int i = 1; i <= 2; i++) {
                procs.add(start("worker" + i, home, List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
                        "--memory", "1500m", "--webui-port", "" + freePort(), "--work-dir", tmp.resolve("work" + i).toString(), url)));
            }
            Path out = tmp.resolve("out-cluster");
            Map<String, String> conf = Map.of("spark.ui.enabled", "false", "spark.driver.host", "127.0.0.1", "spark.driver.bindAddress", "127.0.0.1",
                    "spark.executor.cores", "1", "spark.cores.max", "2", "spark.executor.memory", "512m",
                    "spark.executor.extraClassPath", classPath());
            try (JavaSparkContext sc = SparkJobs.context("cluster test", url, conf)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (sc.statusTracker().getExecutorInfos().length < 3) { // the driver and both executors
                    assertTrue(System.nanoTime() < deadline, "executors did not register; see " + tmp.resolve("*.log"));
                    Thread.sleep(200);
                }
                List<String> list = SceneFiles.list(SparkTranslateTest.scenes.toString(), sc.hadoopConfiguration());
                JobSpec spec = SparkTranslateTest.spec(out, 1, 1); // one window per task: 5 tasks
                ByteArrayOutputStream log = new ByteArrayOutputStream();
                CompletableFuture<SparkTranslate.Report> run = CompletableFuture.supplyAsync(() -> {
                    try {
                        return SparkTranslate.run(sc, spec, list, new PrintStream(log, true));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                // kill -9 worker 2 (and its executor) once some window groups are done and others still run
                Path work = out.resolve(SparkTranslate.WORK);
                int groupsAtKill = -1;
                while (!run.isDone()) {
                    int n = countGroups(work);
                    if (n >= 2) {
                        groupsAtKill = n;
                        Process w2 = procs.get(2);
                        w2.descendants().forEach(ProcessHandle::destroyForcibly);
                        w2.destroyForcibly();
                        break;
                    }
                    Thread.sleep(50);
                }
                SparkTranslate.Report first = run.get(150, TimeUnit.SECONDS);
                System.out.print(log);
                System.out.println("worker 2 killed after " + groupsAtKill + " window groups");
                assertTrue(groupsAtKill > 0, "the job ended before a worker could be killed");
                assertEquals(3, first.count(SparkTranslate.Status.DONE), first.summary());
                assertEquals(1, first.count(SparkTranslate.Status.FAILED), first.summary());
                SparkTranslateTest.assertSameOutputs(ref, out);

                Map<String, java.nio.file.attribute.FileTime> before = SparkTranslateTest.times(out);
                SparkTranslate.Report second = SparkTranslate.run(sc, spec, list, new PrintStream(new ByteArrayOutputStream(), true));
                assertEquals(3, second.count(SparkTranslate.Status.SKIPPED), second.summary());
                assertEquals(before, SparkTranslateTest.times(out), "the second run changed outputs");
            }
        } finally {
            for (Process p : procs) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            for (Process p : procs) p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static int countGroups(Path work) throws Exception {
        if (!Files.isDirectory(work)) return 0;
        try (Stream<Path> s = Files.walk(work)) {
            return (int) s.filter(p -> p.getFileName().toString().startsWith("group-")).count();
        }
    }

    /** This test JVM's class path (surefire's real one when it forks with a manifest-only jar). */
    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    static Process start(String name, Path sparkHome, List<String> mainAndArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0"));
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || a.startsWith("-Dio.netty")) cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_LOG_DIR", tmp.toString());
        return pb.start();
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void waitForPort(int port, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (java.io.IOException e) {
                if (System.nanoTime() > deadline) throw new AssertionError("Spark master did not open port " + port + "; see " + tmp.resolve("master.log"));
                Thread.sleep(200);
            }
        }
    }

}
