package io.cdiffset.parity;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdiffset.model.ConfigJson;
import io.cdiffset.model.tokenizer.ClipTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Token ids for every fixture prompt, unpadded and padded to 77 with the pad id: exact equality. */
final class TokenizerParity {
    private TokenizerParity() {}

    static void run(Path dir, List<Result> out) {
        ClipTokenizer tk;
        try {
            tk = ClipTokenizer.fromFolder(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode root = ConfigJson.read(dir.resolve("expected_ids.json")).root();
        if (root.has("pad_id")) out.add(Result.exact("pad id " + root.get("pad_id").asInt(), tk.padId() == root.get("pad_id").asInt(), "exact"));
        int n = 0;
        for (JsonNode c : root.path("cases")) {
            String text = c.path("text").asText();
            String label = "'" + (text.length() > 40 ? text.substring(0, 40) + "…" : text) + "'";
            out.add(Result.exact(label, Arrays.equals(tk.encode(text), ints(c.get("ids"))), "ids"));
            if (c.has("ids_padded_77")) out.add(Result.exact(label + " padded 77", Arrays.equals(tk.encode(text, 77), ints(c.get("ids_padded_77"))), "ids"));
            n++;
        }
        if (n == 0) throw new IllegalArgumentException(dir + ": expected_ids.json has no cases");
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }
}
