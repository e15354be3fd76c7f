package io.jlivepatch.internal;

/**
 * Run in a fresh JVM by {@link LoggerMadeAgainTest}: the logger's making fails at the first line
 * out of memory. That line's {@code Log.get()} fails, as any allocation there would; the next
 * one makes the logger. Before, the logger was a holder class's constant, and after that first
 * failure every {@code Log.get()} threw NoClassDefFoundError for the JVM's life. Prints
 * {@code RESULT ok} when the second line's logger is made, is kept, and logs.
 */
public final class LoggerMadeAgainDriver {

    private LoggerMadeAgainDriver() {
    }

    public static void main(String[] args) {
        OutOfMemoryError injected = new OutOfMemoryError("injected: the logger's first making");
        Log.failNextMakeForTests = injected;
        try {
            Log.get();
            throw new AssertionError("the injected failure did not reach the first line");
        } catch (OutOfMemoryError e) {
            if (e != injected) {
                throw e;
            }
        }
        // A line logged while the logger is made, on the same thread (a back-end whose loading logs):
        // the logger that line made stays; before, the outer making replaced it with a second one.
        System.Logger[] meanwhile = new System.Logger[1];
        Log.whileMakingForTests = () -> meanwhile[0] = Log.get();
        System.Logger l = Log.get(); // threw NoClassDefFoundError before
        if (!(l instanceof CleanLogger) || !"io.jlivepatch".equals(l.getName()) || Log.get() != l) {
            throw new AssertionError("not the one cleaning logger: " + l);
        }
        if (meanwhile[0] != l) {
            throw new AssertionError("two loggers made: " + meanwhile[0] + " while making, then " + l);
        }
        l.log(System.Logger.Level.WARNING, "the logger made at the second line");
        System.out.println("RESULT ok");
    }
}
