package io.jlivepatch.agent.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The arguments in a file or variable of JVM options, split as the JVM's start split them: a
 * setting is recognised only where the JVM took it as one, not in a comment or inside another
 * argument (which, recognised, would refuse a JVM that allows attaching).
 */
final class OptionTokens {

    private OptionTokens() {
    }

    /**
     * A launcher's argument file ({@code java @file}), by the java launcher's rules (its args.c): a
     * {@code #} that begins an argument comments out the rest of the line; quotes ({@code '} or
     * {@code "}) group, anywhere in an argument, with {@code \} escapes inside them, and stop at the end
     * of a line unless it ends in {@code \}, which joins the next one without its leading white space.
     */
    static List<String> argumentFile(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder token = null;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (token == null) {
                if (isSpace(c)) {
                    continue;
                }
                if (c == '#') {
                    while (i + 1 < text.length() && !isLineEnd(text.charAt(i + 1))) {
                        i++;
                    }
                    continue;
                }
                token = new StringBuilder();
            }
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (isLineEnd(c)) {
                    quote = 0; // an open quote stops at the end of a line
                    out.add(token.toString());
                    token = null;
                } else if (c == '\\' && i + 1 < text.length()) {
                    char next = text.charAt(++i);
                    if (isLineEnd(next)) {
                        while (i + 1 < text.length() && isSpace(text.charAt(i + 1))) {
                            i++; // a continued line's leading white space (and a \r\n's \n)
                        }
                    } else {
                        token.append(next == 'n' ? '\n' : next == 'r' ? '\r' : next == 't' ? '\t' : next == 'f' ? '\f'
                                : next);
                    }
                } else {
                    token.append(c);
                }
            } else if (isSpace(c)) {
                out.add(token.toString());
                token = null;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else {
                token.append(c);
            }
        }
        if (token != null) {
            out.add(token.toString());
        }
        return out;
    }

    /**
     * A {@code -XX:VMOptionsFile=} file or an options variable (JAVA_TOOL_OPTIONS, _JAVA_OPTIONS,
     * JDK_JAVA_OPTIONS), by HotSpot's rules: white space separates, quotes group anywhere in an
     * argument; no comments, no escapes.
     */
    static List<String> vmOptions(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder token = null;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote == 0 && isSpace(c)) {
                if (token != null) {
                    out.add(token.toString());
                    token = null;
                }
                continue;
            }
            if (token == null) {
                token = new StringBuilder();
            }
            if (quote != 0 && c == quote) {
                quote = 0;
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else {
                token.append(c);
            }
        }
        if (token != null) {
            out.add(token.toString());
        }
        return out;
    }

    /**
     * A {@code -XX:Flags=} file, by HotSpot's rules (its process_settings_file): {@code +Name} and
     * {@code -Name}, white space between, a {@code #} that begins one comments out the rest of the line.
     */
    static List<String> flagsFile(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("[\\r\\n]")) {
            for (String token : vmOptions(line)) {
                if (token.startsWith("#")) {
                    break;
                }
                out.add(token);
            }
        }
        return out;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\f' || isLineEnd(c);
    }

    private static boolean isLineEnd(char c) {
        return c == '\n' || c == '\r';
    }
}
