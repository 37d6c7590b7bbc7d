package io.cdiffset.data;

import java.util.List;

/**
 * Any data-set problem (layout, missing partner, size mismatch, band count, NaN/Inf pixels, unreadable file,
 * split file errors, image decoding failures). The message is ONE line naming the file and the fix;
 * when several problems were found (see {@link Datasets#validate}), the message is the first one plus a count and
 * {@link #problems()} lists them all.
 */
public class DataException extends io.cdiffset.engine.InputException {
    private static final long serialVersionUID = 1L;
    private final List<String> problems;

    public DataException(String message) {
        this(message, (Throwable) null);
    }

    public DataException(String message, Throwable cause) {
        super(oneLine(message), cause);
        this.problems = List.of(oneLine(message));
    }

    public DataException(String message, List<String> problems) {
        super(oneLine(message));
        this.problems = List.copyOf(problems);
    }

    /** All problems found (at least one). */
    public List<String> problems() {
        return problems;
    }

    static String oneLine(String s) {
        return s == null ? "data error" : s.replace('\r', ' ').replace('\n', ' ');
    }
}
