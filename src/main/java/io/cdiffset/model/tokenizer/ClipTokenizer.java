package io.cdiffset.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP byte-level BPE tokenizer as used by Stable Diffusion 2.1 (OpenCLIP ViT-H/14 text tower), reproducing
 * {@code transformers} 5.18 {@code CLIPTokenizer} (see SD21_SPEC §4.4–4.5).
 *
 * <p>Pipeline: NFC → collapse {@code \s+} to one space → lowercase (per code point) → split out the special
 * (added) tokens bos / eos / unk / pad (for SD 2.1 the pad token is {@code !}, id 0, so every {@code !} in a prompt
 * becomes id 0) → CLIP pre-tokenisation regex → UTF-8 bytes through GPT-2 {@code bytes_to_unicode} → BPE with a
 * {@code </w>} end-of-word suffix → ids via {@code vocab.json}. The result is {@code [bos, ..., eos]}, truncated to
 * {@value #MODEL_MAX_LENGTH} tokens keeping eos last.
 *
 * <p>Instances are immutable apart from a thread-safe per-word BPE cache and may be shared between threads.
 */
public final class ClipTokenizer {

    /** Context length of the CLIP text encoder ({@code model_max_length}). */
    public static final int MODEL_MAX_LENGTH = 77;
    public static final String BOS_TOKEN = "<|startoftext|>";
    public static final String EOS_TOKEN = "<|endoftext|>";
    /** SD 2.1's pad token ({@code special_tokens_map.json}: {@code "pad_token": "!"}), id 0. */
    public static final String SD21_PAD_TOKEN = "!";

    private static final String END_OF_WORD = "</w>";
    private static final int MAX_CACHE_ENTRIES = 200_000;

    /** CLIP pre-tokenisation regex (SD21_SPEC §4.4 step 2). */
    private static final Pattern PIECE = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final String[] BYTE_TO_UNICODE = bytesToUnicode();

    private final Map<String, Integer> vocab;
    private final Map<String, Integer> mergeRanks;
    private final int bosId;
    private final int eosId;
    private final int unkId;
    private final int padId;
    private final String padToken;
    /** Special (added) tokens split out of the normalised text, longest first. */
    private final List<String> addedTokens;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private ClipTokenizer(Map<String, Integer> vocab, Map<String, Integer> mergeRanks, String padToken) {
        this.vocab = vocab;
        this.mergeRanks = mergeRanks;
        this.bosId = vocab.get(BOS_TOKEN);
        this.eosId = vocab.get(EOS_TOKEN);
        this.unkId = eosId; // unk_token = <|endoftext|>
        this.padToken = padToken;
        Integer pad = vocab.get(padToken);
        if (pad == null) {
            throw new IllegalArgumentException("CLIP tokenizer: pad token '" + padToken + "' is not in the vocabulary");
        }
        this.padId = pad;
        List<String> added = new ArrayList<>(List.of(BOS_TOKEN, EOS_TOKEN));
        if (!added.contains(padToken) && !padToken.isEmpty()) {
            added.add(padToken);
        }
        added.sort((a, b) -> Integer.compare(b.length(), a.length()));
        this.addedTokens = List.copyOf(added);
    }

    /**
     * Loads {@code vocab.json} and {@code merges.txt}; the pad token is SD 2.1's {@code "!"} (id 0).
     *
     * @throws IOException with a one-line message naming the file if it is missing or corrupt
     */
    public static ClipTokenizer load(Path vocabJson, Path mergesTxt) throws IOException {
        return load(vocabJson, mergesTxt, SD21_PAD_TOKEN);
    }

    /** As {@link #load(Path, Path)} with an explicit pad token (must be in the vocabulary). */
    public static ClipTokenizer load(Path vocabJson, Path mergesTxt, String padToken) throws IOException {
        Objects.requireNonNull(padToken, "padToken");
        Map<String, Integer> vocab = readVocab(vocabJson);
        Map<String, Integer> merges = readMerges(mergesTxt);
        for (String special : List.of(BOS_TOKEN, EOS_TOKEN)) {
            if (!vocab.containsKey(special)) {
                throw new IOException("CLIP tokenizer: vocab file " + vocabJson + " has no entry for " + special);
            }
        }
        if (!vocab.containsKey(padToken)) {
            throw new IOException("CLIP tokenizer: pad token '" + padToken + "' is not in vocab file " + vocabJson);
        }
        return new ClipTokenizer(vocab, merges, padToken);
    }

    /**
     * Loads a Hugging Face tokenizer folder: {@code vocab.json}, {@code merges.txt} and the pad token from
     * {@code special_tokens_map.json} if present (it overrides {@code tokenizer_config.json}, as in transformers),
     * else from {@code tokenizer_config.json}, else SD 2.1's {@code "!"}.
     */
    public static ClipTokenizer fromFolder(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException("CLIP tokenizer: folder not found: " + folder);
        }
        String pad = readPadToken(folder.resolve("special_tokens_map.json"));
        if (pad == null) {
            pad = readPadToken(folder.resolve("tokenizer_config.json"));
        }
        if (pad == null) {
            pad = SD21_PAD_TOKEN;
        }
        return load(folder.resolve("vocab.json"), folder.resolve("merges.txt"), pad);
    }

    /** Unpadded ids {@code [bos, ..., eos]}, truncated to {@value #MODEL_MAX_LENGTH} keeping eos last. */
    public int[] encode(String text) {
        return encode(text, MODEL_MAX_LENGTH, false);
    }

    /**
     * Ids truncated to {@code padTo} tokens (bos first, eos last) and right-padded with {@link #padId()} to exactly
     * {@code padTo} tokens, i.e. {@code tokenizer(text, padding="max_length", max_length=padTo, truncation=True)}.
     */
    public int[] encode(String text, int padTo) {
        return encode(text, padTo, true);
    }

    private int[] encode(String text, int maxLength, boolean pad) {
        Objects.requireNonNull(text, "text");
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be >= 2 (bos + eos), got " + maxLength);
        }
        int[] content = tokenize(text);
        int n = Math.min(content.length, maxLength - 2);
        int len = pad ? maxLength : n + 2;
        int[] ids = new int[len];
        if (pad && padId != 0) {
            Arrays.fill(ids, padId);
        }
        ids[0] = bosId;
        System.arraycopy(content, 0, ids, 1, n);
        ids[n + 1] = eosId;
        return ids;
    }

    /** BPE token strings (e.g. {@code "image</w>"}) of the text without bos / eos; for debugging. */
    public List<String> tokens(String text) {
        Map<Integer, String> inverse = new HashMap<>();
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            inverse.putIfAbsent(e.getValue(), e.getKey());
        }
        List<String> out = new ArrayList<>();
        for (int id : tokenize(text)) {
            out.add(inverse.get(id));
        }
        return out;
    }

    public int bosId() {
        return bosId;
    }

    public int eosId() {
        return eosId;
    }

    public int padId() {
        return padId;
    }

    public String padToken() {
        return padToken;
    }

    public int vocabSize() {
        return vocab.size();
    }

    // ------------------------------------------------------------------------------------------------------------

    /** Content ids (no bos/eos, no truncation). */
    private int[] tokenize(String text) {
        String normalized = normalize(text);
        IntList out = new IntList();
        int pos = 0;
        while (pos < normalized.length()) {
            int hit = -1;
            String hitToken = null;
            for (String t : addedTokens) {
                int i = normalized.indexOf(t, pos);
                if (i >= 0 && (hit < 0 || i < hit)) {
                    hit = i;
                    hitToken = t; // longest first, so ties at the same index keep the longest
                }
            }
            int end = hit < 0 ? normalized.length() : hit;
            tokenizeSegment(normalized.substring(pos, end), out);
            if (hit < 0) {
                break;
            }
            out.add(vocab.get(hitToken));
            pos = hit + hitToken.length();
        }
        return out.toArray();
    }

    /** transformers 5.x CLIP normaliser: NFC, {@code \s+} → " ", lowercase (per code point, no context rules). */
    static String normalize(String text) {
        String s = Normalizer.normalize(text, Normalizer.Form.NFC);
        s = WHITESPACE.matcher(s).replaceAll(" ");
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            sb.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
        }
        return sb.toString();
    }

    private void tokenizeSegment(String segment, IntList out) {
        if (segment.isEmpty()) {
            return;
        }
        Matcher m = PIECE.matcher(segment);
        while (m.find()) {
            String piece = m.group();
            if (piece.equals(BOS_TOKEN) || piece.equals(EOS_TOKEN)) {
                out.add(vocab.get(piece));
                continue;
            }
            int[] ids = cache.get(piece);
            if (ids == null) {
                ids = bpeIds(byteEncode(piece));
                if (cache.size() >= MAX_CACHE_ENTRIES) {
                    cache.clear();
                }
                cache.put(piece, ids);
            }
            out.addAll(ids);
        }
    }

    private static String byteEncode(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            sb.append(BYTE_TO_UNICODE[b & 0xFF]);
        }
        return sb.toString();
    }

    private int[] bpeIds(String word) {
        List<String> symbols = bpe(word);
        int[] ids = new int[symbols.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = vocab.get(symbols.get(i));
            ids[i] = id == null ? unkId : id;
        }
        return ids;
    }

    /** Classic CLIP/GPT-2 BPE: repeatedly merge the lowest-ranked adjacent pair (all its occurrences). */
    private List<String> bpe(String word) {
        List<String> symbols = new ArrayList<>(word.length());
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int next = i + Character.charCount(cp);
            symbols.add(word.substring(i, next));
            i = next;
        }
        int last = symbols.size() - 1;
        symbols.set(last, symbols.get(last) + END_OF_WORD);
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String bestA = null;
            String bestB = null;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = mergeRanks.get(pairKey(symbols.get(i), symbols.get(i + 1)));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    bestA = symbols.get(i);
                    bestB = symbols.get(i + 1);
                }
            }
            if (bestA == null) {
                break;
            }
            List<String> merged = new ArrayList<>(symbols.size());
            int i = 0;
            while (i < symbols.size()) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(bestA) && symbols.get(i + 1).equals(bestB)) {
                    merged.add(bestA + bestB);
                    i += 2;
                } else {
                    merged.add(symbols.get(i));
                    i++;
                }
            }
            symbols = merged;
        }
        return symbols;
    }

    private static String pairKey(String a, String b) {
        return a + ' ' + b;
    }

    /** GPT-2 {@code bytes_to_unicode}: printable bytes map to themselves, the other 68 to U+0100 + n. */
    private static String[] bytesToUnicode() {
        String[] map = new String[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? String.valueOf((char) b) : String.valueOf((char) (256 + n++));
        }
        return map;
    }

    // ------------------------------------------------------------------------------------------------------------
    // file loading

    private static Map<String, Integer> readVocab(Path vocabJson) throws IOException {
        JsonNode root = readJson(vocabJson, "vocab file");
        if (!root.isObject() || root.size() == 0) {
            throw new IOException("CLIP tokenizer: vocab file " + vocabJson + " is not a non-empty JSON object of token -> id");
        }
        Map<String, Integer> vocab = new HashMap<>(root.size() * 2);
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (!e.getValue().isIntegralNumber()) {
                throw new IOException("CLIP tokenizer: vocab file " + vocabJson + " maps '" + e.getKey()
                        + "' to a non-integer value");
            }
            vocab.put(e.getKey(), e.getValue().intValue());
        }
        return Map.copyOf(vocab);
    }

    private static Map<String, Integer> readMerges(Path mergesTxt) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(mergesTxt, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException("CLIP tokenizer: merges file not found: " + mergesTxt, e);
        } catch (IOException e) {
            throw new IOException("CLIP tokenizer: cannot read merges file " + mergesTxt + ": " + e, e);
        }
        Map<String, Integer> ranks = new HashMap<>(lines.size() * 2);
        int rank = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i == 0 && line.startsWith("#version")) {
                continue;
            }
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split(" ", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new IOException("CLIP tokenizer: merges file " + mergesTxt + " line " + (i + 1)
                        + ": expected two space-separated symbols, got '" + abbreviate(line) + "'");
            }
            ranks.putIfAbsent(pairKey(parts[0], parts[1]), rank++);
        }
        if (ranks.isEmpty()) {
            throw new IOException("CLIP tokenizer: merges file " + mergesTxt + " contains no merges");
        }
        return Map.copyOf(ranks);
    }

    private static String readPadToken(Path json) throws IOException {
        if (!Files.isRegularFile(json)) {
            return null;
        }
        JsonNode pad = readJson(json, json.getFileName().toString()).get("pad_token");
        if (pad == null || pad.isNull()) {
            return null;
        }
        if (pad.isTextual()) {
            return pad.asText();
        }
        if (pad.isObject() && pad.path("content").isTextual()) {
            return pad.get("content").asText();
        }
        throw new IOException("CLIP tokenizer: " + json + " has an unreadable pad_token: " + abbreviate(pad.toString()));
    }

    private static JsonNode readJson(Path file, String what) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("CLIP tokenizer: " + what + " not found: " + file, e);
        } catch (IOException e) {
            throw new IOException("CLIP tokenizer: cannot read " + what + " " + file + ": " + e, e);
        }
        try {
            return new ObjectMapper().readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("CLIP tokenizer: " + what + " " + file + " is not valid JSON: "
                    + abbreviate(e.getOriginalMessage()), e);
        }
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        String oneLine = s.replaceAll("[\\r\\n]+", " ");
        return oneLine.length() > 80 ? oneLine.substring(0, 77) + "..." : oneLine;
    }

    /** Minimal growable int list. */
    private static final class IntList {
        private int[] a = new int[16];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        void addAll(int[] vs) {
            for (int v : vs) {
                add(v);
            }
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
