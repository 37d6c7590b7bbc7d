package io.cdiffset.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipTokenizerTest {

    private static final Path DIR = fixtureDir();
    private static ClipTokenizer tokenizer;
    private static JsonNode expected;

    static Path fixtureDir() {
        try {
            return Paths.get(ClipTokenizerTest.class.getResource("/fixtures/tokenizer/vocab.json").toURI()).getParent();
        } catch (Exception e) {
            throw new IllegalStateException("tokenizer fixture not on the test classpath", e);
        }
    }

    @BeforeAll
    static void setUp() throws IOException {
        tokenizer = ClipTokenizer.fromFolder(DIR);
        expected = new ObjectMapper().readTree(DIR.resolve("expected_ids.json").toFile());
    }

    private static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).intValue();
        }
        return out;
    }

    @Test
    void specialIdsMatchFixture() {
        assertEquals(expected.get("bos_id").intValue(), tokenizer.bosId());
        assertEquals(expected.get("eos_id").intValue(), tokenizer.eosId());
        assertEquals(expected.get("pad_id").intValue(), tokenizer.padId());
        assertEquals(49406, tokenizer.bosId());
        assertEquals(49407, tokenizer.eosId());
        assertEquals(0, tokenizer.padId());
        assertEquals("!", tokenizer.padToken());
        assertEquals(49408, tokenizer.vocabSize());
    }

    @Test
    void cdiffsetPrompt() {
        assertArrayEquals(new int[] {49406, 23244, 268, 16822, 2867, 49407}, tokenizer.encode("electro-optical image"));
        int[] padded = tokenizer.encode("electro-optical image", 77);
        assertEquals(77, padded.length);
        for (int i = 6; i < 77; i++) {
            assertEquals(0, padded[i]);
        }
        assertEquals(List.of("electro</w>", "-</w>", "optical</w>", "image</w>"), tokenizer.tokens("electro-optical image"));
    }

    @Test
    void allFixturePromptsMatchTransformers() {
        List<String> failures = new ArrayList<>();
        int n = 0;
        for (JsonNode c : expected.get("cases")) {
            String text = c.get("text").asText();
            int[] ids = tokenizer.encode(text);
            int[] padded = tokenizer.encode(text, 77);
            if (!java.util.Arrays.equals(ints(c.get("ids")), ids)) {
                failures.add("ids of " + text + ": got " + java.util.Arrays.toString(ids));
            }
            if (!java.util.Arrays.equals(ints(c.get("ids_padded_77")), padded)) {
                failures.add("ids_padded_77 of " + text + ": got " + java.util.Arrays.toString(padded));
            }
            n++;
        }
        assertEquals(13, n);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void truncationKeepsEosLast() {
        String text = "word ".repeat(200);
        int[] ids = tokenizer.encode(text);
        assertEquals(77, ids.length);
        assertEquals(49406, ids[0]);
        assertEquals(49407, ids[76]);
        int[] short10 = tokenizer.encode(text, 10);
        assertEquals(10, short10.length);
        assertEquals(49407, short10[9]);
        assertArrayEquals(new int[] {49406, 49407}, tokenizer.encode(""));
    }

    /** Encoding a text again (answered from the tokenizer's cache) still gives transformers' ids. */
    @Test
    void cachedResultsMatchTransformers() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(DIR.resolve("expected_ids.json").toFile()).get("cases");
        for (int round = 0; round < 2; round++) {
            for (JsonNode c : cases) {
                int[] want = new int[c.get("ids").size()];
                for (int i = 0; i < want.length; i++) want[i] = c.get("ids").get(i).asInt();
                assertArrayEquals(want, tokenizer.encode(c.get("text").asText()), "round " + round + ": " + c.get("text").asText());
            }
        }
    }

    @Test
    void loadWithExplicitFilesUsesSd21PadToken() throws IOException {
        ClipTokenizer t = ClipTokenizer.load(DIR.resolve("vocab.json"), DIR.resolve("merges.txt"));
        assertEquals(0, t.padId());
        assertArrayEquals(tokenizer.encode("a photo of a cat", 77), t.encode("a photo of a cat", 77));
    }

    @Test
    void folderPadTokenFallsBackToTokenizerConfig(@TempDir Path tmp) throws IOException {
        Files.copy(DIR.resolve("vocab.json"), tmp.resolve("vocab.json"));
        Files.copy(DIR.resolve("merges.txt"), tmp.resolve("merges.txt"));
        Files.copy(DIR.resolve("tokenizer_config.json"), tmp.resolve("tokenizer_config.json"));
        ClipTokenizer t = ClipTokenizer.fromFolder(tmp);
        assertEquals(49407, t.padId()); // tokenizer_config says <|endoftext|> when no special_tokens_map overrides
        int[] p = t.encode("a cat", 8);
        assertArrayEquals(new int[] {49406, 320, 2368, 49407, 49407, 49407, 49407, 49407}, p);
    }

    @Test
    void missingFilesGiveOneLineErrorsNamingTheFile(@TempDir Path tmp) throws IOException {
        IOException e1 = assertThrows(IOException.class,
                () -> ClipTokenizer.load(tmp.resolve("vocab.json"), DIR.resolve("merges.txt")));
        assertTrue(e1.getMessage().contains("vocab.json"), e1.getMessage());
        assertFalse(e1.getMessage().contains("\n"));

        IOException e2 = assertThrows(IOException.class,
                () -> ClipTokenizer.load(DIR.resolve("vocab.json"), tmp.resolve("merges.txt")));
        assertTrue(e2.getMessage().contains("merges.txt"), e2.getMessage());

        Path badVocab = tmp.resolve("bad_vocab.json");
        Files.writeString(badVocab, "{\"a\": 1,,,", StandardCharsets.UTF_8);
        IOException e3 = assertThrows(IOException.class, () -> ClipTokenizer.load(badVocab, DIR.resolve("merges.txt")));
        assertTrue(e3.getMessage().contains("bad_vocab.json"), e3.getMessage());
        assertFalse(e3.getMessage().contains("\n"), e3.getMessage());

        Path badMerges = tmp.resolve("bad_merges.txt");
        Files.writeString(badMerges, "#version: 0.2\ni n\nthis has three\n", StandardCharsets.UTF_8);
        IOException e4 = assertThrows(IOException.class, () -> ClipTokenizer.load(DIR.resolve("vocab.json"), badMerges));
        assertTrue(e4.getMessage().contains("bad_merges.txt") && e4.getMessage().contains("line 3"), e4.getMessage());

        IOException e5 = assertThrows(IOException.class, () -> ClipTokenizer.fromFolder(tmp.resolve("nope")));
        assertTrue(e5.getMessage().contains("nope"), e5.getMessage());
    }
}
