package io.jlivepatch;

import faultapp.ShortHeld;
import faultapp.ShortRetransform;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.lang.instrument.ClassFileTransformer;
import java.lang.reflect.Field;
import java.security.ProtectionDomain;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM out of metaspace for the new versions of the classes a change retransforms: it changed no
 * class (the transformers ran, the JVM took none of their output). The change is refused with nothing
 * changed, or, at a transition's end, retried; either way the hooks the classes have are the ones
 * jlivepatch's records say, and the life cycle goes on.
 */
class RetransformShortageTest {

    public static int two(ShortRetransform self) throws InterruptedException {
        if (Thread.currentThread() == holder) {
            inside.countDown();
            release.await(); // a latch, not a timing: the test releases it
        }
        return 2;
    }

    /** The thread held inside {@link #two} until {@link #release} opens. */
    private static volatile Thread holder;
    private static volatile java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    private static volatile java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

    public static int eleven(ShortRetransform self) {
        return 11;
    }

    private final AtomicBoolean refuse = new AtomicBoolean();
    /** The class whose next retransformation the JVM refuses (internal name). */
    private volatile String refused = "faultapp/ShortRetransform";

    /** Another agent's transformer that adds a method while armed: the JVM refuses that retransformation. */
    private final ClassFileTransformer addsAMethod = new ClassFileTransformer() {
        @Override
        public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain pd, byte[] b) {
            if (redefined == null || !refused.equals(name) || !refuse.getAndSet(false)) {
                return null;
            }
            ClassReader r = new ClassReader(b);
            ClassWriter w = new ClassWriter(r, 0);
            r.accept(new ClassVisitor(Opcodes.ASM9, w) {
                @Override
                public void visitEnd() {
                    MethodVisitor mv = super.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "added$", "()V", null,
                            null);
                    mv.visitCode();
                    mv.visitInsn(Opcodes.RETURN);
                    mv.visitMaxs(0, 0);
                    mv.visitEnd();
                    super.visitEnd();
                }
            }, 0);
            return w.toByteArray();
        }
    };

    @AfterEach
    void cleanUp() throws Exception {
        release.countDown();
        Thread h = holder;
        if (h != null) {
            h.join(30_000);
            holder = null;
        }
        refuse.set(false);
        refusalAs(null);
        seam("ledgerRestoreFailureForTests", null);
        seam("forgetFailureForTests", null);
        TestSupport.instrumentation().removeTransformer(addsAMethod);
        TestSupport.removeAllPatches();
    }

    /** The next retransformation of ShortRetransform is refused by the JVM, thrown as out of metaspace. */
    private void shortOfMetaspaceOnce() throws Exception {
        shortOfMetaspaceOnce(ShortRetransform.class);
    }

    /** The next retransformation of {@code c} is refused by the JVM, thrown as out of metaspace. */
    private void shortOfMetaspaceOnce(Class<?> c) throws Exception {
        refusedOnceAs(c, new OutOfMemoryError("injected: Metaspace"));
    }

    /** The next retransformation of {@code c} is refused by the JVM, thrown as {@code shortage}. */
    private void refusedOnceAs(Class<?> c, Error shortage) throws Exception {
        refused = c.getName().replace('.', '/');
        TestSupport.livepatch(); // jlivepatch's transformer first: the refusal comes after it ran
        TestSupport.instrumentation().addTransformer(addsAMethod, true);
        refusalAs(shortage);
        refuse.set(true);
    }

    private static void refusalAs(Error e) throws ReflectiveOperationException {
        seam("retransformRefusalForTests", e);
    }

    /** Sets HookManager's test seam {@code name} (an Error thrown once, then cleared) to {@code e}. */
    private static void seam(String name, Error e) throws ReflectiveOperationException {
        Field f = Class.forName("io.jlivepatch.internal.patch.HookManager").getDeclaredField(name);
        f.setAccessible(true);
        f.set(null, e);
    }

    private static PatchHandle registered() throws PatchException {
        return TestSupport.livepatch().register(Patch.builder("short-retransform").replace(
                method(ShortRetransform.class, "value"), method(RetransformShortageTest.class, "two",
                        ShortRetransform.class)).build());
    }

    private static int linkedMethods(Class<?> c) throws ReflectiveOperationException {
        return (int) Class.forName("io.jlivepatch.internal.bootstrap.Dispatch", false, null)
                .getMethod("linkedMethods", Class.class).invoke(null, c);
    }

    /** From a thread of its own, started now: a thread no transition ever met. */
    private static int valueOnANewThread(ShortRetransform target) throws InterruptedException {
        int[] got = new int[1];
        Thread t = new Thread(() -> got[0] = target.value());
        t.start();
        t.join(30_000);
        assertFalse(t.isAlive());
        return got[0];
    }

    @Test
    void anEnableWhoseRetransformationFindsNoMetaspaceIsRefusedAndChangesNothing() throws Exception {
        PatchHandle h = registered();
        ShortRetransform target = new ShortRetransform();
        assertEquals(1, target.value());

        shortOfMetaspaceOnce();
        PatchException e = assertThrows(PatchException.class, h::enable);

        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());
        assertFalse(refuse.get(), "the JVM was asked to retransform the class");
        assertTrue(h.isRegistered() && !h.isEnabled() && !h.inTransition());
        assertEquals(1, target.value());
        assertEquals(1, valueOnANewThread(target));
        assertEquals(FunctionStatus.State.NOT_PATCHED, h.functions().get(0).state(), h.functions().toString());
        assertTrue(Mbeans.statusText().contains("short-retransform [disabled]"), Mbeans.statusText());
        assertLifeCycleGoesOn(h, target);
    }

    /**
     * The end of a disable removes the hook: out of metaspace there, the transition is retried and ends
     * with the hook gone from the class and its call sites, the original running on every thread.
     */
    @Test
    void aDisableWhoseHookRemovalFindsNoMetaspaceEndsWithTheHookGone() throws Exception {
        PatchHandle h = registered();
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        ShortRetransform target = new ShortRetransform();
        assertEquals(2, target.value());
        assertEquals(1, linkedMethods(ShortRetransform.class));

        shortOfMetaspaceOnce();
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));

        assertFalse(refuse.get(), "the JVM was asked to retransform the class");
        assertFalse(h.isEnabled());
        assertEquals(1, target.value());
        assertEquals(1, valueOnANewThread(target));
        assertEquals(0, linkedMethods(ShortRetransform.class), "a site of the hook the disable removed is left");
        assertEquals(FunctionStatus.State.NOT_PATCHED, h.functions().get(0).state(), h.functions().toString());
        List<String> ends = RegistryAccess.get().audit().entries().stream()
                .filter(a -> a.patch().equals("short-retransform") && a.operation().equals("transition"))
                .map(io.jlivepatch.internal.core.AuditLog.Entry::outcome).toList();
        assertEquals("ok (unpatching complete)", ends.get(ends.size() - 1), ends.toString());
        assertTrue(ends.stream().anyMatch(o -> o.startsWith("ending the transition failed, retrying")), ends.toString());
        assertLifeCycleGoesOn(h, target);
    }

    /**
     * Out of stack where the end of a disable removes the hook (a StackOverflowError is a VirtualMachineError
     * too, thrown after the transformers ran, no class changed): undone as the shortage of metaspace is, the
     * end is retried and ends with the hook gone.
     */
    @Test
    void aDisableWhoseHookRemovalOverflowsTheStackEndsWithTheHookGone() throws Exception {
        PatchHandle h = registered();
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        ShortRetransform target = new ShortRetransform();
        assertEquals(2, target.value());

        refusedOnceAs(ShortRetransform.class, new StackOverflowError("injected"));
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));

        assertFalse(refuse.get(), "the JVM was asked to retransform the class");
        assertEquals(1, target.value());
        assertEquals(1, valueOnANewThread(target));
        assertEquals(0, linkedMethods(ShortRetransform.class), "a site of the hook the disable removed is left");
        assertEquals(FunctionStatus.State.NOT_PATCHED, h.functions().get(0).state(), h.functions().toString());
        assertLifeCycleGoesOn(h, target);
    }

    /**
     * Out of metaspace where the end of a disable removes the hook, and out of memory again where the
     * undo puts back the ledger's records of the class the JVM refused: the table before the end is
     * published all the same, so the retried end finds the hook to remove and ends with it gone. Before,
     * the undo's error left the end's table published: the retry found no hook left to change and ended
     * with the hook in its class and its site linked.
     */
    @Test
    void aDisableWhoseHookRemovalAndItsUndoFindNoMemoryEndsWithTheHookGone() throws Exception {
        PatchHandle h = registered();
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        ShortRetransform target = new ShortRetransform();
        assertEquals(2, target.value());
        assertEquals(1, linkedMethods(ShortRetransform.class));

        shortOfMetaspaceOnce();
        seam("ledgerRestoreFailureForTests", new OutOfMemoryError("injected: Java heap space"));
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));

        assertFalse(refuse.get(), "the JVM was asked to retransform the class");
        assertNull(field("ledgerRestoreFailureForTests"), "the undo put the ledger's records back");
        assertFalse(h.isEnabled());
        assertEquals(1, target.value());
        assertEquals(1, valueOnANewThread(target));
        assertEquals(0, linkedMethods(ShortRetransform.class), "a site of the hook the disable removed is left");
        assertEquals(FunctionStatus.State.NOT_PATCHED, h.functions().get(0).state(), h.functions().toString());
        List<String> ends = RegistryAccess.get().audit().entries().stream()
                .filter(a -> a.patch().equals("short-retransform") && a.operation().equals("transition"))
                .map(io.jlivepatch.internal.core.AuditLog.Entry::outcome).toList();
        assertEquals("ok (unpatching complete)", ends.get(ends.size() - 1), ends.toString());
        assertTrue(ends.stream().anyMatch(o -> o.startsWith("ending the transition failed, retrying")), ends.toString());
        assertLifeCycleGoesOn(h, target);
    }

    /**
     * As above, for an enable: out of metaspace for its retransformation, and out of memory where the undo
     * puts back the ledger's records of the class. The refusal leaves the ledger as it was, saying what the
     * class holds: no hook. Before, the records of the refused bytes stayed (the registry had no table to
     * apply again, the undo having put it back): a later change read a hook the class did not have.
     */
    @Test
    void anEnableRefusedWhoseLedgerRestoreFindsNoMemoryLeavesTheLedgerAsItWas() throws Exception {
        PatchHandle h = registered();
        ShortRetransform target = new ShortRetransform();
        assertEquals(1, target.value());
        assertEquals(Set.of(), ledgerHooks(ShortRetransform.class));

        shortOfMetaspaceOnce();
        seam("ledgerRestoreFailureForTests", new OutOfMemoryError("injected: Java heap space"));
        PatchException e = assertThrows(PatchException.class, h::enable);

        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());
        assertFalse(refuse.get(), "the JVM was asked to retransform the class");
        assertNull(field("ledgerRestoreFailureForTests"), "the undo tried to put the ledger's records back");
        assertEquals(Set.of(), ledgerHooks(ShortRetransform.class), "the JVM refused the enable's bytes: no hook");
        assertTrue(h.isRegistered() && !h.isEnabled() && !h.inTransition());
        assertEquals(1, target.value());
        assertEquals(1, valueOnANewThread(target));
        assertLifeCycleGoesOn(h, target);
    }

    /**
     * The end of a disable removes the hook, and finds no memory to forget its call site (Dispatch keeps
     * each linked site until then): the end is retried, and the site goes. Before, the retry found no hook
     * left to change, and the site stayed registered for the class's life, its replacement with it, and
     * status counted the method as linked.
     */
    @Test
    void aDisableWhoseEndCannotForgetTheRemovedHooksSiteEndsWithTheSiteGone() throws Exception {
        PatchHandle h = registered();
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        ShortRetransform target = new ShortRetransform();
        assertEquals(2, target.value());
        assertEquals(1, linkedMethods(ShortRetransform.class));

        seam("forgetFailureForTests", new OutOfMemoryError("injected: Java heap space"));
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));

        assertNull(field("forgetFailureForTests"), "the end tried to forget the site");
        assertFalse(h.isEnabled());
        assertEquals(0, linkedMethods(ShortRetransform.class), "the site of the hook the disable removed is left");
        assertEquals(Set.of(), ledgerHooks(ShortRetransform.class));
        assertEquals(1, target.value());
        assertEquals(1, valueOnANewThread(target));
        assertLifeCycleGoesOn(h, target);
    }

    /**
     * A refused enable whose ledger restore finds no memory, at the undo and again right after it (the
     * registry's finishUndo): its records wait for the next change. That change's own finishUndo finds no
     * memory either; it goes on, and hooks the class (its pass's records are true). The records left
     * over must not be put back over them afterwards (here by the transition's end, the next change):
     * they said what the class held before this change hooked it. Before, the ledger then said value()
     * had no hook while the enabled patch ran through it, and status said the function was NOT_PATCHED.
     */
    @Test
    void recordsLeftByARefusedEnableAreNotPutBackOverTheRecordsOfALaterChangeThatHookedTheClass() throws Exception {
        // A patch below whose site the undo relinks (relinkAllBack): its source arms the restore's failure
        // once more, between the undo's restore and the registry's finishUndo, the only call between them.
        java.lang.invoke.MethodHandle eleven = java.lang.invoke.MethodHandles.lookup().unreflect(
                method(RetransformShortageTest.class, "eleven", ShortRetransform.class));
        java.util.concurrent.atomic.AtomicReference<Error> again = new java.util.concurrent.atomic.AtomicReference<>();
        io.jlivepatch.internal.patch.ReplacementSource source = loader -> {
            if (field("ledgerRestoreFailureForTests") == null) { // the undo's restore met the first one
                Error next = again.getAndSet(null);
                if (next != null) {
                    seam("ledgerRestoreFailureForTests", next);
                }
            }
            return eleven;
        };
        PatchHandle below = RegistryAccess.get().register(Patch.builder("short-retransform-below").replace(
                method(ShortRetransform.class, "other"), method(RetransformShortageTest.class, "eleven",
                        ShortRetransform.class)).build(), List.of(source));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        ShortRetransform target = new ShortRetransform();
        assertEquals(11, target.other(), "the site of other() is linked, to the patch below");
        assertEquals(Set.of("other()I"), ledgerHooks(ShortRetransform.class));
        PatchHandle h = registered();

        shortOfMetaspaceOnce();
        seam("ledgerRestoreFailureForTests", new OutOfMemoryError("injected: Java heap space (the undo's)"));
        again.set(new OutOfMemoryError("injected: Java heap space (the registry's finishUndo)"));
        PatchException e = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());
        assertNull(again.get(), "the undo relinked the site of other() after its restore failed");
        assertNull(field("ledgerRestoreFailureForTests"), "the registry's finishUndo tried to put the records back");
        assertEquals(1, target.value());

        seam("ledgerRestoreFailureForTests", new OutOfMemoryError("injected: Java heap space (the next change's)"));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertNull(field("ledgerRestoreFailureForTests"), "the enable's finishUndo tried to put the records back");

        assertEquals(2, target.value());
        assertEquals(11, target.other());
        assertEquals(Set.of("value()I", "other()I"), ledgerHooks(ShortRetransform.class),
                "the class holds both hooks, the enable's pass said so");
        assertEquals(FunctionStatus.State.PATCHED, h.functions().get(0).state(), h.functions().toString());
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, target.value());
        assertEquals(Set.of("other()I"), ledgerHooks(ShortRetransform.class));
        below.disable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(10, target.other());
        assertEquals(Set.of(), ledgerHooks(ShortRetransform.class));
        below.unregister();
        assertLifeCycleGoesOn(h, target);
    }

    /** What jlivepatch's ledger says {@code c}'s hooked methods are (the keys: name and descriptor). */
    static Set<String> ledgerHooks(Class<?> c) throws ReflectiveOperationException {
        Field f = io.jlivepatch.internal.core.PatchRegistry.class.getDeclaredField("hooks");
        f.setAccessible(true);
        io.jlivepatch.internal.patch.HookManager hooks = (io.jlivepatch.internal.patch.HookManager) f.get(
                RegistryAccess.get());
        return hooks.ledger().get(c.getClassLoader(), c.getName()).hooked();
    }

    private static Object field(String name) throws ReflectiveOperationException {
        Field f = Class.forName("io.jlivepatch.internal.patch.HookManager").getDeclaredField(name);
        f.setAccessible(true);
        return f.get(null);
    }

    /**
     * A disable hooks the patch's held methods for its transition: out of metaspace there, it is refused
     * after its preUnpatch, and the patch stays enabled, its code running on every thread, the held
     * method without a hook.
     */
    @Test
    void aDisableWhoseHeldMethodsHookFindsNoMetaspaceIsRefusedAndThePatchStaysEnabled() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("short-retransform").replace(
                method(ShortRetransform.class, "value"), method(RetransformShortageTest.class, "two",
                        ShortRetransform.class)).hold(method(ShortHeld.class, "work")).build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        ShortRetransform target = new ShortRetransform();
        assertEquals(2, target.value());
        assertEquals(0, ShortHeld.work());
        assertEquals(0, linkedMethods(ShortHeld.class), "the held method's hook goes with the transition");

        shortOfMetaspaceOnce(ShortHeld.class);
        PatchException e = assertThrows(PatchException.class, h::disable);

        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());
        assertFalse(refuse.get(), "the JVM was asked to retransform the held method's class");
        assertTrue(h.isEnabled() && !h.inTransition());
        assertEquals(2, target.value());
        assertEquals(2, valueOnANewThread(target));
        assertEquals(0, ShortHeld.work());
        assertEquals(0, linkedMethods(ShortHeld.class));
        assertEquals(FunctionStatus.State.PATCHED, h.functions().get(0).state(), h.functions().toString());
        List<io.jlivepatch.internal.core.AuditLog.Entry> audit = RegistryAccess.get().audit().entries().stream()
                .filter(a -> a.patch().equals("short-retransform")).toList();
        assertTrue(audit.get(audit.size() - 1).outcome().startsWith("refused OUT_OF_MEMORY"), audit.toString());

        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, target.value());
        assertEquals(0, linkedMethods(ShortHeld.class));
        assertLifeCycleGoesOn(h, target);
    }

    /**
     * A cumulative patch's transition end removes the hooks of the methods only the patches it replaces
     * had: out of metaspace there, it is retried and ends with those hooks gone.
     */
    @Test
    void aCumulativePatchsEndWhoseHookRemovalFindsNoMetaspaceEndsWithTheHooksGone() throws Exception {
        PatchHandle old = TestSupport.livepatch().register(Patch.builder("short-retransform-old")
                .replace(method(ShortRetransform.class, "value"), method(RetransformShortageTest.class, "two",
                        ShortRetransform.class))
                .replace(method(ShortRetransform.class, "other"), method(RetransformShortageTest.class, "eleven",
                        ShortRetransform.class)).build());
        old.enable();
        assertTrue(old.awaitTransition(Duration.ofSeconds(30)));
        ShortRetransform target = new ShortRetransform();
        assertEquals(2, target.value());
        assertEquals(11, target.other());
        assertEquals(2, linkedMethods(ShortRetransform.class));
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("short-retransform").replace(
                method(ShortRetransform.class, "value"), method(RetransformShortageTest.class, "two",
                        ShortRetransform.class)).replaceAll().build());

        shortOfMetaspaceOnce();
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));

        assertFalse(refuse.get(), "the JVM was asked to retransform the class");
        assertFalse(old.isRegistered());
        assertEquals(List.of("short-retransform"), TestSupport.livepatch().patches().stream().map(PatchHandle::name)
                .toList());
        assertEquals(2, target.value());
        assertEquals(10, target.other());
        assertEquals(10, (int) onANewThread(target::other));
        assertEquals(1, linkedMethods(ShortRetransform.class), "a site of a hook the replace removed is left");
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, target.value());
        assertLifeCycleGoesOn(h, target);
    }

    /**
     * A force of a disable that a thread inside the patch's code holds: its end, on the forcing thread,
     * finds no metaspace to remove the hook. The force took effect ({@code ok (forced; ...retried)}), the
     * worker ends the transition with the hook gone, and the held thread, released, leaves the new code.
     */
    @Test
    void aForcedDisableWhoseHookRemovalFindsNoMetaspaceEndsWithTheHookGone() throws Exception {
        PatchHandle h = registered();
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        ShortRetransform target = new ShortRetransform();
        inside = new java.util.concurrent.CountDownLatch(1);
        release = new java.util.concurrent.CountDownLatch(1);
        int[] heldGot = new int[1];
        Thread held = new Thread(() -> heldGot[0] = target.value(), "short-retransform-held");
        holder = held;
        held.start();
        assertTrue(inside.await(30, java.util.concurrent.TimeUnit.SECONDS));
        h.disable();
        assertTrue(h.inTransition(), "a thread inside the patch's code holds the disable");

        shortOfMetaspaceOnce();
        h.forceTransition();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));

        assertFalse(refuse.get(), "the JVM was asked to retransform the class");
        assertFalse(h.isEnabled());
        assertEquals(1, target.value());
        assertEquals(1, valueOnANewThread(target));
        assertEquals(0, linkedMethods(ShortRetransform.class), "a site of the hook the forced disable removed is left");
        List<String> forced = RegistryAccess.get().audit().entries().stream()
                .filter(a -> a.patch().equals("short-retransform") && a.operation().equals("force"))
                .map(io.jlivepatch.internal.core.AuditLog.Entry::outcome).toList();
        assertEquals(List.of("ok (forced; ending the transition (relinking) failed and is retried by the transition"
                + " worker: see the log)"), forced);
        release.countDown();
        held.join(30_000);
        assertEquals(2, heldGot[0], "the held thread finished in the code it was in");
        holder = null;
        assertLifeCycleGoesOn(h, target);
    }

    private static int onANewThread(java.util.function.IntSupplier call) throws InterruptedException {
        int[] got = new int[1];
        Thread t = new Thread(() -> got[0] = call.getAsInt());
        t.start();
        t.join(30_000);
        assertFalse(t.isAlive());
        return got[0];
    }

    /** The patch enables, runs on every thread, disables, and unregisters; the original runs again. */
    private static void assertLifeCycleGoesOn(PatchHandle h, ShortRetransform target) throws Exception {
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(2, target.value());
        assertEquals(2, valueOnANewThread(target));
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, target.value());
        assertEquals(1, valueOnANewThread(target));
        assertEquals(0, linkedMethods(ShortRetransform.class));
        h.unregister();
        assertFalse(TestSupport.livepatch().find("short-retransform").isPresent());
    }
}
