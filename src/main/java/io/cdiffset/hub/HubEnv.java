package io.cdiffset.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The environment variables huggingface_hub reads (its {@code constants.py}), resolved once:
 * <ul>
 *   <li>{@code HF_HOME} (default {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface});</li>
 *   <li>the hub cache {@code HF_HUB_CACHE}, else the legacy {@code HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub};</li>
 *   <li>{@code HF_ENDPOINT} (default {@code https://huggingface.co}, trailing slash removed);</li>
 *   <li>{@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) set to 1 / ON / YES / TRUE;</li>
 *   <li>the token: {@code HF_TOKEN}, else the file {@code HF_TOKEN_PATH} (default {@code $HF_HOME/token});</li>
 *   <li>{@code HF_HUB_DOWNLOAD_TIMEOUT}: seconds a download may go without receiving a byte (default 10).</li>
 * </ul>
 * Taken as a map so tests can point it at a fake hub and a temporary cache.
 */
public record HubEnv(String endpoint, Path cache, boolean offline, String tokenVar, Path tokenPath, java.time.Duration downloadTimeout) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");
    /** huggingface_hub's {@code DEFAULT_DOWNLOAD_TIMEOUT}. */
    public static final java.time.Duration DEFAULT_DOWNLOAD_TIMEOUT = java.time.Duration.ofSeconds(10);

    public static HubEnv system() {
        return from(System.getenv());
    }

    public static HubEnv from(Map<String, String> env) {
        Path home = Path.of(System.getProperty("user.home"));
        String xdg = blankToNull(env.get("XDG_CACHE_HOME"));
        Path hfHome = env.get("HF_HOME") != null && !env.get("HF_HOME").isBlank() ? expand(env.get("HF_HOME"), home)
                : (xdg != null ? expand(xdg, home) : home.resolve(".cache")).resolve("huggingface");
        String cacheVar = blankToNull(env.getOrDefault("HF_HUB_CACHE", env.get("HUGGINGFACE_HUB_CACHE")));
        Path cache = cacheVar != null ? expand(cacheVar, home) : hfHome.resolve("hub");
        String endpoint = blankToNull(env.get("HF_ENDPOINT"));
        endpoint = endpoint == null ? DEFAULT_ENDPOINT : endpoint.replaceAll("/+$", "");
        String off = blankToNull(env.get("HF_HUB_OFFLINE"));
        if (off == null) off = blankToNull(env.get("TRANSFORMERS_OFFLINE"));
        boolean offline = off != null && TRUE.contains(off.toUpperCase(Locale.ROOT));
        String tokenPath = blankToNull(env.get("HF_TOKEN_PATH"));
        return new HubEnv(endpoint, cache, offline, blankToNull(env.get("HF_TOKEN")),
                tokenPath != null ? expand(tokenPath, home) : hfHome.resolve("token"), timeout(env.get("HF_HUB_DOWNLOAD_TIMEOUT")));
    }

    private static java.time.Duration timeout(String v) {
        if (blankToNull(v) == null) return DEFAULT_DOWNLOAD_TIMEOUT;
        double secs;
        try {
            secs = Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            secs = Double.NaN;
        }
        if (!(secs > 0) || secs > 86_400) {
            throw new HubException("HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds between 0 and 86400, got '" + v.strip() + "'; unset it for the default of 10");
        }
        return java.time.Duration.ofMillis(Math.max(1, Math.round(secs * 1000)));
    }

    /**
     * The token to send: the {@code --token-file} given, else {@code HF_TOKEN}, else the stored token file; empty when
     * none is set (public repos need none).
     */
    public Optional<String> token(Path tokenFile) {
        if (tokenFile != null) {
            if (!Files.isRegularFile(tokenFile)) throw new HubException("--token-file " + tokenFile + ": no such file");
            String t = read(tokenFile);
            if (t.isEmpty()) throw new HubException("--token-file " + tokenFile + " is empty; put your Hugging Face access token in it");
            return Optional.of(t);
        }
        if (tokenVar != null) return Optional.of(tokenVar.strip());
        if (Files.isRegularFile(tokenPath)) {
            String t = read(tokenPath);
            if (!t.isEmpty()) return Optional.of(t);
        }
        return Optional.empty();
    }

    private static String read(Path f) {
        try {
            return Files.readString(f).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the token file " + f + ": " + e.getMessage(), e);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static Path expand(String p, Path home) {
        return p.equals("~") ? home : p.startsWith("~/") ? home.resolve(p.substring(2)) : Path.of(p);
    }
}
