package io.jlivepatch.internal.jar;

import io.jlivepatch.internal.Text;

import java.io.EOFException;
import java.io.IOException;
import java.util.Locale;
import java.util.zip.ZipException;

/**
 * Words for what a parser or the JVM threw at a patch JAR's bytes: a refusal says what was wrong,
 * never only which exception class was thrown.
 */
final class Failures {

    /** Longest detail quoted from an exception's message: those may quote the input. */
    private static final int MAX_DETAIL = 300;

    private Failures() {
    }

    static String describe(Throwable e) {
        String what = kind(e);
        String detail = e.getMessage();
        if (detail == null || detail.isBlank()) {
            return what;
        }
        if (e instanceof IllegalStateException) {
            // jlivepatch's own (CarriedClasses): the message says it all
            what = null;
        }
        // A VerifyError's message runs over many lines, ending in frames and a hex dump: keep the
        // words up to the frames, on one line, so a refusal stays one line in the log and audit log.
        int frames = detail.indexOf("Current Frame:");
        if (frames > 0) {
            detail = detail.substring(0, frames);
        }
        detail = detail.strip().replaceAll("\\s*\n\\s*", " ");
        if (isPreview(e)) {
            // JDK 17's advice is for a whole program, not a patch: the application would have to restart.
            detail = detail.replace(" Try running with '--enable-preview'", "");
        }
        String cut = "";
        if (detail.length() > MAX_DETAIL) {
            detail = detail.substring(0, MAX_DETAIL);
            cut = "...";
        }
        // The parser's and the JVM's messages quote the class file's names and strings, which are any
        // characters (a NUL, an escape, a carriage return): escaped as the JAR's own values are
        // (PatchJar.quote), cut first so that no escape is cut in half. Only its line breaks, the
        // message's own layout, became spaces above.
        detail = Text.clean(detail) + cut;
        return what == null ? detail : what + ": " + detail;
    }

    /**
     * Whether {@code e} refuses a class file that uses preview features: its minor version 65535,
     * for this Java with preview off or for another Java's, older or newer (the JVM's words, which
     * name the feature, on JDK 17 to 25).
     */
    static boolean isPreview(Throwable e) {
        return e instanceof UnsupportedClassVersionError && String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT)
                .contains("preview feature");
    }

    private static String kind(Throwable e) {
        if (e instanceof VerifyError) {
            return "it fails the JVM's bytecode verifier";
        }
        if (isPreview(e)) {
            return "it was compiled with preview features (javac --enable-preview), which this JVM does not run";
        }
        if (e instanceof UnsupportedClassVersionError) {
            return "it was compiled for a newer Java than this JVM";
        }
        if (e instanceof ClassFormatError) {
            return "it is not a well-formed class file";
        }
        if (e instanceof NoClassDefFoundError || e instanceof ClassNotFoundException) {
            return "a class it needs is neither in the JAR nor visible to the target's class loader";
        }
        if (e instanceof ClassCircularityError) {
            return "its class hierarchy is circular";
        }
        if (e instanceof IncompatibleClassChangeError) {
            return "it does not fit a class it extends or uses";
        }
        if (e instanceof LinkageError) {
            return "the JVM cannot link it";
        }
        if (e instanceof NoSuchMethodException || e instanceof NoSuchFieldException) {
            return "a member it needs is missing";
        }
        if (e instanceof IllegalAccessException) {
            return "it is not accessible";
        }
        if (e instanceof SecurityException) {
            return "the JVM does not allow it";
        }
        if (e instanceof ZipException) {
            return "corrupt zip data";
        }
        if (e instanceof EOFException) {
            return "the data ends early";
        }
        if (e instanceof IndexOutOfBoundsException) {
            return "it is truncated or corrupt (an offset in it points outside it)";
        }
        if (e instanceof IllegalArgumentException) {
            return "a malformed value";
        }
        if (e instanceof IOException) {
            return "it is malformed";
        }
        if (e instanceof StackOverflowError) {
            return "it nests too deeply to be read";
        }
        return "it cannot be read (" + e.getClass().getSimpleName() + ")";
    }
}
