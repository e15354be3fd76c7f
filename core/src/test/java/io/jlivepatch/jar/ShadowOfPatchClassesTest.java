package io.jlivepatch.jar;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.Shadow;
import jarapp.Counter;
import jarapp.fix.HitsFix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A shadow variable whose value is an object of a patch JAR's own class: no class but that patch's
 * can read it, so it goes with the patch; values of JDK (or application) classes stay for the
 * patches after it.
 */
class ShadowOfPatchClassesTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws Exception {
        Jars.removeAll();
    }

    private Path hitsJar(String file, String name, boolean replace) throws Exception {
        return hitsJar(file, name, replace ? Map.of("Livepatch-Replace", "true") : Map.of());
    }

    private Path hitsJar(String file, String name, Map<String, String> more) throws Exception {
        Map<String, String> manifest = new java.util.LinkedHashMap<>(Jars.manifest(name, "jarapp.fix.HitsFix"));
        manifest.putAll(more);
        return Jars.write(dir.resolve(file), manifest, Jars.classes("jarapp.fix.HitsFix", "jarapp.fix.HitsFix$Hits"));
    }

    @Test
    void thePatchLoadedAgainAfterUnloadStartsAfreshWhereItsOwnClassesValuesWere() throws Exception {
        Counter c = new Counter();
        Path jar = hitsJar("hits.jar", "fix-hits", false);
        PatchHandle first = Jars.lp().load(jar);
        first.enable();
        assertEquals(1001, c.next());
        assertEquals(1002, c.next());
        first.disable();
        first.unregister();
        assertEquals(null, Shadow.get(c, HitsFix.HITS), "detached with its patch");
        assertEquals(2, Shadow.get(c, HitsFix.TOTAL, AtomicInteger.class).get(), "a JDK object's variable stays");
        String unregistered = last(" unregister fix-hits ");
        assertTrue(unregistered.contains("ok (detached 1 shadow variable holding objects of its classes)"),
                unregistered);

        // Before, the old Hits stayed attached and every call of the new copy threw ClassCastException.
        PatchHandle again = Jars.lp().load(jar);
        again.enable();
        assertEquals(1001, c.next());
        assertEquals(3, Shadow.get(c, HitsFix.TOTAL, AtomicInteger.class).get());
    }

    @Test
    void aNestmatePatchLoadedAgainStartsAfreshWhereItsOwnValuesWere() throws Exception {
        // Its class is hidden in Counter's own loader: no loader of the patch's tells its values.
        Counter c = new Counter();
        Path jar = Jars.nestmateJar(dir.resolve("nest.jar"), "fix-hits-nest", "HitsNestmate");
        PatchHandle first = Jars.lp().load(jar);
        first.enable();
        assertEquals(2001, c.next());
        assertEquals(2002, c.next());
        first.disable();
        first.unregister();
        assertNull(Shadow.get(c, jarapp.HitsNestmate.HITS), "detached with its patch");
        String unregistered = last(" unregister fix-hits-nest ");
        assertTrue(unregistered.contains("ok (detached 1 shadow variable holding objects of its classes)"),
                unregistered);

        // Before, the old hidden class's object stayed attached: ClassCastException at every call.
        PatchHandle again = Jars.lp().load(jar);
        again.enable();
        assertEquals(2001, c.next());
    }

    @Test
    void aCumulativePatchFindsNoValueOfTheReplacedPatchsClasses() throws Exception {
        Counter c = new Counter();
        PatchHandle replaced = Jars.lp().load(hitsJar("a.jar", "fix-hits-a", false));
        replaced.enable();
        assertEquals(1001, c.next());
        PatchHandle cumulative = Jars.lp().load(hitsJar("b.jar", "fix-hits-b", true));
        cumulative.enable();
        assertEquals(List.of("fix-hits-b"), Jars.lp().patches().stream().map(PatchHandle::name).toList());
        assertEquals(1001, c.next(), "its own Hits, not a ClassCastException on fix-hits-a's");
        String unregistered = last(" unregister fix-hits-a ");
        assertTrue(unregistered.contains("ok (replaced by 'fix-hits-b', was enabled, detached 1 shadow variable"
                + " holding objects of its classes)"), unregistered);
    }

    @Test
    void aForcedPatchKeepsItsValuesForTheThreadsThatMayStillRunItsCode() throws Exception {
        try (jarapp.Gate.Held gate = jarapp.Gate.hold()) {
            Counter c = new Counter();
            PatchHandle h = Jars.lp().load(hitsJar("held.jar", "fix-hits-held", Map.of("Livepatch-Hold",
                    jarapp.Gate.HOLD)));
            h.enable();
            assertTrue(h.inTransition(), "held by the thread in the gate");
            h.forceTransition();
            assertEquals(1001, c.next());
            h.disable();
            h.forceTransition();
            h.unregister();
            assertEquals(HitsFix.Hits.class.getName(), Shadow.get(c, HitsFix.HITS).getClass().getName(),
                    "kept: a thread inside the patch when it was forced may still read it");
            assertTrue(!last(" unregister fix-hits-held ").contains("detached"));
            Shadow.detach(c, HitsFix.HITS);
        }
    }

    @Test
    void aLoadRefusedAfterItsPrePatchAttachedAValueOfItsClassesLeavesNoneAttached() throws Exception {
        Path jar = Jars.write(dir.resolve("attaching.jar"), Jars.manifest("fix-attaching",
                "jarapp.fix.AttachingPrePatchFix"), Jars.classes("jarapp.fix.AttachingPrePatchFix",
                "jarapp.fix.AttachingPrePatchFix$Prepared"));
        Jars.lp();
        javax.management.ObjectName control = new javax.management.ObjectName(io.jlivepatch.control.ObjectNames.LIVEPATCH);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> java.lang.management
                .ManagementFactory.getPlatformMBeanServer().invoke(control, "load", new Object[] {jar.toString(), true},
                        new String[] {String.class.getName(), boolean.class.getName()}));
        String message = String.valueOf(e.getCause());
        assertTrue(message.contains("CALLBACK_FAILED") && message.contains("refused after attaching"), message);
        assertEquals(List.of(), Jars.lp().patches());
        assertNull(Shadow.get(Counter.class, jarapp.fix.AttachingPrePatchFix.PREPARED),
                "nothing of the refused patch's can read it");
        // On record, as an unregistration's detaching is: before, only the log said so.
        String detached = "detached 1 shadow variable holding objects of its classes";
        assertTrue(message.contains(detached), message);
        String refused = last(" load fix-attaching ");
        assertTrue(refused.contains("refused CALLBACK_FAILED") && refused.contains(detached), refused);
    }

    @Test
    void aPatchWhoseEnableWasForcedButWhoseDisableEndedInFullLosesItsValues() throws Exception {
        try (jarapp.Gate.Held gate = jarapp.Gate.hold()) {
            Counter c = new Counter();
            PatchHandle h = Jars.lp().load(hitsJar("forced-on.jar", "fix-hits-forced-on", Map.of("Livepatch-Hold",
                    jarapp.Gate.HOLD)));
            h.enable();
            h.forceTransition(); // the thread it moved was in the code below, not in the patch's
            assertEquals(1001, c.next());
            gate.open();
            h.disable(); // a full transition: no thread is left in the patch's code
            assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(30)));
            h.unregister();
            assertNull(Shadow.get(c, HitsFix.HITS), "detached: a reload would otherwise fail at every call");
        }
    }

    @Test
    void aValueOfItsClassesNoLongerKeepsAnUnregisteredPatchsLoaderAlive() throws Exception {
        Counter c = new Counter(); // lives on, with whatever is attached to it
        WeakReference<ClassLoader> loader = loadCallAndUnload(c);
        for (int i = 0; i < 50 && loader.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(loader.get(), "the unregistered patch's class loader is still reachable");
        assertEquals(1, Shadow.get(c, HitsFix.TOTAL, AtomicInteger.class).get());
    }

    private WeakReference<ClassLoader> loadCallAndUnload(Counter c) throws Exception {
        PatchHandle h = Jars.lp().load(hitsJar("hits.jar", "fix-hits", false));
        ClassLoader l = h.patch().replacements().get(0).replacement().getDeclaringClass().getClassLoader();
        h.enable();
        assertEquals(1001, c.next());
        assertEquals(l, Shadow.get(c, HitsFix.HITS).getClass().getClassLoader());
        h.disable();
        h.unregister();
        return new WeakReference<>(l);
    }

    @Test
    void aPatchBuiltInCodeKeepsItsValues() throws Exception {
        // The application's own classes: another copy of a patch reads them as they are.
        Counter c = new Counter();
        PatchHandle h = Jars.lp().register(io.jlivepatch.Patch.builder("in-code")
                .replace(Counter.class.getMethod("next"), HitsFix.class.getMethod("next", Counter.class)).build());
        h.enable();
        assertEquals(1001, c.next());
        h.disable();
        h.unregister();
        assertEquals(HitsFix.Hits.class, Shadow.get(c, HitsFix.HITS).getClass());
        Shadow.detach(c, HitsFix.HITS);
    }

    @Test
    void aValueOfTheSameNamedClassOfAnotherLoaderIsRefusedSayingSo() throws Exception {
        byte[] bytes = Jars.classes("jarapp.fix.HitsFix$Hits").values().iterator().next();
        Class<?> other = new ClassLoader(null) {
            Class<?> define() {
                return defineClass("jarapp.fix.HitsFix$Hits", bytes, 0, bytes.length);
            }
        }.define();
        Object key = new Object();
        java.lang.reflect.Constructor<?> make = other.getDeclaredConstructor();
        make.setAccessible(true);
        Shadow.attach(key, HitsFix.HITS, () -> {
            try {
                return make.newInstance();
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        });
        ClassCastException e = org.junit.jupiter.api.Assertions.assertThrows(ClassCastException.class,
                () -> Shadow.get(key, HitsFix.HITS, HitsFix.Hits.class));
        assertTrue(e.getMessage().startsWith("shadow variable " + HitsFix.HITS + " holds a jarapp.fix.HitsFix$Hits of"
                + " another class loader (") && e.getMessage().contains("give variables shared across loads or class"
                + " loaders a JDK or application type"), e.getMessage());
        Shadow.detach(key, HitsFix.HITS);
    }

    private static String last(String fragment) throws Exception {
        String[] log = Jars.auditLog();
        for (int i = log.length - 1; i >= 0; i--) {
            if (log[i].contains(fragment)) {
                return log[i];
            }
        }
        throw new AssertionError("no audit entry with '" + fragment + "' in " + List.of(log));
    }
}
