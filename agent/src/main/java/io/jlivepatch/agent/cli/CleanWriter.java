package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;

import java.io.IOException;
import java.io.Writer;

/**
 * The last guard of what the command prints: every character that {@link Text#cleanLines} escapes
 * is escaped on its way out, line ends ({@code \n}, and {@code \r\n}) kept. The command cleans what
 * it takes from the target or the user where it builds a message ({@link Text#clean}); text cleaned
 * so passes here unchanged, and whatever a message missed (an attach error naming a file, a picocli
 * error quoting an argument) still cannot move the cursor or recolour the terminal.
 */
final class CleanWriter extends Writer {

    private final Writer out;
    // A trailing '\r' or high surrogate, kept until the next write says whether it ends a pair.
    private final StringBuilder held = new StringBuilder(2);

    CleanWriter(Writer out) {
        this.out = out;
    }

    @Override
    public void write(char[] cbuf, int off, int len) throws IOException {
        synchronized (lock) {
            StringBuilder text = new StringBuilder(held.length() + len).append(held).append(cbuf, off, len);
            held.setLength(0);
            int end = text.length();
            if (end > 0 && (text.charAt(end - 1) == '\r' || Character.isHighSurrogate(text.charAt(end - 1)))) {
                held.append(text.charAt(--end));
            }
            out.write(clean(text.substring(0, end)));
        }
    }

    /** {@link Text#cleanLines}, with {@code \r\n} kept as a line end. */
    private static String clean(String s) {
        int crlf = s.indexOf("\r\n");
        if (crlf < 0) {
            return Text.cleanLines(s);
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        int from = 0;
        for (; crlf >= 0; crlf = s.indexOf("\r\n", from)) {
            sb.append(Text.cleanLines(s.substring(from, crlf))).append("\r\n");
            from = crlf + 2;
        }
        return sb.append(Text.cleanLines(s.substring(from))).toString();
    }

    @Override
    public void flush() throws IOException {
        synchronized (lock) {
            if (held.length() > 0) {
                out.write(Text.cleanLines(held.toString()));
                held.setLength(0);
            }
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        flush();
        out.close();
    }
}
