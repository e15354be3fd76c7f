package io.jlivepatch.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When jlivepatch must not be the first to use java.util.logging: a manager or configuration class
 * named that the system class loader cannot load, and java.util.logging not initialized yet
 * (LoggingManagerIT runs the whole start-up and an attach). This JVM's java.util.logging read the
 * properties long ago; they are set here only for the check.
 */
class JulFirstUseTest {

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
        assertNull(JulFirstUse.unsafe(null));
        System.setProperty(MANAGER, " java.util.logging.LogManager ");
        System.setProperty(CONFIG_CLASS, JulFirstUseTest.class.getName());
        assertNull(JulFirstUse.unsafe(null));
        System.setProperty(MANAGER, "");
        assertNull(JulFirstUse.unsafe(null));
    }

    @Test
    void aClassOnlyTheApplicationCanLoadIsNamedWithItsProperty() {
        System.setProperty(MANAGER, "org.jboss.logmanager.LogManager");
        String why = JulFirstUse.unsafe(null);
        assertEquals("java.util.logging.manager names org.jboss.logmanager.LogManager, which the system class loader"
                + " cannot load (the application's own loader does, when it logs first): initializing"
                + " java.util.logging before it would replace it with the JDK's for the life of the JVM, so"
                + " jlivepatch leaves java.util.logging to the application", why);
        System.clearProperty(MANAGER);
        System.setProperty(CONFIG_CLASS, "com.acme.LoggingConfig");
        assertTrue(JulFirstUse.unsafe(null).startsWith("java.util.logging.config.class names com.acme.LoggingConfig,"));
    }

    @Test
    void javaUtilLoggingInitializedAlreadyIsSafe() {
        java.util.logging.LogManager.getLogManager(); // this JVM's: initialized
        System.setProperty(MANAGER, "org.jboss.logmanager.LogManager");
        assertTrue(JulFirstUse.unsafe(null) != null, "without Instrumentation nothing says it is initialized");
        assertNull(JulFirstUse.unsafe(net.bytebuddy.agent.ByteBuddyAgent.install()));
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
