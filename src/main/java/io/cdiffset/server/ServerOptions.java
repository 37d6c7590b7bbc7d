package io.cdiffset.server;

import io.cdiffset.engine.InputException;
import io.cdiffset.engine.Precision;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * How {@code cdiffset serve} runs: the model, where it listens, how many jobs run and wait, where jobs live and for how
 * long, and the limits on what a request may send.
 *
 * @param model          model folder (loaded once)
 * @param unet           C-DiffSET UNet file for a diffusers folder, or null
 * @param precision      the precision the model is prepared for; every job runs at it
 * @param host           interface to bind (127.0.0.1 unless the user opens it up)
 * @param port           port, 0 for any free one
 * @param workers        jobs translated at once (each uses all cores; more only helps on many-core machines)
 * @param queue          jobs that may wait; one more is answered 429
 * @param data           the folder of job folders (survives restarts)
 * @param token          bearer token the API requires, or null for none
 * @param ttl            finished jobs are deleted this long after they finish
 * @param quotaBytes     finished jobs are deleted, oldest first, while the data folder is larger than this
 * @param maxUploadBytes larger uploads are refused with 413
 * @param maxPixels      the pixel limit of an input (null: the command line's defaults)
 * @param corsOrigin     the origin allowed to call the API from another site, or null (CORS off)
 */
public record ServerOptions(Path model, Path unet, Precision precision, String host, int port, int workers, int queue, Path data,
                            String token, Duration ttl, long quotaBytes, long maxUploadBytes, Long maxPixels, String corsOrigin) {
    public ServerOptions {
        if (workers < 1) throw new InputException("--workers must be at least 1, got " + workers);
        if (queue < 0) throw new InputException("--queue must be 0 or more, got " + queue);
        if (port < 0 || port > 65535) throw new InputException("--port must be 0-65535, got " + port);
        if (ttl.isNegative() || ttl.isZero()) throw new InputException("--ttl must be positive, got " + ttl);
        if (quotaBytes < 1) throw new InputException("--quota must be positive");
        if (maxUploadBytes < 1) throw new InputException("--max-upload must be positive");
        if (maxPixels != null && maxPixels < 1) throw new InputException("--max-pixels must be at least 1, got " + maxPixels);
        if (precision == null) precision = Precision.FP32;
    }

    /** Defaults for a model and data folder: loopback, port 8080, one worker, 32 waiting, 24 h, 10 GB, 200 MB uploads. */
    public static ServerOptions defaults(Path model, Path data) {
        return new ServerOptions(model, null, Precision.FP32, "127.0.0.1", 8080, 1, 32, data, null, Duration.ofHours(24),
                10L << 30, 200L << 20, null, null);
    }

    public ServerOptions withPort(int port) {
        return new ServerOptions(model, unet, precision, host, port, workers, queue, data, token, ttl, quotaBytes, maxUploadBytes, maxPixels, corsOrigin);
    }

    public ServerOptions withQueue(int workers, int queue) {
        return new ServerOptions(model, unet, precision, host, port, workers, queue, data, token, ttl, quotaBytes, maxUploadBytes, maxPixels, corsOrigin);
    }

    public ServerOptions withToken(String token) {
        return new ServerOptions(model, unet, precision, host, port, workers, queue, data, token, ttl, quotaBytes, maxUploadBytes, maxPixels, corsOrigin);
    }

    public ServerOptions withRetention(Duration ttl, long quotaBytes) {
        return new ServerOptions(model, unet, precision, host, port, workers, queue, data, token, ttl, quotaBytes, maxUploadBytes, maxPixels, corsOrigin);
    }

    public ServerOptions withLimits(long maxUploadBytes, Long maxPixels) {
        return new ServerOptions(model, unet, precision, host, port, workers, queue, data, token, ttl, quotaBytes, maxUploadBytes, maxPixels, corsOrigin);
    }

    public ServerOptions withCors(String corsOrigin) {
        return new ServerOptions(model, unet, precision, host, port, workers, queue, data, token, ttl, quotaBytes, maxUploadBytes, maxPixels, corsOrigin);
    }

    /** "90s", "30m", "24h", "7d" (a bare number is seconds). */
    public static Duration parseDuration(String option, String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        try {
            char u = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
            String num = Character.isDigit(u) ? t : t.substring(0, t.length() - 1);
            double v = Double.parseDouble(num);
            double seconds = switch (Character.isDigit(u) ? 's' : u) {
                case 's' -> v;
                case 'm' -> v * 60;
                case 'h' -> v * 3600;
                case 'd' -> v * 86400;
                default -> throw new NumberFormatException();
            };
            if (!(seconds > 0)) throw new NumberFormatException();
            return Duration.ofMillis(Math.round(seconds * 1000));
        } catch (NumberFormatException e) {
            throw new InputException(option + " must be a duration such as 90s, 30m, 24h or 7d, got " + s);
        }
    }

    /** "500M", "10G", "2T", "4096" (bytes); K/M/G/T are powers of 1024. */
    public static long parseBytes(String option, String s) {
        String t = s.strip().toUpperCase(Locale.ROOT).replaceAll("I?B$", "");
        try {
            char u = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
            String num = Character.isDigit(u) ? t : t.substring(0, t.length() - 1);
            int shift = switch (Character.isDigit(u) ? 'B' : u) {
                case 'B' -> 0;
                case 'K' -> 10;
                case 'M' -> 20;
                case 'G' -> 30;
                case 'T' -> 40;
                default -> throw new NumberFormatException();
            };
            double v = Double.parseDouble(num) * (1L << shift);
            if (!(v >= 1) || v > Long.MAX_VALUE / 2) throw new NumberFormatException();
            return (long) v;
        } catch (NumberFormatException e) {
            throw new InputException(option + " must be a size such as 500M, 10G or 1T, got " + s);
        }
    }
}
