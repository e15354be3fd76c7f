package io.jlivepatch;

import faultapp.Hostile;
import io.jlivepatch.control.ObjectNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A patch's own code at its worst: callbacks that throw Errors (a stack overflow of their own, an
 * OutOfMemoryError they throw, an Error subclass of the patch's, one whose message throws too),
 * callbacks whose toString, hashCode and equals throw, a replacement and callbacks that call
 * jlivepatch's own API. Each ends in a clear refusal or a recorded failure, with nothing
 * half-installed, and the next status, disable and unregister work.
 */
class HostilePatchCodeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** An Error of the patch's own. */
    static final class PatchBug extends Error {
        PatchBug(String message) {
            super(message);
        }
    }

    /** An Error of the patch's own whose message, and so its toString, throws another of its Errors. */
    static final class UnprintablePatchBug extends Error {
        @Override
        public String getMessage() {
            throw new PatchBug("the message of an UnprintablePatchBug");
        }
    }

    /** Callbacks that throw {@link #kind} in the callback {@link #in}, and whose Object methods throw. */
    static final class Throwing implements Callbacks {
        volatile String in = "";
        final String kind;

        Throwing(String kind) {
            this.kind = kind;
        }

        private void maybeThrow(String callback) {
            if (callback.equals(in)) {
                switch (kind) {
                    case "StackOverflowError" -> recurse(0);
                    case "OutOfMemoryError" -> throw new OutOfMemoryError("thrown by the callback itself");
                    case "PatchBug" -> throw new PatchBug("a bug of the patch's");
                    default -> throw new UnprintablePatchBug();
                }
            }
        }

        private static int recurse(int n) {
            return recurse(n + 1) + 1;
        }

        @Override
        public void prePatch(Class<?> target) {
            maybeThrow("prePatch");
        }

        @Override
        public void postPatch(Class<?> target) {
            maybeThrow("postPatch");
        }

        @Override
        public void preUnpatch(Class<?> target) {
            maybeThrow("preUnpatch");
        }

        @Override
        public void postUnpatch(Class<?> target) {
            maybeThrow("postUnpatch");
        }

        @Override
        public String toString() {
            throw new PatchBug("toString of the callbacks");
        }

        @Override
        public int hashCode() {
            throw new PatchBug("hashCode of the callbacks");
        }

        @Override
        public boolean equals(Object o) {
            throw new PatchBug("equals of the callbacks");
        }
    }

    public static int two(Hostile self) {
        return 2;
    }

    /** What the replacement that calls jlivepatch's API does on its next call. */
    static final AtomicReference<ApiCall> DURING_CALL = new AtomicReference<>();

    interface ApiCall {
        void run() throws Exception;
    }

    /** What the replacement's API call threw, if anything. */
    static final AtomicReference<Throwable> CALL_FAILED = new AtomicReference<>();

    public static int callsTheApi(Hostile self) {
        ApiCall call = DURING_CALL.getAndSet(null);
        if (call != null) {
            try {
                call.run();
            } catch (Throwable t) {
                CALL_FAILED.set(t);
            }
        }
        return 2;
    }

    @AfterEach
    void cleanUp() throws Exception {
        DURING_CALL.set(null);
        CALL_FAILED.set(null);
        for (PatchHandle h : TestSupport.livepatch().patches()) {
            h.awaitTransition(WAIT);
        }
        TestSupport.removeAllPatches();
        for (PatchHandle h : TestSupport.livepatch().patches()) {
            h.awaitTransition(WAIT);
        }
    }

    private static PatchHandle register(String name, Callbacks cb) throws PatchException {
        return TestSupport.livepatch().register(Patch.builder(name).description("hostile")
                .replace(method(Hostile.class, "value"), method(HostilePatchCodeTest.class, "two", Hostile.class))
                .callbacks(Hostile.class.getName(), cb).build());
    }

    /** Status, JSON and every attribute of the patch's MBean read, and name the patch. */
    private static void everythingReads(String name) throws Exception {
        assertTrue(Mbeans.statusText().contains(name), Mbeans.statusText());
        assertTrue(((String) Mbeans.invoke(Mbeans.livepatch(), "statusJson", null, null)).contains(name));
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName patch = ObjectNames.patch(name);
        for (MBeanAttributeInfo a : server.getMBeanInfo(patch).getAttributes()) {
            server.getAttribute(patch, a.getName()); // throws if one cannot be read
        }
        for (MBeanAttributeInfo a : server.getMBeanInfo(Mbeans.livepatch()).getAttributes()) {
            server.getAttribute(Mbeans.livepatch(), a.getName());
        }
        RegistryAccess.get().audit().entries().forEach(e -> assertNotNull(e.toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"StackOverflowError", "OutOfMemoryError", "PatchBug", "UnprintablePatchBug"})
    void aPrePatchThatThrowsAnErrorRefusesTheEnableWithNothingChanged(String kind) throws Exception {
        Throwing cb = new Throwing(kind);
        cb.in = "prePatch";
        String name = "hostile-pre-" + kind;
        PatchHandle h = register(name, cb);
        PatchException refused = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.CALLBACK_FAILED, refused.reason(), refused.getMessage());
        assertTrue(refused.getMessage().contains("prePatch of faultapp.Hostile"), refused.getMessage());
        assertTrue(refused.getMessage().contains(kind), refused.getMessage());
        assertFalse(h.isEnabled());
        assertFalse(h.inTransition());
        assertEquals(1, new Hostile().value());
        assertEquals(List.of(), BytecodeProbe.hookedMethods(Hostile.class), "nothing half-installed");
        everythingReads(name);

        cb.in = "";
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(2, new Hostile().value());
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        h.unregister();
        assertEquals(1, new Hostile().value());
        assertEquals(List.of(), BytecodeProbe.hookedMethods(Hostile.class));
    }

    @ParameterizedTest
    @ValueSource(strings = {"StackOverflowError", "OutOfMemoryError", "PatchBug", "UnprintablePatchBug"})
    void theOtherCallbacksThatThrowAnErrorAreRecordedAndStopNothing(String kind) throws Exception {
        for (String in : List.of("postPatch", "preUnpatch", "postUnpatch")) {
            Throwing cb = new Throwing(kind);
            cb.in = in;
            String name = "hostile-" + in + "-" + kind;
            PatchHandle h = register(name, cb);
            h.enable();
            assertTrue(h.awaitTransition(WAIT));
            assertEquals(2, new Hostile().value());
            everythingReads(name);
            h.disable();
            assertTrue(h.awaitTransition(WAIT));
            assertEquals(1, new Hostile().value());
            String failure = RegistryAccess.get().lastCallbackFailure(h);
            assertNotNull(failure, in);
            assertTrue(failure.startsWith(in + " of faultapp.Hostile") && failure.contains(kind), failure);
            everythingReads(name);
            h.unregister();
            assertEquals(List.of(), BytecodeProbe.hookedMethods(Hostile.class));
        }
    }

    @Test
    void aReplacementThatDisablesItsOwnPatchAndReadsStatusIsObeyed() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("hostile-self-disable")
                .replace(method(Hostile.class, "value"), method(HostilePatchCodeTest.class, "callsTheApi", Hostile.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        AtomicReference<String> seen = new AtomicReference<>();
        DURING_CALL.set(() -> {
            seen.set(Livepatch.get().find("hostile-self-disable").orElseThrow().functions().toString()
                    + Mbeans.statusText());
            Livepatch.get().find("hostile-self-disable").orElseThrow().disable();
        });
        assertEquals(2, new Hostile().value(), "the call that disables runs its version to its end");
        assertEquals(null, CALL_FAILED.get());
        assertTrue(seen.get().contains("hostile-self-disable [enabled]"), seen.get());
        assertTrue(h.awaitTransition(WAIT), "once the call returned, the thread moves and the transition ends");
        assertFalse(h.isEnabled());
        assertEquals(1, new Hostile().value());
        h.unregister();
        assertEquals(List.of(), BytecodeProbe.hookedMethods(Hostile.class));
    }

    @Test
    void aReplacementThatAwaitsTheTransitionItHoldsIsAnsweredFalseAtOnce() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("hostile-self-await")
                .replace(method(Hostile.class, "value"), method(HostilePatchCodeTest.class, "callsTheApi", Hostile.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        AtomicReference<Boolean> awaited = new AtomicReference<>();
        DURING_CALL.set(() -> {
            h.disable(); // the unpatching transition this thread holds until the call returns
            awaited.set(h.awaitTransition(Duration.ofDays(1)));
        });
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
        TestSupport.JLIVEPATCH_LOG.addHandler(listen);
        Thread caller = new Thread(() -> new Hostile().value(), "self-await");
        try {
            caller.start();
            caller.join(WAIT.toMillis()); // a hang detector: before, the wait lasted the day it was given
        } finally {
            TestSupport.JLIVEPATCH_LOG.removeHandler(listen);
        }
        if (caller.isAlive()) {
            StringBuilder where = new StringBuilder();
            for (StackTraceElement e : caller.getStackTrace()) {
                where.append("\n\tat ").append(e);
            }
            caller.interrupt(); // the wait is interruptible: the thread returns, and the transition ends
            caller.join(WAIT.toMillis());
            throw new AssertionError("awaitTransition from the thread that holds the transition waits:" + where);
        }
        assertEquals(null, CALL_FAILED.get());
        assertEquals(Boolean.FALSE, awaited.get(), "the transition cannot end while the caller is inside the method");
        // The warning names the patch's code that asked, as status does (WaitingInsidePatchCodeTest)
        assertTrue(warnings.contains("'hostile-self-await': awaitTransition called by thread 'self-await', which holds"
                + " the transition itself (it runs faultapp.Hostile.value in the state before it, inside the replacement"
                + " io.jlivepatch.HostilePatchCodeTest.callsTheApi (patch 'hostile-self-await')): the transition cannot"
                + " end before that call returns; not waiting"), warnings.toString());
        assertTrue(h.awaitTransition(WAIT), "once the call returned, the thread moves and the transition ends");
        assertFalse(h.isEnabled());
        assertEquals(1, new Hostile().value());
        h.unregister();
        assertEquals(List.of(), BytecodeProbe.hookedMethods(Hostile.class));
    }

    @Test
    void aReplacementThatEnablesAnotherPatchWhileItHoldsItsOwnTransitionIsToldToAskFromAnotherThread()
            throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("hostile-busy-own")
                .replace(method(Hostile.class, "value"), method(HostilePatchCodeTest.class, "callsTheApi", Hostile.class))
                .build());
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("hostile-busy-above")
                .replace(method(Hostile.class, "value"), method(HostilePatchCodeTest.class, "two", Hostile.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        DURING_CALL.set(() -> {
            h.disable(); // the unpatching transition this thread holds until the call returns
            above.enable();
        });
        assertEquals(2, new Hostile().value());
        Throwable refused = CALL_FAILED.get();
        assertTrue(refused instanceof PatchException, String.valueOf(refused));
        assertEquals(PatchException.Reason.BUSY, ((PatchException) refused).reason());
        // Before, the message said to retry once the transition had completed, which it could not
        // while this thread retried inside the method. It names the patch's code that asked, as status and
        // awaitTransition's warning do (before, the method alone).
        assertTrue(refused.getMessage().contains("while patch 'hostile-busy-own' is in transition: this thread holds"
                + " that transition itself (it runs faultapp.Hostile.value in the state before it, inside the"
                + " replacement io.jlivepatch.HostilePatchCodeTest.callsTheApi (patch 'hostile-busy-own'))"),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("ask from another thread"), refused.getMessage());
        assertTrue(h.awaitTransition(WAIT), "once the call returned, the thread moves and the transition ends");
        assertFalse(h.isEnabled() || above.isEnabled());
        assertEquals(1, new Hostile().value());
        above.unregister();
        h.unregister();
        assertEquals(List.of(), BytecodeProbe.hookedMethods(Hostile.class));
    }

    @Test
    void aCallbackThatDisablesItsOwnPatchOrReadsStatusIsRefusedTheDisableAndReadsStatus() throws Exception {
        AtomicReference<Throwable> disableFailed = new AtomicReference<>();
        AtomicReference<String> status = new AtomicReference<>();
        AtomicReference<PatchHandle> self = new AtomicReference<>();
        Callbacks cb = new Callbacks() {
            @Override
            public void postPatch(Class<?> target) {
                try {
                    status.set(Mbeans.statusText() + self.get().functions());
                    self.get().disable();
                } catch (Throwable t) {
                    disableFailed.set(t);
                }
            }
        };
        PatchHandle h = register("hostile-callback-self", cb);
        self.set(h);
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertTrue(disableFailed.get() instanceof PatchException, String.valueOf(disableFailed.get()));
        assertEquals(PatchException.Reason.ILLEGAL_STATE, ((PatchException) disableFailed.get()).reason());
        assertTrue(disableFailed.get().getMessage().contains("from a callback (postPatch of faultapp.Hostile)"),
                disableFailed.get().getMessage());
        assertTrue(status.get() != null && status.get().contains("hostile-callback-self"), status.get());
        assertTrue(h.isEnabled());
        assertEquals(2, new Hostile().value());
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        h.unregister();
        assertEquals(1, new Hostile().value());
    }
}
