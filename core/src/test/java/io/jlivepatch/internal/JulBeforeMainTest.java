package io.jlivepatch.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When jlivepatch must not initialize java.util.logging before main: a manager or configuration class
 * named that the system class loader cannot load (LoggingManagerIT runs the whole start-up). This
 * JVM's java.util.logging read the properties long ago; they are set here only for the check.
 */
class JulBeforeMainTest {

    private static final String MANAGER = "java.util.logging.manager";
    private static final String CONFIG_CLASS = "java.util.logging.config.class";
    private final String manager = System.getProperty(MANAGER);
    private final String configClass = System.getProperty(CONFIG_CLASS);

    @AfterEach
    void restore() {
        restore(MANAGER, manager);
        restore(CONFIG_CLASS, configClass);
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void neitherPropertyOrClassesTheSystemLoaderHasAreSafe() {
        System.clearProperty(MANAGER);
        System.clearProperty(CONFIG_CLASS);
        assertNull(JulBeforeMain.unsafe());
        System.setProperty(MANAGER, " java.util.logging.LogManager ");
        System.setProperty(CONFIG_CLASS, JulBeforeMainTest.class.getName());
        assertNull(JulBeforeMain.unsafe());
        System.setProperty(MANAGER, "");
        assertNull(JulBeforeMain.unsafe());
    }

    @Test
    void aClassOnlyTheApplicationCanLoadIsNamedWithItsProperty() {
        System.setProperty(MANAGER, "org.jboss.logmanager.LogManager");
        String why = JulBeforeMain.unsafe();
        assertEquals("java.util.logging.manager names org.jboss.logmanager.LogManager, which the system class loader"
                + " cannot load before main (the application's own loader does, later): initializing"
                + " java.util.logging now would replace it with the JDK's for the life of the JVM, so jlivepatch"
                + " leaves java.util.logging to the application", why);
        System.clearProperty(MANAGER);
        System.setProperty(CONFIG_CLASS, "com.acme.LoggingConfig");
        assertTrue(JulBeforeMain.unsafe().startsWith("java.util.logging.config.class names com.acme.LoggingConfig,"));
    }

    @Test
    void standardErrorLinesUseJavaUtilLoggingsLevelNames() {
        assertEquals("SEVERE", StandardErrorLogger.julName(System.Logger.Level.ERROR));
        assertEquals("WARNING", StandardErrorLogger.julName(System.Logger.Level.WARNING));
        assertEquals("FINE", StandardErrorLogger.julName(System.Logger.Level.DEBUG));
        StandardErrorLogger l = new StandardErrorLogger("io.jlivepatch");
        assertTrue(l.isLoggable(System.Logger.Level.INFO) && !l.isLoggable(System.Logger.Level.DEBUG));
    }
}
