package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.late.Param;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DESIGN.md: "A thread can pass the guard just before a disable relinks the call site. Never link a
 * call site to a handle that fails." This test forces that interleaving on the first call of a freshly
 * hooked method: the caller passes the guard, then the last patch of the method is disabled completely
 * (hook removed, dispatch sites forgotten) before the caller links the prologue's {@code call} site.
 *
 * <p>The pause is made deterministic from outside: the hooked class's parameter type is first
 * resolved through its loader while jlivepatch links the guard (under Dispatch's link lock); at that
 * moment another thread is started that queues for the same lock and, once it holds it, disables the
 * patch. The caller's {@code call} bootstrap then waits for the whole disable. Without the helper
 * the same interleaving needs only a caller descheduled between two instructions of the prologue.
 */
class DispatchRaceTest {

    private static final String RACY = "testapp.late.Racy";
    private static final String PARAM = "testapp.late.Param";
    private static final int ATTEMPTS = 20;

    public static String run(Object receiver, Param p) {
        return "patched";
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    /** Dispatch's private lock; Dispatch lives in the boot loader's unnamed module, which is open. */
    private static Object dispatchLinkLock() throws ReflectiveOperationException {
        livepatch();
        Class<?> dispatch = Class.forName("io.jlivepatch.internal.bootstrap.Dispatch", false, null);
        Field f = dispatch.getDeclaredField("LINK_LOCK");
        f.setAccessible(true);
        return f.get(null);
    }

    @Test
    void aCallerThatPassedTheGuardNeverFailsWhenTheLastPatchGoesBeforeItLinksTheCall() throws Exception {
        Object linkLock = dispatchLinkLock();
        List<String> failures = new ArrayList<>();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            PatchHandle h = livepatch().register(Patch.builder("dispatch-race-" + attempt)
                    .replace(RACY, "run", "(Ltestapp/late/Param;)Ljava/lang/String;",
                            method(DispatchRaceTest.class, "run", Object.class, Param.class)).build());
            h.enable();
            AtomicReference<Thread> disabler = new AtomicReference<>();
            Thread caller = Thread.currentThread();
            AtomicReference<Throwable> disableFailed = new AtomicReference<>();
            ClassLoader loader = new ClassLoader("dispatch-race-" + attempt, DispatchRaceTest.class.getClassLoader()) {
                private final byte[] racy = TestSupport.classFile(RACY);

                @Override
                protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                    if (name.equals(RACY)) {
                        synchronized (getClassLoadingLock(name)) {
                            Class<?> c = findLoadedClass(name);
                            return c != null ? c : defineClass(name, racy, 0, racy.length);
                        }
                    }
                    if (name.equals(PARAM) && disabler.get() == null) {
                        // We are inside the guard's linking, holding Dispatch's lock.
                        Thread t = new Thread(() -> {
                            synchronized (linkLock) {
                                try {
                                    // Blocked: the caller waits for this lock to link its call, inside
                                    // the hooked method. Otherwise it linked first and may leave at any
                                    // time, and the transition's worker may then end it, taking the
                                    // registry's lock and waiting for this one: forcing (the registry's
                                    // lock) from here would deadlock with it. That attempt just misses
                                    // the interleaving; the next ones catch it.
                                    boolean callerWaits = caller.getState() == Thread.State.BLOCKED;
                                    h.disable();
                                    // The caller sits in the hooked method, so the consistency model
                                    // would hold the unpatching transition until it left; forcing it
                                    // removes the hook and forgets the sites before the caller links.
                                    if (callerWaits && h.inTransition()) {
                                        h.forceTransition();
                                    }
                                } catch (Throwable e) {
                                    disableFailed.set(e);
                                }
                            }
                        }, "dispatch-race-disabler");
                        disabler.set(t);
                        t.start();
                        while (t.getState() != Thread.State.BLOCKED && t.isAlive()) {
                            Thread.onSpinWait();
                        }
                    }
                    return super.loadClass(name, resolve);
                }
            };
            @SuppressWarnings("unchecked")
            Supplier<String> racy = (Supplier<String>) loader.loadClass(RACY).getDeclaredConstructor().newInstance();
            try {
                String result = racy.get();
                assertTrue(Set.of("patched", "original").contains(result), result);
            } catch (RuntimeException e) {
                failures.add("attempt " + attempt + ": " + e);
            }
            assertTrue(disabler.get() != null, "the interleaving was not set up");
            disabler.get().join(10_000);
            assertEquals(null, disableFailed.get());
            assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(10)));
            assertEquals("original", racy.get());
            h.unregister();
        }
        assertEquals(List.of(), failures);
    }
}
