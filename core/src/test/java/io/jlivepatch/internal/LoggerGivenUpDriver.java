package io.jlivepatch.internal;

/**
 * Run in a fresh JVM by {@link LoggerMadeAgainTest}: the logger's making overflows the stack every
 * time (a back-end that recurses), then, in a second mode, fails with an InternalError. The first
 * {@code Log.MAKE_ATTEMPTS - 1} lines fail with the overflow, the next one keeps standard error, and
 * later lines get that logger without trying again; an InternalError keeps standard error at once.
 * Prints {@code RESULT ok}. Before, every line threw the overflow (or the InternalError) for the JVM's
 * life.
 */
public final class LoggerGivenUpDriver {

    private LoggerGivenUpDriver() {
    }

    public static void main(String[] args) {
        boolean internal = args.length > 0 && args[0].equals("internal");
        int failing = internal ? 0 : Log.MAKE_ATTEMPTS - 1;
        for (int i = 0; i < failing; i++) {
            StackOverflowError injected = new StackOverflowError("injected: making " + (i + 1));
            Log.failNextMakeForTests = injected;
            try {
                Log.get();
                throw new AssertionError("making " + (i + 1) + " did not fail");
            } catch (StackOverflowError e) {
                if (e != injected) {
                    throw e;
                }
            }
        }
        Log.failNextMakeForTests = internal ? new InternalError("injected: every making")
                : new StackOverflowError("injected: every making");
        System.Logger l = Log.get(); // threw the injected error before
        if (!(l instanceof CleanLogger) || Log.get() != l || Log.failNextMakeForTests != null) {
            throw new AssertionError("not the one cleaning logger, made once: " + l);
        }
        Log.failNextMakeForTests = new StackOverflowError("injected: a making after the logger was kept");
        if (Log.get() != l) {
            throw new AssertionError("another logger");
        }
        l.log(System.Logger.Level.WARNING, "the line after the logger was given up on");
        System.out.println("RESULT ok");
    }
}
