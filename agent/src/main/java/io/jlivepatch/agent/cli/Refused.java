package io.jlivepatch.agent.cli;

/** An operation the target JVM, or the command itself, refused: exit code 1, the reason printed. */
class Refused extends Exception {

    private static final long serialVersionUID = 1L;

    Refused(String message) {
        super(message);
    }

    Refused(String message, Throwable cause) {
        super(message, cause);
    }
}
