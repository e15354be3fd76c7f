package io.jlivepatch;

import io.jlivepatch.internal.patch.ReplacementSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import faultapp.Copied;
import faultapp.Target;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures nobody foresaw, injected where a patch's own code runs inside an operation (its
 * replacement source): each is a refusal with a reason, logged and audited, the registry is as it
 * was, and the application and jlivepatch keep working.
 */
class FailureRefusalTest {

    private final ConcurrentLinkedQueue<LogRecord> logged = new ConcurrentLinkedQueue<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    public static int two(Target s) {
        return 2;
    }

    public static int copiedTwo(Copied c) {
        return 2;
    }

    @BeforeEach
    void listen() {
        TestSupport.JLIVEPATCH_LOG.addHandler(handler);
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.JLIVEPATCH_LOG.removeHandler(handler);
        TestSupport.removeAllPatches();
    }

    private static Patch stackedPatch(String name) {
        return Patch.builder(name).replace(method(Target.class, "value"),
                method(FailureRefusalTest.class, "two", Target.class)).build();
    }

    @Test
    void anOutOfMemoryErrorWhileRegisteringIsRefusedAndTheApplicationKeepsRunning() throws Exception {
        ReplacementSource noMemory = loader -> {
            throw new OutOfMemoryError("injected: Java heap space");
        };
        PatchException e = assertThrows(PatchException.class,
                () -> RegistryAccess.get().register(stackedPatch("oom-register"), List.of(noMemory)));
        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason());
        assertTrue(e.getMessage().startsWith("jlivepatch lacked memory to register patch 'oom-register'"
                + " (injected: Java heap space)") && e.getMessage().contains("the application keeps running"),
                e.getMessage());
        assertUnchangedAndStillWorking("register", "oom-register", "OUT_OF_MEMORY");
    }

    @Test
    void anUnexpectedErrorWhileRegisteringIsAnInternalError() throws Exception {
        ReplacementSource broken = loader -> {
            throw new StackOverflowError("injected");
        };
        PatchException e = assertThrows(PatchException.class,
                () -> RegistryAccess.get().register(stackedPatch("soe-register"), List.of(broken)));
        assertEquals(PatchException.Reason.INTERNAL_ERROR, e.reason());
        assertTrue(e.getMessage().startsWith("cannot register patch 'soe-register': jlivepatch failed unexpectedly"
                + " (java.lang.StackOverflowError: injected)"), e.getMessage());
        assertUnchangedAndStillWorking("register", "soe-register", "INTERNAL_ERROR");
    }

    @Test
    void anOutOfMemoryErrorWhileLoadingIsRefusedAndNothingIsRegistered() throws Exception {
        ReplacementSource noMemory = loader -> {
            throw new OutOfMemoryError("injected: Metaspace");
        };
        PatchException e = assertThrows(PatchException.class,
                () -> RegistryAccess.get().registerAndEnable(stackedPatch("oom-load"), List.of(noMemory)));
        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());
        assertUnchangedAndStillWorking("load", "oom-load", "OUT_OF_MEMORY");
    }

    /**
     * A second copy of the target, defined after registration, makes enable ask the source again:
     * out of memory there refuses the enable, and the patch stays registered and disabled, with no
     * hook anywhere. Through JMX the refusal arrives with its reason, not as a raw error.
     */
    @Test
    void anOutOfMemoryErrorWhileEnablingLeavesThePatchRegisteredAndDisabled() throws Exception {
        MethodHandle two = MethodHandles.lookup().unreflect(method(FailureRefusalTest.class, "copiedTwo", Copied.class));
        ClassLoader app = Copied.class.getClassLoader();
        ReplacementSource onlyForApp = loader -> {
            if (loader == app) {
                return two;
            }
            throw new OutOfMemoryError("injected: unable to create native thread");
        };
        PatchHandle h = RegistryAccess.get().register(Patch.builder("oom-enable").replace(method(Copied.class, "value"),
                method(FailureRefusalTest.class, "copiedTwo", Copied.class)).build(), List.of(onlyForApp));
        Class<?> copy = IsolatingLoader.of("oom-copy", Copied.class.getName()).define(Copied.class.getName());
        Object copyInstance = copy.getConstructor().newInstance();

        PatchException e = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());
        assertTrue(h.isRegistered() && !h.isEnabled() && !h.inTransition());
        assertEquals(1, new Copied().value(), "no hook in the application's class");
        assertEquals(1, copy.getMethod("value").invoke(copyInstance));
        assertTrue(h.functions().stream().flatMap(f -> f.loaders().stream())
                .allMatch(l -> l.state() == FunctionStatus.State.NOT_PATCHED), h.functions().toString());

        IllegalStateException jmx = assertThrows(IllegalStateException.class, () -> Mbeans.setEnabled("oom-enable", true));
        assertTrue(jmx.getMessage().startsWith("OUT_OF_MEMORY: jlivepatch could not start a thread to enable patch 'oom-enable'"),
                jmx.getMessage());
        List<String> audit = Arrays.stream(Mbeans.log()).filter(l -> l.contains(" enable oom-enable by ")).toList();
        assertEquals(2, audit.size(), audit.toString());
        assertTrue(audit.stream().allMatch(l -> l.contains("refused OUT_OF_MEMORY")), audit.toString());
        h.unregister();
        assertTrue(livepatch().patches().isEmpty());
    }

    /** A source whose release, once its patch is unregistered, finds no memory. */
    private static ReplacementSource releaseFindsNoMemory() throws ReflectiveOperationException {
        MethodHandle two = MethodHandles.lookup().unreflect(method(FailureRefusalTest.class, "two", Target.class));
        return new ReplacementSource() {
            @Override
            public MethodHandle handleFor(ClassLoader targetLoader) {
                return two;
            }

            @Override
            public void release() {
                throw new OutOfMemoryError("injected: Java heap space");
            }
        };
    }

    /**
     * Out of memory after an unregistration's commit (letting go of the patch's classes) undoes
     * nothing and fails nothing: the patch is gone, its MBean too, and the record says so, never
     * "refused ... nothing was changed" for a patch that was unregistered.
     */
    @Test
    void anOutOfMemoryErrorAfterAnUnregistrationsCommitLeavesItDoneAndOnRecordAsDone() throws Exception {
        Mbeans.livepatch(); // the MBeans are up
        PatchHandle h = RegistryAccess.get().register(stackedPatch("oom-unregister"), List.of(releaseFindsNoMemory()));
        assertTrue(Mbeans.isRegistered("oom-unregister"));

        h.unregister();

        assertFalse(h.isRegistered());
        assertFalse(livepatch().find("oom-unregister").isPresent());
        assertFalse(Mbeans.isRegistered("oom-unregister"), "the MBean of a patch that is gone goes with it");
        List<String> audit = Arrays.stream(Mbeans.log()).filter(l -> l.contains(" unregister oom-unregister by ")).toList();
        assertEquals(1, audit.size(), audit.toString());
        assertTrue(audit.get(0).contains(" unregister oom-unregister by api: ok"), audit.get(0));
    }

    /**
     * The same after a cumulative patch's transition: the patch it replaces is unregistered (its
     * release finds no memory), the cumulative patch stays enabled, and the enable is on record as
     * done, with the replaced patch's unregistration, not as refused with "nothing was changed".
     */
    @Test
    void anOutOfMemoryErrorWhileACumulativePatchDropsTheOthersLeavesTheReplaceDoneAndOnRecord() throws Exception {
        PatchHandle old = RegistryAccess.get().register(stackedPatch("oom-replaced"), List.of(releaseFindsNoMemory()));
        old.enable();
        assertTrue(old.awaitTransition(java.time.Duration.ofSeconds(10)));
        PatchHandle cumulative = livepatch().register(Patch.builder("oom-cumulative").replace(method(Target.class,
                "value"), method(FailureRefusalTest.class, "two", Target.class)).replaceAll().build());

        cumulative.enable();
        assertTrue(cumulative.awaitTransition(java.time.Duration.ofSeconds(10)));

        assertTrue(cumulative.isEnabled());
        assertFalse(old.isRegistered());
        assertEquals(List.of("oom-cumulative"), livepatch().patches().stream().map(PatchHandle::name).toList());
        assertEquals(2, new Target().value());
        List<String> audit = Arrays.stream(Mbeans.log()).filter(l -> l.contains(" oom-cumulative by ")
                || l.contains(" oom-replaced by ")).toList();
        assertTrue(audit.stream().noneMatch(l -> l.contains("refused")), audit.toString());
        assertTrue(audit.stream().anyMatch(l -> l.contains(" enable oom-cumulative by api: ok")), audit.toString());
        assertTrue(audit.stream().anyMatch(l -> l.contains(" unregister oom-replaced by api: ok (replaced by"
                + " 'oom-cumulative', was enabled")), audit.toString());
    }

    @Test
    void aBadPathThroughJmxIsRefusedWithItsReasonAndAudited() throws Exception {
        IllegalStateException blank = assertThrows(IllegalStateException.class, () -> Mbeans.load("  ", true));
        assertTrue(blank.getMessage().startsWith("INVALID_PATCH: no patch JAR named"), blank.getMessage());
        IllegalStateException nul = assertThrows(IllegalStateException.class, () -> Mbeans.load("bad\0path.jar", true));
        // the JMX client's path escaped in the refusal, as everything from outside (before, the NUL was raw)
        assertTrue(nul.getMessage().startsWith("INVALID_PATCH: 'bad\\u0000path.jar' is not a valid path"),
                nul.getMessage());
        String[] log = Mbeans.log();
        // The audit log escapes control characters (Text.clean): the NUL is written \u0000.
        assertTrue(log[log.length - 1].matches(".* load bad\\\\u0000path.jar by [^:]*: refused INVALID_PATCH.*"), log[log.length - 1]);
        assertTrue(log[log.length - 2].matches(".* load    by [^:]*: refused INVALID_PATCH.*"), log[log.length - 2]);
    }

    @Test
    void aPathWithAnEscapeSequenceThroughJmxIsNamedEscapedInTheRefusal() throws Exception {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Mbeans.load("/no/such/fix\u001b[2J\u009b.jar", true));
        assertTrue(e.getMessage().startsWith("INVALID_PATCH: patch JAR /no/such/fix\\e[2J\\u009b.jar: no such file"),
                e.getMessage());
        // the audit log escapes the refusal as it prints it: the escapes' backslashes show doubled there
        String[] log = Mbeans.log();
        assertTrue(log[log.length - 1].contains(" load /no/such/fix\\e[2J\\u009b.jar by jmx: refused INVALID_PATCH:"
                + " patch JAR /no/such/fix\\\\e[2J\\\\u009b.jar: no such file"), log[log.length - 1]);
    }

    @Test
    void aWriteOfEnabledThatIsNotABooleanIsRefusedOnRecordAndChangesNothing() throws Exception {
        Mbeans.livepatch(); // the MBeans are up
        PatchHandle h = livepatch().register(stackedPatch("jmx-enabled-text"));
        javax.management.ObjectName name = io.jlivepatch.control.ObjectNames.patch("jmx-enabled-text");
        javax.management.InvalidAttributeValueException bad = assertThrows(javax.management.InvalidAttributeValueException.class,
                () -> java.lang.management.ManagementFactory.getPlatformMBeanServer().setAttribute(name,
                        new javax.management.Attribute("Enabled", "true")));
        assertTrue(bad.getMessage().startsWith("Enabled takes true or false (a boolean), not 'true'"), bad.getMessage());
        // the client's value escaped (before, quoted raw)
        javax.management.InvalidAttributeValueException hostile = assertThrows(
                javax.management.InvalidAttributeValueException.class, () -> java.lang.management.ManagementFactory
                        .getPlatformMBeanServer().setAttribute(name, new javax.management.Attribute("Enabled",
                                "tr\u001b[2Jue\r\n")));
        assertTrue(hostile.getMessage().startsWith("Enabled takes true or false (a boolean), not 'tr\\e[2Jue\\r\\n'"
                + " (a java.lang.String)"), hostile.getMessage());
        assertFalse(h.isEnabled());
        assertEquals(1, new Target().value());
        // A refused change, as the control socket's refusal of the same call is (ControlSession.onRecord).
        String[] log = Mbeans.log();
        String last = log[log.length - 1];
        assertTrue(last.contains(" call jmx-enabled-text by jmx: refused INVALID_ARGUMENT: Enabled takes true or false"),
                last);
    }

    /**
     * The same write through {@code setAttributes} (JConsole's and many clients' way of writing
     * several attributes), which JMX answers by leaving the attribute out of the returned list: the
     * refusal is on record all the same, once.
     */
    @Test
    void aWriteOfEnabledThatIsNotABooleanThroughSetAttributesIsRefusedOnRecordToo() throws Exception {
        Mbeans.livepatch(); // the MBeans are up
        PatchHandle h = livepatch().register(stackedPatch("jmx-enabled-list"));
        javax.management.ObjectName name = io.jlivepatch.control.ObjectNames.patch("jmx-enabled-list");
        javax.management.AttributeList set = java.lang.management.ManagementFactory.getPlatformMBeanServer()
                .setAttributes(name, new javax.management.AttributeList(List.of(
                        new javax.management.Attribute("Enabled", "true"))));
        assertTrue(set.isEmpty(), set.toString());
        assertFalse(h.isEnabled());
        assertEquals(1, new Target().value());
        List<String> audit = Arrays.stream(Mbeans.log()).filter(l -> l.contains(" jmx-enabled-list by ")).toList();
        assertEquals(2, audit.size(), audit.toString()); // its registration, and the refusal
        assertTrue(audit.get(1).contains(" call jmx-enabled-list by jmx: refused INVALID_ARGUMENT: Enabled takes true"
                + " or false"), audit.get(1));

        // a boolean goes through as before
        set = java.lang.management.ManagementFactory.getPlatformMBeanServer().setAttributes(name,
                new javax.management.AttributeList(List.of(new javax.management.Attribute("Enabled", true))));
        assertEquals(1, set.size(), set.toString());
        assertTrue(h.isEnabled());
        assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(10)));
        assertEquals(2, new Target().value());
    }

    @Test
    void contentSentWithoutItsDigestIsRefusedSayingWhatToSend() throws Exception {
        byte[] content = {1, 2, 3};
        String[] signature = {byte[].class.getName(), String.class.getName(), String.class.getName(),
                boolean.class.getName(), boolean.class.getName()};
        for (String digest : new String[] {null, " "}) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Mbeans.invoke(Mbeans.livepatch(),
                    "loadContent", new Object[] {content, digest, "sent.jar", true, false}, signature));
            assertTrue(e.getMessage().startsWith("INVALID_PATCH: patch JAR sent.jar: no SHA-256 was sent with the"
                    + " content (it has SHA-256 " + io.jlivepatch.internal.Sha256.hex(content) + "); nothing was loaded:"
                    + " send it with the SHA-256 of the patch JAR (64 hex digits)"), e.getMessage());
        }
        assertTrue(livepatch().patches().isEmpty());
    }

    @Test
    void emptyContentIsRefusedOnRecordSayingToSendAPatchJar() throws Exception {
        String[] signature = {byte[].class.getName(), String.class.getName(), String.class.getName(),
                boolean.class.getName(), boolean.class.getName()};
        List<String> logged = List.of(Mbeans.log());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Mbeans.invoke(Mbeans.livepatch(),
                "loadContent", new Object[] {new byte[0], io.jlivepatch.internal.Sha256.hex(new byte[0]), "empty.jar",
                        true, false}, signature));
        assertEquals("INVALID_PATCH: patch JAR empty.jar: is empty: give a patch JAR", e.getMessage());
        assertTrue(livepatch().patches().isEmpty());
        // One new record (not one line more: a log at its bound drops its oldest refusal for it).
        List<String> added = new java.util.ArrayList<>(List.of(Mbeans.log()));
        added.removeAll(logged);
        List<String> ofIt = added.stream().filter(l -> l.contains(" load empty.jar by ")).toList();
        assertEquals(1, ofIt.size(), added.toString());
        assertTrue(ofIt.get(0).contains(": refused INVALID_PATCH: patch JAR empty.jar: is empty"), ofIt.get(0));
    }

    /** Nothing registered, one audit entry and one log line for the refusal, and everything still works. */
    private void assertUnchangedAndStillWorking(String operation, String patch, String reason) throws Exception {
        assertFalse(livepatch().find(patch).isPresent());
        assertFalse(Mbeans.isRegistered(patch));
        List<String> audit = Arrays.stream(Mbeans.log()).filter(l -> l.contains(" " + patch + " by ")).toList();
        assertEquals(1, audit.size(), audit.toString());
        assertTrue(audit.get(0).contains(" " + operation + " " + patch + " by ") && audit.get(0).contains(": refused " + reason),
                audit.get(0));
        assertTrue(logged.stream().anyMatch(r -> r.getMessage().contains(operation + " refused (" + reason + ")")
                && r.getMessage().contains(patch) && r.getThrown() != null), "no log line with the stack trace");
        assertEquals(1, new Target().value());
        // jlivepatch itself still works: the same patch registers, enables and comes off.
        PatchHandle h = livepatch().register(stackedPatch(patch));
        h.enable();
        assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(10)));
        assertEquals(2, new Target().value());
        assertTrue(Mbeans.statusText().contains(patch + " [enabled]"));
        h.disable();
        assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(10)));
        h.unregister();
        assertEquals(1, new Target().value());
    }
}
