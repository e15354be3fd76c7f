package com.acme.trycatch;

/**
 * try/catch/finally: a multi-catch, a finally that writes a private field on every path, and an
 * exception rethrown with a cause.
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"4", " 25 ", "0", "abc", "!0", "!x"};
    }

    public static String run(String input) {
        Parser p = new Parser();
        try {
            return p.parse(input) + " | last=" + p.lastLog();
        } catch (RuntimeException e) {
            throw new IllegalStateException(e.getMessage() + " | last=" + p.lastLog()
                    + (e.getCause() == null ? "" : " | cause=" + e.getCause()), e);
        }
    }
}
