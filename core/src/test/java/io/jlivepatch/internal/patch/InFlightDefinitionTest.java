package io.jlivepatch.internal.patch;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.jar.Jars;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.security.ProtectionDomain;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.jlivepatch.internal.patch.TableDuringTransformTest.SPLIT;
import static io.jlivepatch.internal.patch.TableDuringTransformTest.call;
import static io.jlivepatch.internal.patch.TableDuringTransformTest.one;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A target class whose definition has passed jlivepatch's transformer but is held after it (by
 * another agent's transformer, here one that waits on the test's latch) while an operation changes
 * its hooks: the operation's scans cannot see it, yet once it is defined it must be hooked as the
 * current table wants. And a definition that fails after jlivepatch's transformer must not keep
 * anything waiting.
 */
class InFlightDefinitionTest {

    private final WarningsLogged capture = new WarningsLogged();
    private final List<String> warnings = capture.lines;

    private final Instrumentation inst = ByteBuddyAgent.install();
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private ClassFileTransformer holder;
    private ClassFileTransformer refuser;

    @AfterEach
    void cleanUp() throws Exception {
        release.countDown();
        if (refuser != null) {
            inst.removeTransformer(refuser);
        }
        if (holder != null) {
            inst.removeTransformer(holder);
        }
        InFlightFollowUp.giveUpAfterNanos = TimeUnit.MINUTES.toNanos(10);
        InFlightFollowUp.beforeLookForTests = null;
        InFlightFollowUp.afterLookForTests = null;
        HookManager.beforeFollowInFlightForTests = null;
        HookManager.ledgerRestoreFailureForTests = null;
        HookManager.retransformRefusalForTests = null;
        capture.stop();
        Jars.removeAll();
    }

    /**
     * Another agent's transformer, registered after jlivepatch's: holds the definition of SPLIT in
     * {@code loader} until {@link #release}, then returns {@code bytes} (null: the class file unchanged).
     */
    private void holdDefinitionIn(ClassLoader loader, byte[] bytes) {
        holder = new ClassFileTransformer() {
            @Override
            public byte[] transform(ClassLoader l, String name, Class<?> redefined, ProtectionDomain pd, byte[] b) {
                if (l == loader && redefined == null && SPLIT.replace('.', '/').equals(name)) {
                    entered.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return bytes;
                }
                return null;
            }
        };
        inst.addTransformer(holder, true);
    }

    /** Starts defining SPLIT in {@code loader}; returns once the definition is held after jlivepatch's transformer. */
    private AtomicReference<Object> defineHeld(ClassLoader loader, Thread[] definer) throws InterruptedException {
        AtomicReference<Object> defined = new AtomicReference<>();
        definer[0] = new Thread(() -> {
            try {
                defined.set(loader.loadClass(SPLIT));
            } catch (Throwable e) {
                defined.set(e);
            }
        }, "defines-split-held");
        definer[0].start();
        assertTrue(entered.await(30, TimeUnit.SECONDS), "the definition never reached the holding transformer");
        return defined;
    }

    /**
     * Registers {@code name}, a patch of SPLIT, then has a definition of SPLIT in a loader of that name
     * fail after jlivepatch's transformer (another agent's bytes, which the JVM refuses): its record is
     * never seen loaded.
     */
    private PatchHandle registeredWithAFailedDefinition(String name) throws Exception {
        PatchHandle h = Jars.lp().register(one(name));
        TableDuringTransformTest.OwnCopy loader = new TableDuringTransformTest.OwnCopy(name);
        holdDefinitionIn(loader, new byte[] {0, 1, 2, 3}); // the JVM refuses these bytes: ClassFormatError
        Thread[] definer = new Thread[1];
        AtomicReference<Object> defined = defineHeld(loader, definer);
        release.countDown();
        definer[0].join(TimeUnit.SECONDS.toMillis(30));
        assertTrue(defined.get() instanceof ClassFormatError, () -> "expected a failed definition: " + defined.get());
        return h;
    }

    private static HookManager hooks() throws ReflectiveOperationException {
        Field f = PatchRegistry.class.getDeclaredField("hooks");
        f.setAccessible(true);
        return (HookManager) f.get(PatchRegistry.installed());
    }

    /** Waits until no definition is followed any more: the follow-up's own state, not a time. */
    private static void awaitNoneInFlight() throws Exception {
        InFlight f = hooks().ledger().inFlight();
        for (int i = 0; i < 30_000 && !f.isEmpty(); i++) {
            Thread.sleep(1);
        }
        assertTrue(f.isEmpty(), () -> "still followed: " + f.all().size() + " definition(s)");
    }

    private static Class<?> definedClass(AtomicReference<Object> defined, Thread definer) throws InterruptedException {
        definer.join(TimeUnit.SECONDS.toMillis(30));
        assertTrue(defined.get() instanceof Class<?>, () -> "not defined: " + defined.get());
        return (Class<?>) defined.get();
    }

    @Test
    void aClassDefinedAfterAnEnableThatCouldNotSeeItRunsThePatch() throws Exception {
        PatchHandle h = Jars.lp().register(one("in-flight-enable"));
        TableDuringTransformTest.OwnCopy loader = new TableDuringTransformTest.OwnCopy("in-flight-enable");
        holdDefinitionIn(loader, null);
        Thread[] definer = new Thread[1];
        AtomicReference<Object> defined = defineHeld(loader, definer);

        // jlivepatch's transformer read a table that hooks nothing in the class; the enable's scans
        // cannot see the class, whose definition goes on only after the enable is done.
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        release.countDown();
        Class<?> split = definedClass(defined, definer[0]);
        awaitNoneInFlight();

        assertEquals("fixed one", call(split, "one"), "the class keeps its own code with its patch enabled");
        assertEquals(Set.of("one()Ljava/lang/String;"),
                hooks().ledger().get(loader, SPLIT).hooked());
        FunctionStatus.LoaderStatus in = h.functions().get(0).loaders().stream()
                .filter(l -> l.classLoader().contains("in-flight-enable")).findFirst().orElseThrow();
        assertEquals(FunctionStatus.State.PATCHED, in.state(), in.toString());
    }

    /**
     * A patched class defined while no change runs reads the current hooks: it runs the patch, and
     * status must not list it as in flight, though its record waits for the next change's look.
     */
    @Test
    void aClassDefinedOutsideAnyChangeIsHookedAndNotListedAsInFlight() throws Exception {
        PatchHandle h = Jars.lp().register(one("in-flight-none"));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        TableDuringTransformTest.OwnCopy loader = new TableDuringTransformTest.OwnCopy("in-flight-none");
        Class<?> split = loader.loadClass(SPLIT);
        assertEquals("fixed one", call(split, "one"));
        assertEquals(Set.of("one()Ljava/lang/String;"), hooks().ledger().get(loader, SPLIT).hooked());
        assertFalse(inFlightLine().contains("in-flight-none"), Jars.statusText());
    }

    /** Status's {@code in flight:} line, or "" when it has none. */
    private static String inFlightLine() throws Exception {
        for (String l : Jars.statusText().split("\n")) {
            if (l.startsWith("  in flight: ")) {
                return l;
            }
        }
        return "";
    }

    /**
     * The `jlivepatch load` case: the definition passed jlivepatch's transformer before the patch
     * naming its class was registered, so it was not recorded then; the registration finds it from
     * the ledger's last definition of that name (HookLedger.watch) and the enable's change follows it.
     */
    @Test
    void aClassHeldFromBeforeItsPatchWasRegisteredRunsThePatchOnceDefined() throws Exception {
        Livepatch lp = Jars.lp(); // jlivepatch's transformer first, then the holder: held after it
        hooks().watch(Set.of()); // as in a JVM where no patch named the class yet (the tests above did)
        TableDuringTransformTest.OwnCopy loader = new TableDuringTransformTest.OwnCopy("in-flight-before-watch");
        holdDefinitionIn(loader, null);
        Thread[] definer = new Thread[1];
        AtomicReference<Object> defined = defineHeld(loader, definer);

        PatchHandle h = lp.register(one("in-flight-before-watch"));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        release.countDown();
        Class<?> split = definedClass(defined, definer[0]);
        awaitNoneInFlight();

        assertEquals("fixed one", call(split, "one"), "the class keeps its own code with its patch enabled");
        FunctionStatus.LoaderStatus in = h.functions().get(0).loaders().stream()
                .filter(l -> l.classLoader().contains("in-flight-before-watch")).findFirst().orElseThrow();
        assertEquals(FunctionStatus.State.PATCHED, in.state(), in.toString());
    }

    @Test
    void aClassDefinedAfterADisableThatCouldNotSeeItRunsItsOwnCode() throws Exception {
        PatchHandle h = Jars.lp().register(one("in-flight-disable"));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        TableDuringTransformTest.OwnCopy loader = new TableDuringTransformTest.OwnCopy("in-flight-disable");
        holdDefinitionIn(loader, null);
        Thread[] definer = new Thread[1];
        AtomicReference<Object> defined = defineHeld(loader, definer);

        // Hooked from the enabled patch's table; the disable removes that hook where it can see it.
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        release.countDown();
        Class<?> split = definedClass(defined, definer[0]);
        awaitNoneInFlight();

        assertEquals("own one", call(split, "one"));
        assertEquals(Set.of(), hooks().ledger().get(loader, SPLIT).hooked(), "the disabled patch's hook stayed");
    }

    /** The link entries of {@code patch} that say what the in-flight follow-up did, once there are {@code count}. */
    private static List<AuditLog.Entry> awaitFollowUpEntries(String patch, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // a hang detector: written by jlivepatch's thread
        List<AuditLog.Entry> found = List.of();
        while (System.nanoTime() - deadline < 0) {
            found = PatchRegistry.installed().audit().entries().stream().filter(e -> e.operation().equals("link")
                    && e.patch().equals(patch) && e.outcome().contains("defined during a change of patches")).toList();
            if (found.size() >= count) {
                break;
            }
            Thread.sleep(5);
        }
        return found;
    }

    /** jlivepatch's log lines at INFO and above from here to {@link #stopInfo}: the kernel's words the operator sees. */
    private final List<String> info = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.logging.Handler infoHandler = new java.util.logging.Handler() {
        @Override
        public void publish(java.util.logging.LogRecord r) {
            info.add(r.getLevel() + " " + new java.util.logging.SimpleFormatter().formatMessage(r));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private void startInfo() {
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.jlivepatch");
        log.setLevel(java.util.logging.Level.INFO);
        log.setUseParentHandlers(false);
        log.addHandler(infoHandler);
    }

    private void stopInfo() {
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.jlivepatch");
        log.removeHandler(infoHandler);
        log.setUseParentHandlers(true);
        log.setLevel(java.util.logging.Level.WARNING);
    }

    /**
     * The follow-up's retransformation changes a running class's code: it is a log line in the kernel's
     * words and an audit record of its own, written by jlivepatch's thread (as a class defined later is).
     * Before, only an aggregate INFO line without the patch ("hooked 1 class(es) whose definition was in
     * flight ...") and nothing on record.
     */
    @Test
    void theFollowUpsHooksOfAClassDefinedDuringAnEnableAreLoggedAndOnRecord() throws Exception {
        PatchHandle h = Jars.lp().register(one("in-flight-enable-record"));
        TableDuringTransformTest.OwnCopy loader = new TableDuringTransformTest.OwnCopy("in-flight-enable-record");
        holdDefinitionIn(loader, null);
        Thread[] definer = new Thread[1];
        AtomicReference<Object> defined = defineHeld(loader, definer);
        startInfo();
        try {
            h.enable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
            release.countDown();
            Class<?> split = definedClass(defined, definer[0]);
            // Its line is queued once its retransformation is done: no wait for every record to go, which an
            // earlier test class's definition never seen loaded would hold up until its bound
            List<AuditLog.Entry> entries = awaitFollowUpEntries("in-flight-enable-record", 1);
            assertEquals("fixed one", call(split, "one"));
            assertEquals(1, entries.size(), entries.toString());
            assertEquals("jlivepatch", entries.get(0).requester());
            assertTrue(entries.get(0).outcome().matches("ok \\(" + SPLIT.replace(".", "\\.") + " in class loader"
                    + " in-flight-enable-record@\\p{XDigit}+, defined during a change of patches: hooked again once"
                    + " loaded, as the patches are now\\)"), entries.get(0).toString());
        } finally {
            stopInfo();
        }
        List<String> lines = info.stream().filter(l -> l.contains(SPLIT)).toList();
        assertEquals(1, lines.size(), info.toString());
        assertTrue(lines.get(0).matches("INFO applying patch 'in-flight-enable-record' to loading class "
                + SPLIT.replace(".", "\\.") + " in class loader in-flight-enable-record@\\p{XDigit}+ \\(its definition"
                + " was in flight during a change of patches: hooked again once loaded\\)"), lines.get(0));
    }

    /** As above, a disable's: the hooks its definition got from the enabled patch are taken off, on record. */
    @Test
    void theFollowUpsUnhookingOfAClassDefinedDuringADisableIsLoggedAndOnRecord() throws Exception {
        PatchHandle h = Jars.lp().register(one("in-flight-disable-record"));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        TableDuringTransformTest.OwnCopy loader = new TableDuringTransformTest.OwnCopy("in-flight-disable-record");
        holdDefinitionIn(loader, null);
        Thread[] definer = new Thread[1];
        startInfo();
        try {
            AtomicReference<Object> defined = defineHeld(loader, definer);
            h.disable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
            release.countDown();
            Class<?> split = definedClass(defined, definer[0]);
            List<AuditLog.Entry> entries = awaitFollowUpEntries("in-flight-disable-record", 1); // as above
            assertEquals("own one", call(split, "one"));
            assertEquals(1, entries.size(), entries.toString());
            assertTrue(entries.get(0).outcome().endsWith(", defined during a change of patches: the patch's hooks taken"
                    + " off once loaded, as the patches are now)"), entries.get(0).toString());
        } finally {
            stopInfo();
        }
        List<String> lines = info.stream().filter(l -> l.contains(SPLIT) && l.contains("patch 'in-flight-disable")).toList();
        // Its definition passed jlivepatch's transformer with the patch enabled: applied then, reverted once loaded
        assertEquals(2, lines.size(), info.toString());
        assertTrue(lines.get(0).startsWith("INFO applying patch 'in-flight-disable-record' to loading class " + SPLIT
                + " in class loader in-flight-disable-record@"), lines.get(0));
        assertTrue(lines.get(1).startsWith("INFO reverting patch 'in-flight-disable-record' on loading class " + SPLIT
                + " in class loader in-flight-disable-record@"), lines.get(1));
        assertTrue(lines.get(1).endsWith(" (its definition was in flight during a change of patches: its hooks taken off"
                + " once loaded)"), lines.get(1));
    }

    /**
     * A class defined while an enable's table was published, whose change then failed (the JVM
     * refused the retransformation another agent's transformer made): the definition read the
     * refused table, so its class, once defined, must be given back the hooks of the table restored.
     */
    @Test
    void aClassDefinedDuringAChangeThatFailsEndsWithTheRestoredHooks() throws Exception {
        PatchException e = definedDuringARefusedEnable("in-flight-refused");
        assertEquals(PatchException.Reason.TRANSFORM_FAILED, e.reason(), e.getMessage());
    }

    /**
     * As above, and the undo's restore of the ledger's records runs out of memory: the enable is refused
     * for the shortage, and the class whose definition read the refused table is still given back the
     * hooks of the table restored. The undo's look at the definitions in flight runs whatever the restore
     * threw: skipped, the class kept the refused enable's hook until the next change (the registry puts
     * the previous table back itself only when the one published is not it, which the undo saw to).
     */
    @Test
    void aClassDefinedDuringAChangeWhoseUndoRunsOutOfMemoryEndsWithTheRestoredHooks() throws Exception {
        HookManager.ledgerRestoreFailureForTests = new OutOfMemoryError("injected: Java heap space");
        PatchException e = definedDuringARefusedEnable("in-flight-refused-short");
        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());
        assertEquals(null, HookManager.ledgerRestoreFailureForTests, "the undo put the ledger's records back");
    }

    /**
     * Enables {@code name}, a patch of SPLIT, whose retransformation of a loaded copy the JVM refuses while
     * another copy's definition, which read the enable's table, is held in flight; returns the refusal
     * once that copy, defined, and the loaded one run their own code, as the table restored wants.
     */
    private PatchException definedDuringARefusedEnable(String name) throws Exception {
        PatchHandle h = Jars.lp().register(one(name));
        TableDuringTransformTest.OwnCopy loaded = new TableDuringTransformTest.OwnCopy(name + "-loaded");
        Class<?> refusedClass = loaded.loadClass(SPLIT); // the enable retransforms it, and the JVM refuses that
        TableDuringTransformTest.OwnCopy loader = new TableDuringTransformTest.OwnCopy(name);
        holdDefinitionIn(loader, null);
        Thread[] definer = new Thread[1];
        AtomicReference<AtomicReference<Object>> held = new AtomicReference<>();
        // Another agent's transformer, after jlivepatch's: at the enable's retransformation of the loaded
        // copy (the enable's table is published by then) it has the other copy's definition pass
        // jlivepatch's transformer and wait in the holder's, then gives the JVM bytes it refuses.
        refuser = new ClassFileTransformer() {
            @Override
            public byte[] transform(ClassLoader l, String name, Class<?> redefined, ProtectionDomain pd, byte[] b) {
                if (redefined != refusedClass || held.get() != null) {
                    return null;
                }
                try {
                    held.set(defineHeld(loader, definer));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new byte[] {0, 1, 2, 3};
            }
        };
        inst.addTransformer(refuser, true);

        PatchException e = assertThrows(PatchException.class, h::enable);
        assertFalse(h.isEnabled());
        inst.removeTransformer(refuser);
        assertTrue(held.get() != null, "the enable never retransformed the loaded copy");
        release.countDown();
        Class<?> split = definedClass(held.get(), definer[0]);
        awaitNoneInFlight();

        assertEquals(Set.of(), hooks().ledger().get(loader, SPLIT).hooked(), "the refused enable's hook stayed");
        assertEquals("own one", call(split, "one"));
        assertEquals("own one", call(refusedClass, "one"));
        return e;
    }

    @Test
    void aDefinitionThatFailsAfterTheTransformerHoldsNothingUpAndIsGivenUpWithAWarning() throws Exception {
        capture.start();
        PatchHandle h = registeredWithAFailedDefinition("in-flight-failed");

        // Never seen loaded: the operations go on all the same, and the record is followed meanwhile.
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertFalse(hooks().ledger().inFlight().isEmpty(), "followed until its bound");
        // Status says so (an operation that saw it exited 5: the operator looks there).
        // Other tests' records may be listed too (this JVM runs them all): only this one is looked for.
        String mine = SPLIT + " in in-flight-failed@";
        String line = inFlightLine();
        assertTrue(line.contains(mine) && line.contains("hooked as the patches want once loaded"), Jars.statusText());
        String json = (String) java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
                new javax.management.ObjectName(io.jlivepatch.control.ObjectNames.LIVEPATCH), "statusJson", null, null);
        assertTrue(json.contains("\"" + mine), json);

        InFlightFollowUp.giveUpAfterNanos = 0;
        h.enable(); // a change looks at once; the thread would at its next look
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        awaitNoneInFlight();
        assertFalse(inFlightLine().contains(mine), Jars.statusText());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("the definition of " + SPLIT + " in")
                && w.contains("in-flight-failed") && w.contains("was never seen loaded")), warnings.toString());
    }

    @Test
    void aFollowUpWhoseLooksFailEveryTimeLogsOnceAndStillGivesTheRecordsUpAtTheirBound() throws Exception {
        looksFailEveryTime(false);
    }

    /**
     * A run of failures whose first is out of memory or stack (not logged: logging needs both) was never
     * logged at all, as only the run's first failure was, while the warning that gives the records up
     * points at "the error logged".
     */
    @Test
    void aRunOfFailedLooksThatStartsWithAVirtualMachineErrorIsStillLoggedOnce() throws Exception {
        looksFailEveryTime(true);
    }

    /**
     * A failed look whose logging fails too (it runs out of memory: here reading the failure's text,
     * as the log does) ended the thread with its state still saying it ran: no thread looked again,
     * nor would one ever start. It looks on, and gives the record up at its bound.
     */
    @Test
    void aFailedLookThatCannotBeLoggedLeavesTheFollowUpLooking() throws Exception {
        java.util.concurrent.atomic.AtomicInteger looks = new java.util.concurrent.atomic.AtomicInteger();
        InFlightFollowUp.beforeLookForTests = () -> {
            if (looks.incrementAndGet() == 1) {
                throw new IllegalStateException("a look that fails on purpose") {
                    @Override
                    public String toString() {
                        throw new OutOfMemoryError("logging the failed look, on purpose");
                    }
                };
            }
        };
        PatchHandle h = registeredWithAFailedDefinition("in-flight-log-fails");
        h.enable(); // its own look keeps the record (within its bound) and starts the thread
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        for (int i = 0; i < 30_000 && looks.get() < 2; i++) {
            Thread.sleep(1); // a hang detector: the thread looks 1 ms, 2 ms, 4 ms ... after the enable
        }
        assertTrue(looks.get() >= 2, "the thread looked " + looks.get() + " time(s)");

        InFlightFollowUp.giveUpAfterNanos = 0; // no change from here: only the thread can give it up
        awaitNoneInFlight();
    }

    /**
     * An interrupt of the follow-up's thread (application code that interrupts every thread; here the
     * thread's own, during a look) is cleared before its next pause: left set, every pause returned at
     * once and the looks came back to back, each taking the lock every change of hooks takes.
     */
    @Test
    void anInterruptOfTheFollowUpsThreadIsClearedBeforeItsNextPause() throws Exception {
        java.util.concurrent.atomic.AtomicInteger looks = new java.util.concurrent.atomic.AtomicInteger();
        AtomicReference<Boolean> interruptedAtTheNextLook = new AtomicReference<>();
        InFlightFollowUp.beforeLookForTests = () -> {
            int n = looks.incrementAndGet();
            if (n == 1) {
                Thread.currentThread().interrupt();
            } else if (n == 2) {
                interruptedAtTheNextLook.set(Thread.currentThread().isInterrupted());
            }
        };
        PatchHandle h = registeredWithAFailedDefinition("in-flight-interrupted");
        h.enable(); // its own look keeps the record (within its bound) and starts the thread
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        for (int i = 0; i < 30_000 && interruptedAtTheNextLook.get() == null; i++) {
            Thread.sleep(1); // a hang detector: the thread looks 1 ms, 2 ms, 4 ms ... after the enable
        }
        assertEquals(Boolean.FALSE, interruptedAtTheNextLook.get(), "the interrupt stayed set through the pause");

        InFlightFollowUp.giveUpAfterNanos = 0; // no change from here: only the thread can give it up
        awaitNoneInFlight();
    }

    /**
     * A throw outside the look (here just after it, where the lock is let go and the audit thread woken)
     * ended the thread with its state still saying it ran: no change started one again, and the record
     * was followed by nobody for the JVM's life. The next change starts a thread, which gives it up.
     */
    @Test
    void aFollowUpThreadEndedByAThrowOutsideItsLookIsStartedAgainByTheNextChange() throws Exception {
        AtomicReference<Thread> ended = new AtomicReference<>();
        InFlightFollowUp.afterLookForTests = () -> {
            if (ended.compareAndSet(null, Thread.currentThread())) {
                throw new OutOfMemoryError("after a look, on purpose");
            }
        };
        PatchHandle h = registeredWithAFailedDefinition("in-flight-after-look");
        h.enable(); // its own look keeps the record (within its bound) and starts the thread
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        for (int i = 0; i < 30_000 && ended.get() == null; i++) {
            Thread.sleep(1); // a hang detector: the thread looks 1 ms, 2 ms, 4 ms ... after the enable
        }
        assertTrue(ended.get() != null, "the thread never looked");
        ended.get().join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(ended.get().isAlive(), "the thread did not end at the throw");
        assertFalse(hooks().ledger().inFlight().isEmpty(), "followed until its bound");

        h.disable(); // its own look keeps the record too, and has a thread look again
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        InFlightFollowUp.giveUpAfterNanos = 0; // no change from here: only a thread can give it up
        awaitNoneInFlight();
    }

    /**
     * Status names the first 10 definitions in flight (StatusReport.IN_FLIGHT_SHOWN, README: "the first
     * 10"), the text saying how many more there are and the JSON counting them all, both naming the same.
     */
    @Test
    void statusNamesTheFirstTenDefinitionsInFlightAndCountsTheRest() throws Exception {
        PatchHandle h = Jars.lp().register(one("in-flight-many"));
        refuser = new ClassFileTransformer() { // another agent's bytes, which the JVM refuses: never seen loaded
            @Override
            public byte[] transform(ClassLoader l, String name, Class<?> redefined, ProtectionDomain pd, byte[] b) {
                return redefined == null && l instanceof TableDuringTransformTest.OwnCopy
                        && String.valueOf(l.getName()).startsWith("in-flight-many-")
                        && SPLIT.replace('.', '/').equals(name) ? new byte[] {0, 1, 2, 3} : null;
            }
        };
        inst.addTransformer(refuser, true);
        int made = 12;
        for (int i = 0; i < made; i++) {
            TableDuringTransformTest.OwnCopy loader = new TableDuringTransformTest.OwnCopy("in-flight-many-" + i);
            assertThrows(ClassFormatError.class, () -> loader.loadClass(SPLIT));
        }
        h.enable(); // the records were made from the table before: listed from now on
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));

        String line = inFlightLine();
        String tail = ": defined while the patches changed";
        assertTrue(line.contains(tail), Jars.statusText());
        String listed = line.substring("  in flight: ".length(), line.indexOf(tail));
        int and = listed.lastIndexOf(" and ");
        assertTrue(and > 0 && listed.endsWith(" more"), line);
        List<String> shown = List.of(listed.substring(0, and).split(", "));
        int more = Integer.parseInt(listed.substring(and + " and ".length(), listed.length() - " more".length()));
        assertEquals(10, shown.size(), line);
        assertTrue(10 + more >= made, line); // this test's, and any another test left within its bound

        String json = (String) java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
                new javax.management.ObjectName(io.jlivepatch.control.ObjectNames.LIVEPATCH), "statusJson", null, null);
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> inFlight = (java.util.Map<String, Object>)
                ((java.util.Map<String, Object>) io.jlivepatch.json.JsonReader.parse(json)).get("inFlight");
        assertEquals(withoutAge(shown), withoutAge((List<?>) inFlight.get("definitions")), json);
        assertEquals(10 + more, ((Number) inFlight.get("count")).intValue(), json);

        InFlightFollowUp.giveUpAfterNanos = 0;
        h.disable(); // gives them up
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        awaitNoneInFlight();
    }

    /** {@code <class> in <loader>} of each {@code <class> in <loader> (<seconds> s)}: the seconds may tick between two reports. */
    private static List<String> withoutAge(List<?> definitions) {
        return definitions.stream().map(d -> String.valueOf(d).replaceAll(" \\(\\d+ s\\)$", "")).toList();
    }

    /** Has the next change's look at the definitions in flight run out of memory, once. */
    private static void nextChangesLookRunsOutOfMemory() {
        java.util.concurrent.atomic.AtomicBoolean thrown = new java.util.concurrent.atomic.AtomicBoolean();
        HookManager.beforeFollowInFlightForTests = () -> {
            if (thrown.compareAndSet(false, true)) {
                throw new OutOfMemoryError("following the definitions in flight, on purpose");
            }
        };
    }

    /**
     * A change the JVM refuses, whose look at the definitions in flight then runs out of memory: the
     * caller got the OutOfMemoryError instead of the refusal (TRANSFORM_FAILED, what to do). It gets the
     * refusal, the shortage added to it and logged.
     */
    @Test
    void aRefusedChangeWhoseLookAtTheDefinitionsInFlightFailsIsStillRefusedAsSuch() throws Exception {
        capture.start();
        PatchHandle h = registeredWithAFailedDefinition("in-flight-look-oom-refused"); // a record to look at
        TableDuringTransformTest.OwnCopy loaded = new TableDuringTransformTest.OwnCopy("in-flight-look-oom-loaded");
        Class<?> refusedClass = loaded.loadClass(SPLIT);
        refuser = new ClassFileTransformer() { // another agent's bytes, which the JVM refuses
            @Override
            public byte[] transform(ClassLoader l, String name, Class<?> redefined, ProtectionDomain pd, byte[] b) {
                return redefined == refusedClass ? new byte[] {0, 1, 2, 3} : null;
            }
        };
        inst.addTransformer(refuser, true);
        nextChangesLookRunsOutOfMemory();

        PatchException e = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.TRANSFORM_FAILED, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("the JVM refused"), e.getMessage());
        assertTrue(java.util.Arrays.stream(e.getCause().getSuppressed()).anyMatch(s -> s instanceof OutOfMemoryError
                && String.valueOf(s.getMessage()).contains("on purpose")), () -> "not added to the refusal: " + e);
        assertFalse(h.isEnabled());
        assertEquals("own one", call(refusedClass, "one"));
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("following the class definitions in flight failed")),
                warnings.toString());

        inst.removeTransformer(refuser);
        InFlightFollowUp.giveUpAfterNanos = 0;
        h.enable(); // gives the record up
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        awaitNoneInFlight();
    }

    /**
     * A change the JVM refuses, whose undo then runs out of memory restoring the ledger's records, and whose
     * look at the definitions in flight runs out of memory too: the undo's shortage is what the caller gets
     * (OUT_OF_MEMORY: the undo did not finish), and the JVM's refusal and the look's failure go with it, for
     * the log. Before, the undo's error was thrown bare: the refusal (what another agent's transformer did,
     * the reason to act on) and the look's failure were lost.
     */
    @Test
    void aRefusedChangeWhoseUndoRunsOutOfMemoryKeepsTheRefusalWithTheShortage() throws Exception {
        capture.start();
        PatchHandle h = registeredWithAFailedDefinition("in-flight-undo-oom"); // a record to look at
        Class<?> refusedClass = new TableDuringTransformTest.OwnCopy("in-flight-undo-oom-loaded").loadClass(SPLIT);
        refuser = new ClassFileTransformer() { // another agent's bytes, which the JVM refuses
            @Override
            public byte[] transform(ClassLoader l, String name, Class<?> redefined, ProtectionDomain pd, byte[] b) {
                return redefined == refusedClass ? new byte[] {0, 1, 2, 3} : null;
            }
        };
        inst.addTransformer(refuser, true);
        HookManager.ledgerRestoreFailureForTests = new OutOfMemoryError("restoring the ledger, on purpose");
        nextChangesLookRunsOutOfMemory();

        PatchException e = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());
        Throwable undo = e.getCause();
        assertTrue(undo instanceof OutOfMemoryError && undo.getMessage().contains("restoring the ledger"), e::toString);
        List<Throwable> with = List.of(undo.getSuppressed());
        assertTrue(with.stream().anyMatch(s -> s instanceof ClassFormatError), () -> "the JVM's refusal is lost: " + with);
        assertTrue(with.stream().anyMatch(s -> String.valueOf(s.getMessage()).contains("following the definitions in"
                + " flight, on purpose")), () -> "the look's failure is lost: " + with);
        assertFalse(h.isEnabled());
        assertEquals("own one", call(refusedClass, "one"));

        inst.removeTransformer(refuser);
        InFlightFollowUp.giveUpAfterNanos = 0;
        h.enable(); // gives the record up
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        awaitNoneInFlight();
    }

    /**
     * A refusal out of memory whose look at the definitions in flight fails with the very same error (the
     * JVM throws one shared OutOfMemoryError once its preallocated ones are used up): adding it to itself
     * threw IllegalArgumentException ("Self-suppression not permitted") out of the change, which the caller
     * got instead of the shortage (INTERNAL_ERROR). It gets the shortage.
     */
    @Test
    void aShortageWhoseLookFailsWithTheSameErrorIsStillReportedAsTheShortage() throws Exception {
        PatchHandle h = registeredWithAFailedDefinition("in-flight-same-oom"); // a record to look at
        Class<?> refusedClass = new TableDuringTransformTest.OwnCopy("in-flight-same-oom-loaded").loadClass(SPLIT);
        refuser = new ClassFileTransformer() { // another agent's bytes, which the JVM refuses
            @Override
            public byte[] transform(ClassLoader l, String name, Class<?> redefined, ProtectionDomain pd, byte[] b) {
                return redefined == refusedClass ? new byte[] {0, 1, 2, 3} : null;
            }
        };
        inst.addTransformer(refuser, true);
        OutOfMemoryError shared = new OutOfMemoryError("Java heap space, shared");
        HookManager.retransformRefusalForTests = shared; // the JVM's refusal, thrown as this shortage
        HookManager.beforeFollowInFlightForTests = () -> {
            throw shared;
        };

        PatchException e = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());
        assertTrue(e.getCause() == shared, e::toString);
        assertFalse(h.isEnabled());
        assertEquals("own one", call(refusedClass, "one"));

        HookManager.beforeFollowInFlightForTests = null;
        inst.removeTransformer(refuser);
        InFlightFollowUp.giveUpAfterNanos = 0;
        h.enable(); // gives the record up
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        awaitNoneInFlight();
    }

    /**
     * A change that succeeded, whose look at the definitions in flight then runs out of memory: the
     * registry took the shortage for the change's and undid it, and the enable failed with it. The
     * change stands, and the shortage is logged.
     */
    @Test
    void aChangeWhoseLookAtTheDefinitionsInFlightFailsAfterwardsStands() throws Exception {
        capture.start();
        PatchHandle h = registeredWithAFailedDefinition("in-flight-look-oom"); // a record to look at
        Class<?> split = new TableDuringTransformTest.OwnCopy("in-flight-look-oom-loaded").loadClass(SPLIT);
        nextChangesLookRunsOutOfMemory();

        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertTrue(h.isEnabled());
        assertEquals("fixed one", call(split, "one"));
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("following the class definitions in flight failed")),
                warnings.toString());

        InFlightFollowUp.giveUpAfterNanos = 0;
        h.disable(); // gives the record up
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        awaitNoneInFlight();
    }

    private void looksFailEveryTime(boolean firstOutOfStack) throws Exception {
        capture.start();
        java.util.concurrent.atomic.AtomicInteger looks = new java.util.concurrent.atomic.AtomicInteger();
        InFlightFollowUp.beforeLookForTests = () -> {
            if (looks.incrementAndGet() == 1 && firstOutOfStack) {
                throw new StackOverflowError("a look that finds no stack, on purpose");
            }
            throw new IllegalStateException("a look that fails on purpose");
        };
        PatchHandle h = registeredWithAFailedDefinition("in-flight-looks-fail");
        h.enable(); // its own look keeps the record (within its bound) and starts the thread, whose looks fail
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        for (int i = 0; i < 30_000 && looks.get() < 3; i++) {
            Thread.sleep(1); // a hang detector: the thread looks 1 ms, 2 ms, 4 ms ... after the enable
        }
        assertTrue(looks.get() >= 3, "the thread looked " + looks.get() + " time(s)");
        assertFalse(hooks().ledger().inFlight().isEmpty(), "followed until its bound");

        InFlightFollowUp.giveUpAfterNanos = 0; // no change from here: only the failing thread can give it up
        awaitNoneInFlight();
        // The thread removes the record, then logs: the line may come just after the record went.
        for (int i = 0; i < 30_000 && warnings.stream().noneMatch(w -> w.contains("could not be looked for")); i++) {
            Thread.sleep(1);
        }
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("the definition of " + SPLIT + " in")
                && w.contains("in-flight-looks-fail") && w.contains("could not be looked for")), warnings.toString());
        assertEquals(1, warnings.stream().filter(w -> w.startsWith("following the definitions in flight failed"))
                .count(), warnings.toString());
    }
}
