package io.jlivepatch;

import net.bytebuddy.agent.ByteBuddyAgent;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** Shared set-up: one Livepatch for the test JVM, and clean-up of every patch a test left. */
final class TestSupport {

    /**
     * jlivepatch logs every life-cycle step at INFO through System.Logger (java.util.logging here);
     * the suite keeps its output to warnings. Held strongly: java.util.logging forgets the level of a
     * logger that is collected. {@link LoggingTest} lowers it while it listens.
     */
    static final Logger JLIVEPATCH_LOG = Logger.getLogger("io.jlivepatch");

    static {
        JLIVEPATCH_LOG.setLevel(Level.WARNING);
    }

    private static Instrumentation instrumentation;

    private TestSupport() {
    }

    static synchronized Instrumentation instrumentation() {
        if (instrumentation == null) {
            instrumentation = ByteBuddyAgent.install();
        }
        return instrumentation;
    }

    static Livepatch livepatch() {
        return Livepatch.install(instrumentation());
    }

    /** Disables (in reverse order) and unregisters every registered patch. */
    static void removeAllPatches() throws PatchException {
        List<PatchHandle> stack = new ArrayList<>(livepatch().patches());
        for (int i = stack.size() - 1; i >= 0; i--) {
            if (stack.get(i).isEnabled()) {
                stack.get(i).disable();
            }
        }
        for (PatchHandle h : stack) {
            h.unregister();
        }
    }

    static Method method(Class<?> c, String name, Class<?>... params) {
        try {
            return c.getDeclaredMethod(name, params);
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
    }

    /** Registers {@code patch}, which must be refused, and returns the exception. */
    static PatchException refusedRegistration(Patch patch) {
        return assertThrows(PatchException.class, () -> livepatch().register(patch),
                "register(" + patch.name() + ") should have been refused");
    }

    /** The class file of a class of the test sources, read as a resource: nothing is loaded. */
    static byte[] classFile(String className) {
        String resource = className.replace('.', '/') + ".class";
        try (InputStream in = TestSupport.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError(resource + " is not on the test class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** How jlivepatch names a class loader in {@link FunctionStatus.LoaderStatus#classLoader()}. */
    static String loaderName(ClassLoader loader) {
        if (loader == null) {
            return "bootstrap";
        }
        String name = loader.getName() != null ? loader.getName() : loader.getClass().getName();
        return name + "@" + Integer.toHexString(System.identityHashCode(loader));
    }

    /** The status of one function in one class loader; fails when there is not exactly one. */
    static FunctionStatus.LoaderStatus statusIn(FunctionStatus f, ClassLoader loader) {
        String name = loaderName(loader);
        List<FunctionStatus.LoaderStatus> in = f.loaders().stream().filter(l -> l.classLoader().equals(name)).toList();
        if (in.size() != 1) {
            throw new AssertionError("expected one status for loader " + name + " in " + f);
        }
        return in.get(0);
    }
}
