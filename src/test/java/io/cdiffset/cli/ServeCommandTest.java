package io.cdiffset.cli;

import io.cdiffset.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** `cdiffset serve` refuses bad options and a busy port in one line, exit 2, before listening, leaving no data folder. */
class ServeCommandTest {
    @TempDir
    Path tmp;

    static void assertRefused(TranslateCommandTest.Run r, String mentions) {
        assertEquals(2, r.code(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("cdiffset: error: ") && last.contains(mentions), r.err());
    }

    @Test
    void badOptions() throws Exception {
        Path model = TestModels.tinyModel(tmp.resolve("model"));
        Path data = tmp.resolve("data");
        assertRefused(TranslateCommandTest.run("serve", "--model", model.toString(), "--data", data.toString(), "--ttl", "soon"), "--ttl must be a duration");
        assertRefused(TranslateCommandTest.run("serve", "--model", model.toString(), "--data", data.toString(), "--quota", "lots"), "--quota must be a size");
        assertRefused(TranslateCommandTest.run("serve", "--model", model.toString(), "--data", data.toString(), "--workers", "0"), "--workers must be at least 1");
        assertRefused(TranslateCommandTest.run("serve", "--model", model.toString(), "--data", data.toString(), "--token-file", tmp.resolve("none").toString()),
                "--token-file");
        Path shortToken = Files.writeString(tmp.resolve("token"), "abc\n");
        assertRefused(TranslateCommandTest.run("serve", "--model", model.toString(), "--data", data.toString(), "--token-file", shortToken.toString()),
                "at least 16 characters");
        assertFalse(Files.exists(data), "nothing is created by a refused start");
    }

    @Test
    void aBusyPortIsOneLine() throws Exception {
        Path model = TestModels.tinyModel(tmp.resolve("model"));
        Path data = tmp.resolve("data");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            TranslateCommandTest.Run r = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> TranslateCommandTest.run("serve", "--model", model.toString(),
                    "--data", data.toString(), "--port", String.valueOf(taken.getLocalPort())));
            assertRefused(r, "cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
        assertFalse(Files.exists(data), "a failed start leaves no data folder");
    }
}
