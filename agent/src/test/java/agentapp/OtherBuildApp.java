package agentapp;

/**
 * {@link ServiceApp} in a JVM whose jlivepatch says it is another build than the command's: the agent
 * ({@code -javaagent}) installed as usual (waited for: it completes on a thread of its own, which
 * publishes the version at its end), then this main replaces the version it published
 * ({@code jlivepatch.version}, which the command reads over attach) with another build's, as a JVM
 * started with an older or newer jlivepatch JAR shows it.
 */
public final class OtherBuildApp {

    /** What the published version reads as here. */
    public static final String VERSION = "0.0.9 (build 0123456789abcdef)";

    public static void main(String[] args) throws Exception {
        // The agent's installation runs on a thread of its own, which publishes the version at its end.
        io.jlivepatch.internal.BackgroundInstall.await();
        if (System.getProperty("jlivepatch.version") == null) {
            throw new IllegalStateException("start this with jlivepatch's -javaagent");
        }
        System.setProperty("jlivepatch.version", VERSION);
        ServiceApp.main(args);
    }
}
