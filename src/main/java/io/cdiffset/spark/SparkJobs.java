package io.cdiffset.spark;

import io.cdiffset.engine.InputException;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Starting a Spark context for cdiffset: the master and settings, and the JVM options libtorch needs on executors. */
public final class SparkJobs {
    /** JavaCPP must not cap native memory by the Java heap (the model lives off-heap); as the launcher's. */
    public static final String EXECUTOR_JAVA_OPTIONS = "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0";

    private SparkJobs() {}

    /**
     * A context with spark-submit's settings (read from the {@code spark.*} system properties it sets), else
     * {@code master} (default {@code local[*]}), plus {@code conf}. Executors get {@link #EXECUTOR_JAVA_OPTIONS}
     * unless {@code spark.executor.extraJavaOptions} is set.
     */
    public static JavaSparkContext context(String appName, String master, Map<String, String> conf) {
        if (System.getProperty("log4j2.configurationFile") == null && System.getProperty("spark.master") == null) {
            // not under spark-submit and no logging set up: Spark's warnings only, not its INFO lines
            System.setProperty("log4j2.configurationFile", "io/cdiffset/spark/log4j2-cli.properties");
        }
        SparkConf c = new SparkConf().setAppName(appName);
        if (master != null) c.setMaster(master);
        else if (!c.contains("spark.master")) c.setMaster("local[*]");
        for (Map.Entry<String, String> e : conf.entrySet()) c.set(e.getKey(), e.getValue());
        if (!c.contains("spark.executor.extraJavaOptions")) c.set("spark.executor.extraJavaOptions", EXECUTOR_JAVA_OPTIONS);
        c.setIfMissing("spark.ui.showConsoleProgress", "false"); // our own progress lines instead
        if (c.get("spark.master").startsWith("local")) { // one JVM: nothing to reach from outside
            c.setIfMissing("spark.driver.host", "127.0.0.1");
            c.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        return new JavaSparkContext(c);
    }

    /** Refuses an output folder that is a scene's folder (outputs would mix with or overwrite the inputs). */
    public static void checkOutFolder(List<String> scenes, Path out) {
        Path o = out.toAbsolutePath().normalize();
        for (String s : scenes) {
            java.net.URI u = new org.apache.hadoop.fs.Path(s).toUri();
            if ((u.getScheme() == null || u.getScheme().equals("file")) && Path.of(u.getPath()).getParent().equals(o)) {
                throw new InputException("-o " + out + " is the folder of the scene " + s + "; outputs would mix with the inputs; choose another -o");
            }
        }
    }
}
