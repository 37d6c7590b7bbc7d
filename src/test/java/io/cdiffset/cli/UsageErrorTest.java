package io.cdiffset.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Usage errors (picocli parameter errors) are one line, naming the command's help, exit 2. */
class UsageErrorTest {
    static void assertOneLine(TranslateCommandTest.Run r, String command, String mentions) {
        assertEquals(2, r.code(), r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), "one line, got:\n" + r.err());
        String l = lines.get(0);
        assertTrue(l.startsWith("cdiffset: error: "), l);
        assertTrue(l.endsWith("(see " + command + " --help)"), l);
        assertTrue(l.contains(mentions), l);
    }

    @Test
    void badOptionValue() {
        assertOneLine(TranslateCommandTest.run("translate", "in.png", "-o", "out", "--seed", "abc"), "cdiffset translate", "abc");
    }

    @Test
    void unknownOption() {
        assertOneLine(TranslateCommandTest.run("translate", "in.png", "-o", "out", "--frobnicate"), "cdiffset translate", "--frobnicate");
    }

    @Test
    void missingRequiredOption() {
        assertOneLine(TranslateCommandTest.run("translate", "in.png"), "cdiffset translate", "--out");
    }

    @Test
    void trainVaeUnknownOption() {
        assertOneLine(TranslateCommandTest.run("train-vae", "--steps", "3"), "cdiffset train-vae", "--steps");
    }

    @Test
    void unknownCommand() {
        assertOneLine(TranslateCommandTest.run("translat", "in.png"), "cdiffset", "translat");
    }
}
