package io.jlivepatch.internal;

/**
 * Whether jlivepatch may initialize {@code java.util.logging} before the application's {@code main}.
 * Its {@code LogManager} reads {@code java.util.logging.manager} and {@code java.util.logging.config.class}
 * once, at its initialization, and loads the classes they name with the system class loader (then the
 * thread's context class loader). An application whose manager or configuration class only its own
 * loader can load (a Spring Boot fat JAR's {@code BOOT-INF/lib}, an application server's module, as
 * WildFly's {@code org.jboss.logmanager.LogManager}) gets them when it logs first, with that loader as the
 * context class loader. Initialized earlier, by an agent, {@code java.util.logging} falls back to the JDK's
 * {@code LogManager} for the life of the JVM, with a stack trace on standard error, and the application's
 * logging runs without its manager (WildFly's logging subsystem refuses to start).
 */
final class JulBeforeMain {

    private static final String[] PROPERTIES = {"java.util.logging.manager", "java.util.logging.config.class"};

    private JulBeforeMain() {
    }

    /**
     * Why initializing {@code java.util.logging} now would take the application's logging from it,
     * or {@code null} when it would not: neither property is set, or the system class loader can load
     * what they name (then {@code java.util.logging} gets the same class now as later). Loads the
     * named class, without initializing it, only when the system class loader has it.
     */
    static String unsafe() {
        for (String property : PROPERTIES) {
            String name;
            try {
                name = System.getProperty(property);
            } catch (SecurityException e) {
                continue; // not readable here: java.util.logging reads it with its own rights
            }
            if (name == null || name.isBlank()) {
                continue;
            }
            try {
                Class.forName(name.trim(), false, ClassLoader.getSystemClassLoader());
            } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
                return property + " names " + name.trim() + ", which the system class loader cannot load before"
                        + " main (the application's own loader does, later): initializing java.util.logging now"
                        + " would replace it with the JDK's for the life of the JVM, so jlivepatch leaves"
                        + " java.util.logging to the application";
            }
        }
        return null;
    }
}
