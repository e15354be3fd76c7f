package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;

import java.io.EOFException;
import java.util.zip.ZipException;

/**
 * Words for what a parser threw at a build's bytes (ASM at a class file, {@code java.util.zip} at a
 * JAR): a refusal says what is wrong with the entry, never only which exception was thrown, and
 * quotes the parser's detail only where it tells more (escaped, cut: it may quote the input).
 */
final class Damage {

    /** The longest detail quoted from a parser's message. */
    private static final int MAX_DETAIL = 200;

    private Damage() {
    }

    /** What is wrong with a class file ASM could not read. */
    static String ofClassFile(RuntimeException e) {
        if (e instanceof IndexOutOfBoundsException || e instanceof NegativeArraySizeException) {
            return "it is cut short, or a count, length or offset in it points outside it";
        }
        if (e instanceof NullPointerException) {
            // the JVM's words name the builder's variables, not the class file
            return "a reference in it names a constant that is not there";
        }
        if (e instanceof ClassCastException) {
            return "a constant in it is of another kind than where it is used needs";
        }
        String detail = detail(e);
        if (e instanceof IllegalArgumentException) {
            // ASM's own words ("Unsupported class file major version 70"), or none for a bad constant or attribute
            return detail == null ? "a constant, an attribute or an instruction in it is malformed" : detail;
        }
        return "it is malformed" + (detail == null ? "" : ": " + detail);
    }

    /** What went wrong reading a JAR's or an entry's bytes. */
    static String ofZip(Exception e) {
        String detail = detail(e);
        if (e instanceof EOFException) {
            return "its data ends early" + (detail == null ? "" : ": " + detail);
        }
        if (e instanceof ZipException) {
            return "corrupt zip data" + (detail == null ? "" : ": " + detail);
        }
        if (e instanceof IllegalArgumentException) {
            // ZipInputStream's for an entry name that is no UTF-8 ("MALFORMED", "MALFORMED[1]")
            return "an entry name that is not valid UTF-8, or a malformed header";
        }
        return detail == null ? "it cannot be read" : detail;
    }

    private static String detail(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? null : Text.clean(Text.truncate(m.strip(), MAX_DETAIL));
    }
}
