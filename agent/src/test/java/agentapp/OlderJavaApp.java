package agentapp;

/**
 * {@link ServiceApp} in a JVM that says it runs Java 11, as a Java 11 JVM does to the attach API (its
 * system properties): no JVM older than 17 is at hand, and the attach itself works on 8 and 11. Set
 * before main says ready, so before any command reads them.
 */
public final class OlderJavaApp {

    /** What java.version reads as here. */
    public static final String VERSION = "11.0.22";

    public static void main(String[] args) throws Exception {
        System.setProperty("java.specification.version", "11");
        System.setProperty("java.version", VERSION);
        System.setProperty("java.class.version", "55.0");
        ServiceApp.main(args);
    }
}
