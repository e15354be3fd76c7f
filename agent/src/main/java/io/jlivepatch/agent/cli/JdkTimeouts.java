package io.jlivepatch.agent.cli;

/**
 * The JDK's own time limit for the attach socket, set to the command's {@code --timeout} where the
 * command owns its JVM ({@code java -jar jlivepatch-agent.jar}), so that a step that {@link Deadline}
 * gave up on also ends its socket read. It is a system property, so an embedding application's JVM
 * ({@link Main#run}) is left alone, and a value given with {@code -D} wins.
 */
final class JdkTimeouts {

    /** Read by the attach API for each attach, while it waits for the target to open its socket. */
    static final String ATTACH = "sun.tools.attach.attachTimeout";

    static final long MARGIN_MS = 2000;

    // Set by Main.main only, before any command runs; read by the command's thread after.
    private static volatile boolean ownJvm;

    private JdkTimeouts() {
    }

    /** The command's process is its own: JVM-wide settings may be made. */
    static void ownJvm() {
        ownJvm = true;
    }

    static void apply(long timeoutSeconds) {
        if (!ownJvm) {
            return;
        }
        // A little later than the Deadline, so that the command reports the timeout in its own words.
        String ms = Long.toString(Math.min(Integer.MAX_VALUE, timeoutSeconds * 1000 + MARGIN_MS));
        if (System.getProperty(ATTACH) == null) {
            System.setProperty(ATTACH, ms);
        }
    }
}
