package io.jlivepatch.build;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test JVM's one Livepatch, clean-up of every patch a test left, and application class loaders. */
final class Patching {

    /** Held strongly: java.util.logging forgets the level of a logger that is collected. */
    private static final Logger LOG = Logger.getLogger("io.jlivepatch");

    static {
        LOG.setLevel(Level.WARNING);
    }

    private Patching() {
    }

    static Livepatch lp() {
        return Livepatch.install(ByteBuddyAgent.install());
    }

    /** Disables (in reverse order) and unregisters every registered patch. */
    static void removeAll() throws PatchException, InterruptedException {
        List<PatchHandle> stack = new ArrayList<>(lp().patches());
        for (int i = stack.size() - 1; i >= 0; i--) {
            if (stack.get(i).isEnabled()) {
                stack.get(i).disable();
                stack.get(i).awaitTransition(Duration.ofSeconds(5));
            }
        }
        for (PatchHandle h : stack) {
            h.unregister();
        }
    }

    /**
     * A loader of its own for one build of an application (its parent the platform loader, so
     * nothing of the test's class path leaks in). Deliberately never closed: a patch JAR is checked
     * against the class files of every loader that has loaded its target, and a closed loader can
     * no longer show them.
     */
    static URLClassLoader appLoader(String name, Path classes) {
        try {
            return new URLClassLoader(name, new URL[] {classes.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * Puts one build of an application on the system class path (as a JAR), where a service's
     * classes usually are: the same class loader, and so the same unnamed module, as jlivepatch.
     * Every case has a package of its own, so the builds of different cases never clash there.
     */
    static ClassLoader onSystemClassPath(String name, Path classes) throws IOException {
        Path jar = Corpus.jar(classes, Files.createTempFile("jlivepatch-" + name + "-", ".jar"));
        jar.toFile().deleteOnExit();
        ByteBuddyAgent.install().appendToSystemClassLoaderSearch(new JarFile(jar.toFile()));
        return ClassLoader.getSystemClassLoader();
    }

    static void enable(PatchHandle h) throws PatchException, InterruptedException {
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)), "the patching transition did not end");
        for (FunctionStatus f : h.functions()) {
            assertTrue(f.loaders().stream().noneMatch(l -> l.state() == FunctionStatus.State.FAILED), f.toString());
        }
    }

    static void disable(PatchHandle h) throws PatchException, InterruptedException {
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)), "the unpatching transition did not end");
    }
}
