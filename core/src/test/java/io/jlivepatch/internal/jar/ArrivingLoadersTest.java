package io.jlivepatch.internal.jar;

import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.jar.GeneratedClasses;
import io.jlivepatch.jar.Jars;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The class loaders that appear while a patch waits for the loader of its classes: which one is worth
 * a retry, the two ways of asking (new loaders only, or every loader seen when what is awaited has
 * changed), and that none of them is kept reachable.
 */
class ArrivingLoadersTest {

    private static final String PRICING = "arriving.Pricing";
    private static final String STOCK = "arriving.Stock";
    private static final String ANCHOR = "arriving.Anchor";
    private static final String OTHER = "arriving.other.Other";

    @TempDir
    Path dir;

    private final List<URLClassLoader> loaders = new ArrayList<>();
    private final AtomicInteger arrivals = new AtomicInteger();
    private ArrivingLoaders arriving;

    @AfterEach
    void close() throws Exception {
        for (URLClassLoader l : loaders) {
            l.close();
        }
    }

    private ArrivingLoaders arriving() {
        Jars.lp();
        return new ArrivingLoaders(PatchRegistry.installed().instrumentation(), arrivals::incrementAndGet);
    }

    /** A directory of class files: each class {@code name} (an empty class or a target with quote). */
    private Path classes(String dirName, String... names) throws Exception {
        Path root = Files.createDirectories(dir.resolve(dirName));
        for (String n : names) {
            Path file = root.resolve(n.replace('.', '/') + ".class");
            Files.createDirectories(file.getParent());
            Files.write(file, n.equals(ANCHOR) || n.equals(OTHER) ? GeneratedClasses.empty(n)
                    : GeneratedClasses.target(n, true, 0));
        }
        return root;
    }

    /** A loader over {@code classes} below the platform loader (it cannot see the test class path), not used yet. */
    private URLClassLoader loader(String name, Path classes) throws Exception {
        URLClassLoader l = new URLClassLoader(name, new URL[] {classes.toUri().toURL()},
                ClassLoader.getPlatformClassLoader());
        loaders.add(l);
        return l;
    }

    /** What a patch JAR fixing {@code target}'s quote waits for. */
    private AwaitedClasses awaiting(String target) throws Exception {
        String fix = target.replace("arriving.", "arriving.fix.") + "Fix";
        Path jar = Jars.write(dir.resolve(fix + ".jar"), Jars.manifest("fix-" + target.replace('.', '-'), fix),
                Map.of(fix.replace('.', '/') + ".class", GeneratedClasses.fix(fix, target)));
        AwaitedClasses a = AwaitedClasses.of(List.of(jar));
        assertFalse(a.anyLoader(), "the target is not on the system class path: " + a);
        return a;
    }

    @Test
    void onlyALoaderThatCanReadAnAwaitedClassAndHasDefinedOneIsWorthARetry() throws Exception {
        arriving = arriving();
        AwaitedClasses pricing = awaiting(PRICING);
        URLClassLoader unrelated = loader("arriving-unrelated", classes("other", OTHER));
        unrelated.loadClass(OTHER);
        arriving.watcher().accept(unrelated);
        arriving.watcher().accept(unrelated); // its second class: not a new loader
        assertEquals(1, arrivals.get(), "the wake-up runs once a new loader");
        assertFalse(arriving.newLoaderCanRead(pricing, "test"), "it cannot read " + pricing);
        assertFalse(arriving.waitsForReady());

        // Heard of at its first definition, before the class is in the JVM: asked again until it is.
        URLClassLoader app = loader("arriving-app", classes("app", PRICING, ANCHOR));
        arriving.watcher().accept(app);
        assertFalse(arriving.newLoaderCanRead(pricing, "test"), "no class defined by it yet");
        assertTrue(arriving.waitsForReady());
        assertFalse(arriving.newLoaderCanRead(pricing, "test"), "still none");
        app.loadClass(ANCHOR);
        assertTrue(arriving.newLoaderCanRead(pricing, "test"), "it can read the target and has defined a class");
        assertFalse(arriving.waitsForReady());
        assertFalse(arriving.newLoaderCanRead(pricing, "test"), "asked once: nothing new since");
    }

    @Test
    void aLoaderWhoseFirstDefinitionOverflowedWhileNotedIsNotedAtItsNext() throws Exception {
        Jars.lp();
        AtomicInteger wakes = new AtomicInteger();
        // What the first definition at the edge of its thread's stack meets: the overflow in the note.
        arriving = new ArrivingLoaders(PatchRegistry.installed().instrumentation(), () -> {
            if (wakes.incrementAndGet() == 1) {
                throw new StackOverflowError("the wake-up ran out of stack");
            }
        });
        AwaitedClasses pricing = awaiting(PRICING);
        URLClassLoader app = loader("arriving-edge", classes("edge", PRICING, ANCHOR));
        app.loadClass(ANCHOR);
        try {
            arriving.watcher().accept(app);
        } catch (StackOverflowError expected) {
            // the transformer swallows it; the class is defined all the same
        }
        arriving.watcher().accept(app); // its next definition
        assertEquals(2, wakes.get(), "its next definition woke the waiting thread again");
        assertTrue(arriving.newLoaderCanRead(pricing, "test"), "it can read the target and has defined a class");
        assertFalse(arriving.newLoaderCanRead(pricing, "test"), "asked once: nothing new since");
        arriving.watcher().accept(app);
        assertEquals(2, wakes.get(), "a loader noted is not new again");
    }

    @Test
    void newLoadersAreAskedAloneAndEverySeenLoaderWhenTheAwaitedClassesChange() throws Exception {
        arriving = arriving();
        AwaitedClasses pricing = awaiting(PRICING);
        AwaitedClasses stock = awaiting(STOCK);
        URLClassLoader stockLoader = loader("arriving-stock", classes("stock", STOCK, ANCHOR));
        stockLoader.loadClass(ANCHOR);
        arriving.watcher().accept(stockLoader);
        assertFalse(arriving.newLoaderCanRead(pricing, "test"), "it cannot read " + pricing);

        // The watched directory's way: its awaited classes never change in a wait, loaders once asked are done.
        assertFalse(arriving.newLoaderCanRead(stock, "test"), "asked already, about the classes awaited then");
        // The start-up patches' way: the first waiting JAR is another one, whose loader may be one seen before.
        assertTrue(arriving.seenLoaderCanRead(stock, "test"), "seen before, and it can read " + stock);
    }

    @Test
    void forgettingDropsTheLoadersNotAskedAndNotReady() throws Exception {
        arriving = arriving();
        AwaitedClasses pricing = awaiting(PRICING);
        URLClassLoader early = loader("arriving-early", classes("early", PRICING, ANCHOR));
        arriving.watcher().accept(early);
        assertFalse(arriving.newLoaderCanRead(pricing, "test"));
        URLClassLoader late = loader("arriving-late", classes("late", PRICING, ANCHOR));
        arriving.watcher().accept(late);
        arriving.forget();
        assertFalse(arriving.waitsForReady());
        early.loadClass(ANCHOR);
        late.loadClass(ANCHOR);
        assertFalse(arriving.newLoaderCanRead(pricing, "test"), "both were forgotten");
        arriving.watcher().accept(late);
        assertEquals(2, arrivals.get(), "a loader seen once is not new again after forget");
    }

    @Test
    void aLoaderTheApplicationDropsIsCollectedWhateverItsState() throws Exception {
        arriving = arriving();
        AwaitedClasses pricing = awaiting(PRICING);
        List<WeakReference<ClassLoader>> dropped = seeAndDrop(pricing); // the not-ready one counted there
        for (int i = 0; i < 50 && dropped.stream().anyMatch(r -> r.get() != null); i++) {
            System.gc();
            Thread.sleep(20);
        }
        for (WeakReference<ClassLoader> r : dropped) {
            assertNull(r.get(), "a dropped class loader is still reachable");
        }
        assertFalse(arriving.waitsForReady(), "the collected loader is no longer waited for");
        assertFalse(arriving.newLoaderCanRead(pricing, "test"), "nothing left to ask");
    }

    /**
     * Three loaders the application then drops: one seen that cannot read the target (asked), one that
     * can but has not defined a class (not ready), one seen and not asked yet.
     */
    private List<WeakReference<ClassLoader>> seeAndDrop(AwaitedClasses pricing) throws Exception {
        URLClassLoader unrelated = new URLClassLoader("arriving-gone-1", new URL[] {classes("gone1", OTHER)
                .toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        unrelated.loadClass(OTHER);
        arriving.watcher().accept(unrelated);
        URLClassLoader notReady = new URLClassLoader("arriving-gone-2", new URL[] {classes("gone2", PRICING)
                .toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        arriving.watcher().accept(notReady);
        assertFalse(arriving.newLoaderCanRead(pricing, "test"));
        assertTrue(arriving.waitsForReady());
        URLClassLoader unasked = new URLClassLoader("arriving-gone-3", new URL[] {classes("gone3", OTHER)
                .toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        arriving.watcher().accept(unasked);
        List<WeakReference<ClassLoader>> refs = List.of(new WeakReference<>(unrelated), new WeakReference<>(notReady),
                new WeakReference<>(unasked));
        for (URLClassLoader l : List.of(unrelated, notReady, unasked)) {
            l.close();
        }
        return refs;
    }
}
