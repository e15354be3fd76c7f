package io.jlivepatch.internal.patch;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.jar.Jars;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A class whose definition is inside jlivepatch's transformer, hooking from one table, while an
 * operation publishes the next: the operation's scan cannot find the class (it is not defined yet),
 * so the transformer itself must hook it from the newer table before it returns.
 */
class TableDuringTransformTest {

    static final String SPLIT = "testapp.inflight.Split";

    public static String fixedOne(Object split) {
        return "fixed one";
    }

    public static String fixedTwo(Object split) {
        return "fixed two";
    }

    @AfterEach
    void cleanUp() throws Exception {
        HookTransformer.afterTableReadForTests = null;
        Jars.removeAll();
    }

    /** Defines {@link #SPLIT} itself, from the test class path's class file: a copy of its own. */
    static final class OwnCopy extends ClassLoader {
        OwnCopy(String name) {
            super(name, OwnCopy.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals(SPLIT)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] b;
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        b = in.readAllBytes();
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                    c = defineClass(name, b, 0, b.length);
                }
                return c;
            }
        }
    }

    static Patch one(String name) throws NoSuchMethodException {
        return Patch.builder(name).replace(SPLIT, "one", "()Ljava/lang/String;",
                TableDuringTransformTest.class.getMethod("fixedOne", Object.class)).build();
    }

    static Patch two(String name) throws NoSuchMethodException {
        return Patch.builder(name).replace(SPLIT, "two", "()Ljava/lang/String;",
                TableDuringTransformTest.class.getMethod("fixedTwo", Object.class)).build();
    }

    static String call(Class<?> split, String method) throws ReflectiveOperationException {
        Object o = split.getConstructor().newInstance();
        return (String) split.getMethod(method).invoke(o);
    }

    @Test
    void aPatchEnabledWhileTheTransformerHooksAClassFromTheOlderTableHooksItToo() throws Exception {
        PatchHandle first = Jars.lp().register(one("during-first"));
        first.enable();
        assertTrue(first.awaitTransition(Duration.ofSeconds(30)));

        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OwnCopy loader = new OwnCopy("during-transform");
        AtomicReference<Object> defined = new AtomicReference<>();
        Thread definer = new Thread(() -> {
            try {
                defined.set(loader.loadClass(SPLIT));
            } catch (Throwable e) {
                defined.set(e);
            }
        }, "defines-split");
        HookTransformer.afterTableReadForTests = () -> {
            if (Thread.currentThread() == definer && entered.getCount() > 0) {
                entered.countDown();
                try {
                    release.await(); // the test's own latch: held until the enable below is done
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        definer.start();
        assertTrue(entered.await(30, TimeUnit.SECONDS), "the definition never reached jlivepatch's transformer");

        // The transformer read the table of the first patch, which hooks one() only.
        PatchHandle second = Jars.lp().register(two("during-second"));
        second.enable();
        assertTrue(second.awaitTransition(Duration.ofSeconds(30)));
        release.countDown();
        definer.join(TimeUnit.SECONDS.toMillis(30));

        assertTrue(defined.get() instanceof Class<?>, () -> "not defined: " + defined.get());
        Class<?> split = (Class<?>) defined.get();
        assertEquals(loader, split.getClassLoader());
        assertEquals("fixed one", call(split, "one"));
        assertEquals("fixed two", call(split, "two"), "hooked from the table the enable published");
    }
}
