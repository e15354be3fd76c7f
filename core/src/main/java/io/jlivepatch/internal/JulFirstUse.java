package io.jlivepatch.internal;

import java.lang.instrument.Instrumentation;

/**
 * Whether jlivepatch may be the first to use {@code java.util.logging}. Its {@code LogManager} reads
 * {@code java.util.logging.manager} and {@code java.util.logging.config.class} once, when it is
 * initialized, and loads the classes they name with the system class loader, then the thread's
 * context class loader. An application whose manager or configuration class only its own loader can
 * load (a Spring Boot fat JAR's {@code BOOT-INF/lib}, an application server's module, as WildFly's
 * {@code org.jboss.logmanager.LogManager}) gets them when it logs first, with that loader as the
 * context class loader. Initialized first by jlivepatch (before {@code main} with start-up patches, or
 * at an attach before the application's first log line), {@code java.util.logging} falls back to the
 * JDK's {@code LogManager} for the life of the JVM, with a stack trace on standard error, and the
 * application's logging runs without its manager (WildFly's logging subsystem refuses to start).
 */
final class JulFirstUse {

    /** Made by every LogManager's constructor: loaded once java.util.logging is initialized, or being. */
    private static final String ROOT_LOGGER = "java.util.logging.LogManager$RootLogger";

    private JulFirstUse() {
    }

    /**
     * Why using {@code java.util.logging} now would take the application's logging from it, or
     * {@code null} when it would not: it is initialized already (seen through {@code inst}, when
     * there is one), or neither property is set, or the system class loader can load what they name
     * (then {@code java.util.logging} gets the same class now as later). Loads the named class,
     * without initializing it, only when the system class loader has it.
     */
    static String unsafe(Instrumentation inst) {
        String why = null;
        for (String property : Log.JUL_PROPERTIES) {
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
                why = property + " names " + name.trim() + ", which the system class loader cannot load (the"
                        + " application's own loader does, when it logs first): initializing java.util.logging"
                        + " before it would replace it with the JDK's for the life of the JVM, so jlivepatch leaves"
                        + " java.util.logging to the application";
                break;
            }
        }
        return why == null || initialized(inst) ? null : why;
    }

    /** Whether java.util.logging is initialized already: only {@code inst} can tell without initializing it. */
    private static boolean initialized(Instrumentation inst) {
        if (inst == null) {
            return false;
        }
        try {
            for (Class<?> c : inst.getInitiatedClasses(null)) {
                if (c.getName().equals(ROOT_LOGGER)) {
                    return true;
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // cannot tell: as not initialized, the safe side
        }
        return false;
    }
}
