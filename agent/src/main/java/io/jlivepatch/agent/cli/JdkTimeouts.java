package io.jlivepatch.agent.cli;

/**
 * The JDK's own time limits for the attach and RMI sockets, set to the command's {@code --timeout}
 * where the command owns its JVM ({@code java -jar jlivepatch-agent.jar}), so that a step that
 * {@link Deadline} gave up on also ends its socket read. They are system properties, some read once
 * per JVM, so an embedding application's JVM ({@link Main#run}) is left alone, and a value given
 * with {@code -D} wins. The JDK's RMI connector takes no per-request timeout in its environment
 * ({@code jmx.remote.x.request.waiting.timeout} belongs to the optional JMXMP connector).
 */
final class JdkTimeouts {

    /** Read by the attach API for each attach, while it waits for the target to open its socket. */
    static final String ATTACH = "sun.tools.attach.attachTimeout";
    /** Read once per JVM: the RMI client's wait for a connection's handshake and for each call's reply. */
    static final String RMI_HANDSHAKE = "sun.rmi.transport.tcp.handshakeTimeout";
    static final String RMI_RESPONSE = "sun.rmi.transport.tcp.responseTimeout";

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
        for (String p : new String[] {ATTACH, RMI_HANDSHAKE, RMI_RESPONSE}) {
            if (System.getProperty(p) == null) {
                System.setProperty(p, ms);
            }
        }
    }
}
