package io.cdiffset.cli;

import io.cdiffset.engine.Precision;
import io.cdiffset.io.raster.Rasters;
import io.cdiffset.server.ServerOptions;
import io.cdiffset.server.TranslationServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the translation page and HTTP API v1 (OpenAPI at /api/v1/openapi.json).",
                "One model is loaded once; uploads become jobs in DATA/<id>/ that a fixed pool of workers runs and that survive a restart."})
final class ServeCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "interface to listen on; 0.0.0.0 opens it to the network (default: ${DEFAULT-VALUE})") String host;
    @Option(names = "--port", defaultValue = "8080", description = "port, 0 for any free one (default: ${DEFAULT-VALUE})") int port;
    @Option(names = "--workers", defaultValue = "1", description = "jobs translated at once, each with all cores (default: ${DEFAULT-VALUE})") int workers;
    @Option(names = "--queue", defaultValue = "32", description = "jobs that may wait; more uploads get 429 (default: ${DEFAULT-VALUE})") int queue;
    @Option(names = "--data", defaultValue = "cdiffset-data", paramLabel = "DIR", description = "folder of the jobs, kept across restarts (default: ${DEFAULT-VALUE})") Path data;
    @Option(names = "--token-file", paramLabel = "FILE", description = "require Authorization: Bearer <the file's first line> on the API and /metrics") Path tokenFile;
    @Option(names = "--ttl", defaultValue = "24h", description = "delete finished jobs this long after they end, e.g. 30m, 24h, 7d (default: ${DEFAULT-VALUE})") String ttl;
    @Option(names = "--quota", defaultValue = "10G", description = "delete the oldest finished jobs while DATA is larger, e.g. 500M, 10G (default: ${DEFAULT-VALUE})") String quota;
    @Option(names = "--max-upload", defaultValue = "200M", description = "larger uploads get 413 (default: ${DEFAULT-VALUE})") String maxUpload;
    @Option(names = "--max-pixels", paramLabel = "N", description = "refuse larger images with 400 (default: " + Rasters.MAX_WHOLE_PIXELS
            + " for PNG / JPEG, " + Rasters.MAX_STREAMED_PIXELS + " for TIFF)") Long maxPixels;
    @Option(names = "--cors-origin", paramLabel = "ORIGIN", description = "let pages from ORIGIN (or *) call the API; off by default") String corsOrigin;

    @Override
    public Integer call() throws IOException, InterruptedException {
        model.checkDevice();
        ServerOptions opt = new ServerOptions(model.modelDir(), model.unet, Precision.parse(model.precision), host, port, workers, queue, data,
                token(), ServerOptions.parseDuration("--ttl", ttl), ServerOptions.parseBytes("--quota", quota),
                ServerOptions.parseBytes("--max-upload", maxUpload), maxPixels, corsOrigin);
        TranslationServer server = TranslationServer.start(opt, m -> System.err.println("cdiffset: " + m));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("cdiffset: stopping; queued and running jobs resume on the next start");
            server.close();
            stopped.countDown();
        }));
        System.err.printf("cdiffset: serving %s on %s (API %sapi/v1, %d worker(s), queue %d, data %s%s)%n", opt.model(), server.url(), server.url(),
                workers, queue, data.toAbsolutePath(), opt.token() != null ? ", token required" : "");
        if (!isLoopback(host) && opt.token() == null) {
            System.err.println("cdiffset: warning: listening on " + host + " without --token-file: anyone who can reach it can use it");
        }
        stopped.await();
        return 0;
    }

    private String token() throws IOException {
        if (tokenFile == null) return null;
        if (!Files.isRegularFile(tokenFile)) throw new UserError("--token-file " + tokenFile + " not found; write the token into it (one line)");
        String t = Files.readString(tokenFile, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
        if (t.length() < 16) throw new UserError("--token-file " + tokenFile + ": the token must be at least 16 characters (e.g. openssl rand -hex 32)");
        return t;
    }

    private static boolean isLoopback(String host) {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
    }
}
