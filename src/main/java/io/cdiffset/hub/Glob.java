package io.cdiffset.hub;

import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code --include} patterns with Python {@code fnmatch} semantics, as huggingface_hub's {@code allow_patterns}:
 * {@code *} matches any characters including {@code /}, {@code ?} one character, {@code [seq]} / {@code [!seq]} a set;
 * a pattern ending in {@code /} matches everything below that folder.
 */
public final class Glob {
    private final Pattern regex;

    private Glob(Pattern regex) {
        this.regex = regex;
    }

    public static Glob of(String pattern) {
        String p = pattern.endsWith("/") ? pattern + "*" : pattern;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '*') {
                sb.append(".*");
            } else if (c == '?') {
                sb.append('.');
            } else if (c == '[' && p.indexOf(']', i + 2) > 0) {
                int end = p.indexOf(']', i + 2);
                String set = p.substring(i + 1, end);
                sb.append('[');
                if (set.startsWith("!")) {
                    sb.append('^');
                    set = set.substring(1);
                }
                sb.append(set.replace("\\", "\\\\").replace("[", "\\[")).append(']');
                i = end;
            } else {
                sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return new Glob(Pattern.compile(sb.toString(), Pattern.DOTALL));
    }

    public boolean matches(String path) {
        return regex.matcher(path).matches();
    }

    /** True when no patterns are given (everything), or when one of them matches. */
    public static boolean any(List<Glob> globs, String path) {
        return globs.isEmpty() || globs.stream().anyMatch(g -> g.matches(path));
    }
}
