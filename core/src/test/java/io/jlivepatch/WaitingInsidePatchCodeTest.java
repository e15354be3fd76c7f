package io.jlivepatch;

import insideapp.AppInitPatch;
import insideapp.BlockingPatch;
import insideapp.Hold;
import insideapp.InitPatch;
import insideapp.NextPatch;
import insideapp.NextTarget;
import insideapp.ShadowPatch;
import insideapp.Target;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.internal.control.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.openmbean.CompositeData;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A thread that holds a transition inside the patched method because a patch's own code under it
 * does not return (its class's static initializer, a shadow variable's ctor, the replacement itself):
 * status, its JSON and the MBean say so, after the method, so that the operator looks at the patch's
 * code. Before, they named only the application's method.
 */
class WaitingInsidePatchCodeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<Thread> started = new ArrayList<>();
    private final List<Hold> holds = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        Hold.replacement = null;
        for (Hold h : holds) {
            h.release();
        }
        for (Thread t : started) {
            t.join(WAIT.toMillis());
        }
        for (PatchHandle h : TestSupport.livepatch().patches()) {
            h.awaitTransition(WAIT);
        }
        TestSupport.removeAllPatches();
    }

    /** Enables a patch that replaces Target.value with {@code replacement}; its transition ends at once. */
    private static PatchHandle enabled(String name, Class<?> replacement) throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder(name)
                .replace(Target.class.getMethod("value"), replacement.getMethod("value")).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT), "no thread is inside Target.value");
        return h;
    }

    /** A thread that calls Target.value once, started now and held at {@code hold}. */
    private Thread callerHeldAt(Hold hold, AtomicInteger result) throws InterruptedException {
        Thread t = caller("w-inside", result);
        holds.add(hold);
        t.start();
        hold.awaitEntered(t);
        return t;
    }

    private Thread caller(String name, AtomicInteger result) {
        Thread t = new Thread(() -> result.set(Target.value()), name);
        started.add(t);
        return t;
    }

    /** Status, JSON and the patch's MBean say that {@code t} waits in Target.value, {@code inside}. */
    private static void namedWaiting(PatchHandle h, Thread t, String inside) throws Exception {
        namedWaiting(h, t, "thread '" + t.getName() + "'", inside);
    }

    private static String mbeanClass(PatchHandle h) {
        try {
            return ManagementFactory.getPlatformMBeanServer().getObjectInstance(ObjectNames.patch(h.name())).getClassName();
        } catch (Exception e) {
            return "unknown (" + e + ")";
        }
    }

    /** As above, {@code t} named {@code who} in status's line ({@code thread 'w-1'}, {@code an unnamed thread}). */
    private static void namedWaiting(PatchHandle h, Thread t, String who, String inside) throws Exception {
        String line = "waiting: " + who + " (id " + t.getId() + ") in insideapp.Target.value, inside " + inside + "\n";
        String status = Mbeans.statusText();
        assertTrue(status.contains(line), status);
        String json = (String) Mbeans.invoke(Mbeans.livepatch(), "statusJson", null, null);
        assertTrue(json.contains("{\"thread\":" + Json.string(t.getName()) + ",\"threadId\":" + t.getId()
                + ",\"method\":\"insideapp.Target.value\",\"inside\":" + Json.string(inside) + "}"), json);
        CompositeData[] waiting = (CompositeData[]) ManagementFactory.getPlatformMBeanServer()
                .getAttribute(ObjectNames.patch(h.name()), "Waiting");
        boolean found = false;
        for (CompositeData w : waiting) {
            if (w.get("threadId").equals(t.getId())) {
                // ci230 once read a Waiting whose type had no "inside" (not reproduced in 2 runs of the same
                // classes in the same order): say what answered, should it come again
                assertTrue(w.getCompositeType().containsKey("inside"), () -> "the Waiting of "
                        + ObjectNames.patch(h.name()) + " is " + w.getCompositeType() + ", WaitingThread from "
                        + io.jlivepatch.control.WaitingThread.class.getProtectionDomain().getCodeSource()
                        + ", MBean " + mbeanClass(h));
                assertEquals("insideapp.Target.value", w.get("method"));
                assertEquals(inside, w.get("inside"));
                found = true;
            }
        }
        assertTrue(found, "the MBean's Waiting names thread " + t.getName());
    }

    /**
     * Disables {@code h} (unless its disable runs already) while {@code t} is held in its code, checks that
     * status, JSON and the MBean name what holds {@code t}, then lets it go and checks the transition ends.
     */
    private void disableAndCheckWaiting(PatchHandle h, Thread t, Hold hold, AtomicInteger result, String inside)
            throws Exception {
        disableAndCheckWaiting(h, t, "thread '" + t.getName() + "'", hold, result, inside);
    }

    private void disableAndCheckWaiting(PatchHandle h, Thread t, String who, Hold hold, AtomicInteger result,
                                        String inside) throws Exception {
        if (!h.inTransition()) {
            h.disable(); // its first attempt reads the threads' stacks: the line is there when it returns
        }
        assertTrue(h.inTransition(), "the thread is inside Target.value in the patched state");
        namedWaiting(h, t, who, inside);

        hold.release();
        t.join(WAIT.toMillis());
        assertFalse(t.isAlive());
        assertEquals(2, result.get(), "the patch's version ran to its end");
        assertTrue(h.awaitTransition(WAIT), "once the call returned, the thread moves and the transition ends");
        assertEquals(1, Target.value());
    }

    @Test
    void aPatchClassWhoseStaticInitializerDoesNotReturnIsNamedAsWhatHoldsTheThread() throws Exception {
        PatchHandle h = enabled("inside-init", InitPatch.class); // registering runs none of InitPatch's code
        AtomicInteger result = new AtomicInteger();
        Thread t = callerHeldAt(Hold.INIT, result); // its first call runs the initializer
        disableAndCheckWaiting(h, t, Hold.INIT, result,
                "the static initializer of insideapp.InitPatch (patch 'inside-init')");
    }

    /** And a second thread that asks for the same variable meanwhile waits for that ctor: said too. */
    @Test
    void aShadowVariablesCtorThatDoesNotReturnIsNamedAsWhatHoldsTheThread() throws Exception {
        PatchHandle h = enabled("inside-shadow", ShadowPatch.class);
        AtomicInteger result = new AtomicInteger();
        Thread t = callerHeldAt(Hold.SHADOW_CTOR, result);
        AtomicInteger second = new AtomicInteger();
        Thread u = caller("w-inside-2", second);
        u.start();
        // Waits (on a monitor) for t's ctor in ShadowStore's entry: looked for, 30 s at most.
        long until = System.nanoTime() + WAIT.toNanos();
        while (!waitsForAnotherCtor(u)) {
            assertTrue(System.nanoTime() < until, "w-inside-2 never waited for the ctor: " + u.getState());
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        }
        String replacement = ", from the replacement insideapp.ShadowPatch.value (patch 'inside-shadow')";
        h.disable();
        namedWaiting(h, u, "Shadow.getOrAttach or attach, waiting for another thread's ctor of that variable"
                + replacement);
        disableAndCheckWaiting(h, t, Hold.SHADOW_CTOR, result, "the ctor of a shadow variable (Shadow.getOrAttach or"
                + " attach)" + replacement);
        u.join(WAIT.toMillis());
        assertEquals(2, second.get(), "it got the value the ctor made");
    }

    private static boolean waitsForAnotherCtor(Thread t) {
        if (t.getState() != Thread.State.WAITING) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals("awaitSettled")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aReplacementThatDoesNotReturnIsNamedAsWhatHoldsTheThread() throws Exception {
        PatchHandle h = enabled("inside-replacement", BlockingPatch.class);
        Hold hold = new Hold();
        Hold.replacement = hold;
        AtomicInteger result = new AtomicInteger();
        Thread t = callerHeldAt(hold, result);
        disableAndCheckWaiting(h, t, hold, result, "the replacement insideapp.BlockingPatch.value (patch"
                + " 'inside-replacement')");
    }

    /**
     * Two patch JARs whose classes share their name, as jlivepatch build's for one class do: a thread in
     * the lower one's replacement while the upper one's enable runs is said to be in the lower one's,
     * which its class loader (jlivepatch:inside-jar-1) tells. Before, the upper one was named, whose code
     * the thread never ran.
     */
    @Test
    void ofTwoPatchJarsWhoseClassesShareTheNameTheOneWhoseCodeHoldsTheThreadIsNamed(@TempDir Path dir)
            throws Exception {
        assertEquals("inside-jar-1", Mbeans.load(blockingJar(dir.resolve("1.jar"), "inside-jar-1").toString(), true));
        assertTrue(TestSupport.livepatch().find("inside-jar-1").orElseThrow().awaitTransition(WAIT));
        Hold hold = new Hold();
        Hold.replacement = hold;
        AtomicInteger result = new AtomicInteger();
        Thread t = callerHeldAt(hold, result);

        assertEquals("inside-jar-2", Mbeans.load(blockingJar(dir.resolve("2.jar"), "inside-jar-2").toString(), true));
        PatchHandle upper = TestSupport.livepatch().find("inside-jar-2").orElseThrow();
        assertTrue(upper.inTransition(), "the thread is inside Target.value in the state before it");
        String line = "waiting: thread 'w-inside' (id " + t.getId() + ") in insideapp.Target.value, inside the"
                + " replacement insideapp.fix.JarBlockingFix.value (patch 'inside-jar-1')\n";
        String status = Mbeans.statusText();
        assertTrue(status.contains(line), status);

        hold.release();
        t.join(WAIT.toMillis());
        assertEquals(2, result.get());
        assertTrue(upper.awaitTransition(WAIT), "once the call returned, the thread moves and the transition ends");
    }

    /**
     * A class of the patch JAR that replaces nothing (a helper the replacement calls) holds the thread: its
     * JAR's class loader says it is the patch's code. Before, the line named the method alone.
     */
    @Test
    void aHelperClassOfThePatchJarIsNamedAsWhatHoldsTheThread(@TempDir Path dir) throws Exception {
        Path jar = jar(dir.resolve("helper.jar"), "inside-helper", "insideapp.fix.HelperCallingFix",
                "insideapp.fix.FixHelper");
        assertEquals("inside-helper", Mbeans.load(jar.toString(), true));
        PatchHandle h = TestSupport.livepatch().find("inside-helper").orElseThrow();
        assertTrue(h.awaitTransition(WAIT));
        Hold hold = new Hold();
        Hold.replacement = hold;
        AtomicInteger result = new AtomicInteger();
        Thread t = callerHeldAt(hold, result);
        disableAndCheckWaiting(h, t, hold, result, "insideapp.fix.FixHelper.work (patch 'inside-helper')");
    }

    /**
     * The application's class's static initializer, run by the replacement's call, holds the thread: it is
     * named, with the replacement that called it. Before, 'inside the replacement' alone, as if the
     * replacement's own code did not return.
     */
    @Test
    void anApplicationClassesStaticInitializerCalledFromAReplacementIsNamedWithIt() throws Exception {
        PatchHandle h = enabled("inside-app-init", AppInitPatch.class);
        AtomicInteger result = new AtomicInteger();
        Thread t = callerHeldAt(Hold.APP_INIT, result);
        disableAndCheckWaiting(h, t, Hold.APP_INIT, result, "the static initializer of insideapp.SlowInit, called"
                + " from the replacement insideapp.AppInitPatch.value (patch 'inside-app-init')");
    }

    /**
     * awaitTransition from the application's code that a replacement runs through {@code @Next} (a hidden
     * copy of the original method): its warning reads the frames the transition reads, hidden ones included,
     * and says what status says, that the application's code holds the thread. Before, it read a
     * Throwable's trace, which leaves the copy out, and named the replacement around it.
     */
    @Test
    void awaitTransitionsWarningReadsTheHiddenFramesTheTransitionReads() throws Exception {
        awaitTransitionsWarning("inside-next", "next-await");
    }

    /**
     * awaitTransition's warning of a caller without a name says so, with its id, as status does. Before,
     * {@code called by thread ''}, which read as a name missing from the line.
     */
    @Test
    void awaitTransitionsWarningOfAnUnnamedCallerSaysSo() throws Exception {
        awaitTransitionsWarning("inside-next-unnamed", "");
    }

    private void awaitTransitionsWarning(String patchName, String threadName) throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder(patchName)
                .replace(NextTarget.class.getMethod("value"), NextPatch.class.getMethod("value",
                        java.lang.invoke.MethodHandle.class)).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        Hold hold = new Hold();
        holds.add(hold);
        AtomicReference<Object> awaited = new AtomicReference<>();
        NextTarget.during = () -> {
            NextTarget.during = null;
            try {
                h.disable(); // the unpatching transition this thread holds until the call returns
                awaited.set(h.awaitTransition(Duration.ofDays(1)));
            } catch (Exception e) {
                awaited.set(e);
            }
            hold.here();
        };
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler listen = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel() == java.util.logging.Level.WARNING) {
                    warnings.add(new java.util.logging.SimpleFormatter().formatMessage(r));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        AtomicInteger result = new AtomicInteger();
        Thread t = new Thread(() -> result.set(NextTarget.value()), threadName);
        started.add(t);
        TestSupport.JLIVEPATCH_LOG.addHandler(listen);
        try {
            t.start();
            hold.awaitEntered(t);
        } finally {
            TestSupport.JLIVEPATCH_LOG.removeHandler(listen);
        }
        assertEquals(Boolean.FALSE, awaited.get(), "the transition cannot end while the caller is inside the method");
        String who = threadName.isEmpty() ? "an unnamed thread (id " + t.getId() + ")" : "thread '" + threadName + "'";
        assertTrue(warnings.contains("'" + patchName + "': awaitTransition called by " + who + ", which holds the"
                + " transition itself (it runs insideapp.NextTarget.value in the state before it): the transition"
                + " cannot end before that call returns; not waiting"), warnings.toString());
        String status = Mbeans.statusText();
        assertTrue(status.contains("waiting: " + (threadName.isEmpty() ? "an unnamed thread" : who) + " (id " + t.getId()
                + ") in insideapp.NextTarget.value\n"), status);

        hold.release();
        t.join(WAIT.toMillis());
        assertEquals(11, result.get(), "the patch's version ran, through the original code");
        assertTrue(h.awaitTransition(WAIT), "once the call returned, the thread moves and the transition ends");
        assertEquals(1, NextTarget.value());
    }

    /**
     * A platform thread an application named "": status says so, the JSON and the MBean keep the empty
     * name. Before, {@code thread '' (id 42)}.
     */
    @Test
    void aThreadWithoutANameIsSaidToBeUnnamed() throws Exception {
        PatchHandle h = enabled("inside-unnamed", BlockingPatch.class);
        Hold hold = new Hold();
        Hold.replacement = hold;
        AtomicInteger result = new AtomicInteger();
        Thread t = caller("", result);
        holds.add(hold);
        t.start();
        hold.awaitEntered(t);
        disableAndCheckWaiting(h, t, "an unnamed thread", hold, result,
                "the replacement insideapp.BlockingPatch.value (patch 'inside-unnamed')");
    }

    /**
     * An unnamed virtual thread (JDK 21+; a virtual thread has no name unless given one), met at a hook and
     * one the transition never met (from the JDK's thread dump): {@code an unnamed virtual thread (id 33)}.
     */
    @Test
    void anUnnamedVirtualThreadIsSaidToBeOne() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        PatchHandle below = enabled("inside-unnamed-below", BlockingPatch.class);
        Hold hold = new Hold();
        Hold.replacement = hold;
        AtomicInteger result = new AtomicInteger();
        Thread v = (Thread) Thread.class.getMethod("startVirtualThread", Runnable.class)
                .invoke(null, (Runnable) () -> result.set(Target.value()));
        holds.add(hold);
        started.add(v);
        hold.awaitEntered(v);
        String inside = ", inside the replacement insideapp.BlockingPatch.value (patch 'inside-unnamed-below')\n";

        PatchHandle above = TestSupport.livepatch().register(Patch.builder("inside-unnamed-above")
                .replace(Target.class.getMethod("value"), WaitingInsidePatchCodeTest.class.getMethod("three")).build());
        above.enable();
        assertTrue(above.inTransition(), "a virtual thread it never met sits in Target.value");
        String status = Mbeans.statusText();
        assertTrue(status.contains("waiting: an unnamed virtual thread (id " + v.getId() + ") in insideapp.Target.value"
                + inside), status);
        above.disable(); // reversed: the thread, never met, is in the state it goes back to
        assertTrue(above.awaitTransition(WAIT));
        above.unregister();

        below.disable(); // its first attempt reads the stacks: a thread met at a hook, in the patched state
        assertTrue(below.inTransition(), "the virtual thread is inside Target.value in the patched state");
        status = Mbeans.statusText();
        assertTrue(status.contains("waiting: an unnamed virtual thread (id " + v.getId() + ") in insideapp.Target.value"
                + inside), status);

        hold.release();
        v.join(WAIT.toMillis());
        assertEquals(2, result.get());
        assertTrue(below.awaitTransition(WAIT), "the transition ends once it has left");
        assertEquals(1, Target.value());
    }

    private static Path jar(Path jar, String name, String patchClass, String... more) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", name);
        m.getMainAttributes().putValue("Livepatch-Class", patchClass);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m)) {
            List<String> classes = new ArrayList<>(List.of(patchClass));
            classes.addAll(List.of(more));
            for (String c : classes) {
                jos.putNextEntry(new JarEntry(c.replace('.', '/') + ".class"));
                jos.write(TestSupport.classFile(c));
                jos.closeEntry();
            }
        }
        return jar;
    }

    private static Path blockingJar(Path jar, String name) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", name);
        m.getMainAttributes().putValue("Livepatch-Class", "insideapp.fix.JarBlockingFix");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m)) {
            jos.putNextEntry(new JarEntry("insideapp/fix/JarBlockingFix.class"));
            jos.write(TestSupport.classFile("insideapp.fix.JarBlockingFix"));
            jos.closeEntry();
        }
        return jar;
    }

    public static int three() {
        return 3;
    }

    /**
     * A virtual thread (JDK 21+) inside the replacement of a patch below, which the enable of the patch
     * above never met: the JDK's thread dump finds it, and status names the patch below's replacement.
     */
    @Test
    void aVirtualThreadInsideAnotherPatchsReplacementIsNamedFromTheThreadDump() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        enabled("inside-below", BlockingPatch.class);
        Hold hold = new Hold();
        Hold.replacement = hold;
        AtomicInteger result = new AtomicInteger();
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        builder = Class.forName("java.lang.Thread$Builder").getMethod("name", String.class).invoke(builder, "v-inside");
        Thread v = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                .invoke(builder, (Runnable) () -> result.set(Target.value()));
        holds.add(hold);
        started.add(v);
        v.start();
        hold.awaitEntered(v);

        PatchHandle above = TestSupport.livepatch().register(Patch.builder("inside-above")
                .replace(Target.class.getMethod("value"), WaitingInsidePatchCodeTest.class.getMethod("three")).build());
        above.enable();
        assertTrue(above.inTransition(), "a virtual thread it never met sits in Target.value");
        String line = "waiting: thread 'v-inside' (id " + v.getId() + ") in insideapp.Target.value, inside the"
                + " replacement insideapp.BlockingPatch.value (patch 'inside-below')\n";
        String status = Mbeans.statusText();
        assertTrue(status.contains(line), status);

        hold.release();
        v.join(WAIT.toMillis());
        assertEquals(2, result.get());
        assertTrue(above.awaitTransition(WAIT), "the transition ends once it has left");
        assertEquals(3, Target.value());
    }
}
