package io.jlivepatch.jar;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.ObjectNames;
import jarapp.CallbackLog;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The callbacks, states and cumulative flag of a patch JAR: its annotations and manifest attributes. */
class CallbackJarTest {

    private static final String FIX = "jarapp.fix.CallbackFix";

    @TempDir
    Path dir;

    @BeforeEach
    void reset() {
        CallbackLog.EVENTS.clear();
        CallbackLog.failPrePatch = false;
    }

    @AfterEach
    void cleanUp() throws Exception {
        CallbackLog.failPrePatch = false;
        Jars.removeAll();
    }

    private Path jar(String file, Map<String, String> manifest, String patchClass) throws Exception {
        return Jars.write(dir.resolve(file), manifest, Jars.classes(patchClass));
    }

    private Path callbackJar(String name) throws Exception {
        return jar(name + ".jar", Jars.manifest(name, FIX), FIX);
    }

    private Path withAttribute(String name, String attribute, String value) throws Exception {
        Map<String, String> m = Jars.manifest(name, FIX);
        m.put(attribute, value);
        return jar(name + ".jar", m, FIX);
    }

    @Test
    void theAnnotatedMethodsAreTheCallbacksOfTheirClassAndRunAroundTheTransitions() throws Exception {
        PatchHandle h = Jars.lp().load(callbackJar("jar-callbacks"));
        assertEquals(List.of("jarapp.Counter"), List.copyOf(h.patch().callbacks().keySet()));
        assertEquals(List.of(), CallbackLog.EVENTS, "loading runs none of the JAR's code");
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        assertEquals(-1, new Counter().next());
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        assertEquals(List.of("prePatch jarapp.Counter sees 1", "postPatch jarapp.Counter", "preUnpatch jarapp.Counter",
                "postUnpatch jarapp.Counter"), CallbackLog.EVENTS);
        String status = Jars.statusText();
        assertTrue(status.contains("     callbacks: jarapp.Counter\n"), status);
    }

    @Test
    void aLoadAndEnableWhosePrePatchThrowsIsRefusedAndLeavesNothingRegistered() throws Exception {
        CallbackLog.failPrePatch = true;
        Path jar = callbackJar("jar-failing-pre");
        ObjectName control = new ObjectName(ObjectNames.LIVEPATCH);
        Exception e = assertThrows(Exception.class, () -> ManagementFactory.getPlatformMBeanServer()
                .invoke(control, "load", new Object[] {jar.toString(), true},
                        new String[] {String.class.getName(), boolean.class.getName()}));
        String message = String.valueOf(e.getCause());
        assertTrue(message.contains("CALLBACK_FAILED") && message.contains("prePatch of jarapp.Counter")
                && message.contains("the counter cannot be prepared"), message);
        assertTrue(Jars.lp().find("jar-failing-pre").isEmpty(), "not registered");
        assertEquals(1, new Counter().next(), "not patched");
        assertEquals(List.of("prePatch jarapp.Counter sees 1"), CallbackLog.EVENTS, "nothing was prepared: no postUnpatch");
    }

    @Test
    void aCheckedExceptionOfAPostPatchIsReportedAsItselfOnceNotWrapped() throws Exception {
        String fix = "jarapp.fix.CheckedPostPatch";
        PatchHandle h = Jars.lp().load(jar("checked.jar", Jars.manifest("jar-checked-post", fix), fix));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        assertEquals(-1, new Counter().next(), "the patch stands: a postPatch that fails stops nothing");
        String status = Jars.statusText();
        String line = status.lines().filter(l -> l.contains("last callback failure: ")).findFirst().orElseThrow(
                () -> new AssertionError("no callback failure in " + status));
        String thrown = "java.io.IOException: the cache of jarapp.Counter cannot be warmed";
        assertTrue(line.contains("last callback failure: postPatch of jarapp.Counter in class loader ")
                && line.endsWith(" threw " + thrown), line);
        assertEquals(line.indexOf(" threw "), line.lastIndexOf(" threw "), "said once: " + line);
        assertEquals(line.indexOf(thrown), line.lastIndexOf(thrown), "named once: " + line);
        assertFalse(line.contains("UndeclaredThrowableException"), line);
    }

    @Test
    void statesAndReplaceAreReadFromTheManifest() throws Exception {
        Map<String, String> m = Jars.manifest("jar-states", FIX);
        m.put("Livepatch-States", " 1:2   7:1 ");
        m.put("Livepatch-Replace", "true");
        PatchHandle h = Jars.lp().load(jar("states.jar", m, FIX));
        assertEquals(List.of(new Patch.State(1, 2), new Patch.State(7, 1)), h.patch().states());
        assertTrue(h.patch().replace());
        h.unregister();

        PatchHandle plain = Jars.lp().load(withAttribute("jar-not-cumulative", "Livepatch-Replace", "False"));
        assertFalse(plain.patch().replace());
        assertEquals(List.of(), plain.patch().states());
    }

    @Test
    void aMalformedStatesAttributeIsRefusedWithWhatToWrite() throws Exception {
        for (String bad : new String[] {"1-2", "1:", ":2", "x:1", "1:2:3", "1:2.5", "+:1"}) {
            Jars.refused(withAttribute("jar-bad-states", "Livepatch-States", bad), Reason.INVALID_PATCH,
                    "Livepatch-States entry '" + bad + "' is not id:version", "e.g. 'Livepatch-States: 1:2 7:1'");
        }
        // Well formed, too large: said so (before, "is not id:version", which it is).
        for (String large : new String[] {"99999999999999999999:1", "1:2147483648", "9223372036854775808:2"}) {
            Jars.refused(withAttribute("jar-large-states", "Livepatch-States", large), Reason.INVALID_PATCH,
                    "Livepatch-States entry '" + large + "' has a number out of range (ids go up to"
                            + " 9223372036854775807, versions up to 2147483647)", "e.g. 'Livepatch-States: 1:2 7:1'");
        }
        Jars.refused(withAttribute("jar-zero", "Livepatch-States", "1:0"), Reason.INVALID_PATCH,
                "Livepatch-States entry '1:0' has version 0: versions start at 1");
        Jars.refused(withAttribute("jar-negative", "Livepatch-States", "1:-3"), Reason.INVALID_PATCH,
                "Livepatch-States entry '1:-3' has version -3: versions start at 1");
        Jars.refused(withAttribute("jar-negative-id", "Livepatch-States", "-1:3"), Reason.INVALID_PATCH,
                "Livepatch-States entry '-1:3' has a negative id");
        Jars.refused(withAttribute("jar-twice", "Livepatch-States", "1:2 7:1 1:3"), Reason.INVALID_PATCH,
                "Livepatch-States names state 1 twice: give each state id one version");
        Jars.refused(withAttribute("jar-replace", "Livepatch-Replace", "yes"), Reason.INVALID_PATCH,
                "Livepatch-Replace is 'yes': write 'true' for a cumulative patch");
    }

    @Test
    void aCallbackWithTheWrongSignatureIsRefusedNamingTheMethodAndWhatToWrite() throws Exception {
        String wrong = "jarapp.fix.BadCallbacks$WrongParameter";
        Jars.refused(jar("wrong.jar", Jars.manifest("jar-wrong", wrong), wrong), Reason.INVALID_PATCH,
                wrong + ".prepare(Ljava/lang/String;)V is annotated @PrePatch but is not a callback: declare it"
                        + " 'public static void prepare(Class<?> target)'");
        String notStatic = "jarapp.fix.BadCallbacks$NotStatic";
        Jars.refused(jar("not-static.jar", Jars.manifest("jar-not-static", notStatic), notStatic),
                Reason.INVALID_PATCH, notStatic + ".patched(Ljava/lang/Class;)V is annotated @PostPatch but is not"
                        + " a callback: declare it 'public static void patched(Class<?> target)'");
    }

    @Test
    void aCallbackOfAClassTheJarDoesNotPatchIsRefused() throws Exception {
        String unknown = "jarapp.fix.BadCallbacks$UnknownClass";
        Jars.refused(jar("unknown.jar", Jars.manifest("jar-unknown", unknown), unknown), Reason.INVALID_PATCH,
                "@PreUnpatch " + unknown + ".unpatching names 'jarapp.Nowhere', which the JAR replaces no method of"
                        + " (it replaces methods of jarapp.Counter)");
    }

    @Test
    void twoCallbacksOfOneKindForOneClassAreRefused() throws Exception {
        String twice = "jarapp.fix.BadCallbacks$Twice";
        Jars.refused(jar("twice.jar", Jars.manifest("jar-twice-cb", twice), twice), Reason.INVALID_PATCH,
                "jarapp.Counter has two @PrePatch callbacks (" + twice + ".one and " + twice + ".two): keep one per class");
    }
}
