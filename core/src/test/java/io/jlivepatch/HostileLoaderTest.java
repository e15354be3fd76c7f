package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An application's class loader whose getName and toString throw (ClassLoader.getName is not final)
 * defines a patched class: the patch goes on and off, and status, the MBean's Functions and
 * functions() name that loader by its class, with the function's real state.
 */
class HostileLoaderTest {

    private static final String TARGET = "faultapp.HostileLoaded";

    /** Defines {@link #TARGET} itself; its name cannot be read. */
    static final class Unnamed extends ClassLoader {
        /** Set once constructed: the JDK's constructor reads the name. */
        private final boolean hostile;

        Unnamed() {
            super(HostileLoaderTest.class.getClassLoader());
            hostile = true;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!TARGET.equals(name)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] b = TestSupport.classFile(name);
                    c = defineClass(name, b, 0, b.length);
                }
                return c;
            }
        }

        @Override
        public String getName() {
            if (!hostile) {
                return null;
            }
            throw new IllegalStateException("the name of an Unnamed loader");
        }

        @Override
        public String toString() {
            if (!hostile) {
                return super.toString();
            }
            throw new IllegalStateException("the toString of an Unnamed loader");
        }
    }

    public static int two(Object self) {
        return 2;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    @Test
    void aLoaderWhoseNameThrowsIsNamedByItsClassAndItsPatchGoesOnAndOff() throws Exception {
        Class<?> c = new Unnamed().loadClass(TARGET);
        Object target = c.getDeclaredConstructor().newInstance();
        Method value = c.getMethod("value");
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("hostile-loader")
                .replace(TARGET, "value", "()I", method(HostileLoaderTest.class, "two", Object.class)).build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(2, value.invoke(target));
        String status = Mbeans.statusText();
        assertTrue(status.lines().anyMatch(l -> l.trim().startsWith(TARGET + ".value()I [" + Unnamed.class.getName() + "@")
                && l.endsWith("]: patched")), status);
        FunctionStatus.LoaderStatus l = h.functions().get(0).loaders().stream()
                .filter(s -> s.classLoader().startsWith(Unnamed.class.getName() + "@")).findFirst().orElseThrow();
        assertEquals(FunctionStatus.State.PATCHED, l.state(), h.functions().toString());
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, value.invoke(target));
        h.unregister();
        assertEquals(List.of(), BytecodeProbe.hookedMethods(c));
    }
}
