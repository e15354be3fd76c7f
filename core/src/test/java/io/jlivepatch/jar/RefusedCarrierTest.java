package io.jlivepatch.jar;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJarBytes;
import jarapp.Counter;
import jarapp.Untouched;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.nio.file.Path;
import java.security.ProtectionDomain;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static io.jlivepatch.jar.Jars.FIX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A load refused for what needs none of the JAR's classes (a name already registered, a target
 * loaded nowhere under --require-loaded, a disabled patch below, a newer state) leaves nothing
 * behind, not even the classes the JAR carries into the application's class loader (which a class
 * loader keeps for good, and which would refuse every later patch carrying another version of them).
 * A refusal that can only come after they are defined says that they stay.
 */
class RefusedCarrierTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    /** A patch JAR {@code name} of nestmate {@code patchClass} of {@code target}, carrying {@code carried}. */
    private Path carrier(String file, String name, String patchClass, String target, String carried,
                         Map<String, String> more) throws Exception {
        return carrier(file, name, patchClass, target, carried, more, patchClass(patchClass, target, null, "next"));
    }

    /** As above, the nestmate's class file {@code patchBytes}. */
    private Path carrier(String file, String name, String patchClass, String target, String carried,
                         Map<String, String> more, byte[] patchBytes) throws Exception {
        Map<String, String> manifest = Jars.manifest(name, patchClass);
        manifest.put("Livepatch-Nestmates", patchClass + "=" + target);
        manifest.put("Livepatch-New-Classes", carried);
        manifest.putAll(more);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(patchClass.replace('.', '/') + ".class", patchBytes);
        entries.put(carried.replace('.', '/') + ".class", Jars.helperClass(carried, mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        return Jars.write(dir.resolve(file), manifest, entries);
    }

    /**
     * A class of one {@code static int m(target)} per name in {@code methods}, each returning -1 and
     * annotated {@code @Replaces} {@code target.next}, of {@code descriptor} unless null.
     */
    private static byte[] patchClass(String binaryName, String target, String descriptor, String... methods) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, binaryName.replace('.', '/'), null,
                "java/lang/Object", null);
        for (String method : methods) {
            MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, method,
                    "(L" + target.replace('.', '/') + ";)I", null, null);
            AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
            av.visit("target", target);
            av.visit("method", "next");
            if (descriptor != null) {
                av.visit("descriptor", descriptor);
            }
            av.visitEnd();
            mv.visitCode();
            Jars.returnsMinusOne(mv);
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static void assertNotDefined(String carried) {
        assertThrows(ClassNotFoundException.class, () -> Class.forName(carried, false, Counter.class.getClassLoader()),
                "a refused patch carried its class into the application's loader");
    }

    /** The replacement of the patch built in code below (on a class of one loader: jarapp.Counter has copies). */
    public static int two(Untouched u) {
        return 2;
    }

    private static PatchRegistry registry() {
        Jars.lp();
        return PatchRegistry.installed();
    }

    @Test
    void aDuplicateNameIsRefusedBeforeTheCarriedClassesAreDefined() throws Exception {
        Jars.lp().load(Jars.write(dir.resolve("first.jar"), Jars.manifest("carry-twice", FIX), Jars.classes(FIX)));
        Path second = carrier("second.jar", "carry-twice", "jarapp.GoodCarrier", "jarapp.Counter",
                "jarapp.CarriedOnce", Map.of());

        PatchException e = assertThrows(PatchException.class, () -> Jars.lp().load(second));
        assertEquals(Reason.DUPLICATE_NAME, e.reason(), e.getMessage());
        assertNotDefined("jarapp.CarriedOnce");
    }

    @Test
    void aTargetLoadedNowhereUnderRequireLoadedIsRefusedBeforeTheTargetOrTheCarriedClassesAreLoaded() throws Exception {
        Path jar = carrier("later.jar", "carry-later", "jarapp.LaterCarrier", "jarapp.NotYetLoaded",
                "jarapp.CarriedForLater", Map.of());

        PatchException e = assertThrows(PatchException.class,
                () -> registry().load(PatchJarBytes.read(jar, JarLimits.current()), true, true));
        assertEquals(Reason.TARGET_NOT_FOUND, e.reason(), e.getMessage());
        assertEquals("patch 'carry-later': jarapp.NotYetLoaded is loaded in no class loader (required loaded): check"
                + " the name, or load without --require-loaded to patch it when it is defined; nothing was changed",
                e.getMessage());
        assertNotDefined("jarapp.CarriedForLater");
        Instrumentation inst = ByteBuddyAgent.install();
        assertFalse(Arrays.stream(inst.getAllLoadedClasses()).anyMatch(c -> c.getName().equals("jarapp.NotYetLoaded")),
                "preparing loaded the nestmate's host, the target required loaded");
    }

    @Test
    void aDisabledPatchBelowIsRefusedBeforeTheCarriedClassesAreDefined() throws Exception {
        Jars.lp().load(Jars.write(dir.resolve("below.jar"), Jars.manifest("below-off", FIX), Jars.classes(FIX)));
        Path jar = carrier("above.jar", "carry-above", "jarapp.AboveCarrier", "jarapp.Counter",
                "jarapp.CarriedAbove", Map.of());

        PatchException e = assertThrows(PatchException.class, () -> registry().loadAndEnable(jar));
        assertEquals(Reason.ORDER_VIOLATION, e.reason(), e.getMessage());
        assertEquals("cannot enable patch 'carry-above' while 'below-off', registered before it, is disabled: enable"
                + " 'below-off' first, or unregister it", e.getMessage());
        assertNotDefined("jarapp.CarriedAbove");
        assertEquals(1, Arrays.stream(Jars.auditLog()).filter(l -> l.contains("load carry-above")).count(),
                "refused once, on record once: " + String.join("\n", Jars.auditLog()));
    }

    @Test
    void aStateOlderThanAnEnabledPatchsIsRefusedBeforeTheCarriedClassesAreDefined() throws Exception {
        Map<String, String> newer = Jars.manifest("state-2", FIX);
        newer.put("Livepatch-States", "1:2");
        registry().loadAndEnable(Jars.write(dir.resolve("newer.jar"), newer, Jars.classes(FIX)));
        Path jar = carrier("older.jar", "carry-older", "jarapp.OlderCarrier", "jarapp.Counter",
                "jarapp.CarriedOlder", Map.of("Livepatch-States", "1:1"));

        PatchException e = assertThrows(PatchException.class, () -> registry().loadAndEnable(jar));
        assertEquals(Reason.INCOMPATIBLE_STATE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().startsWith("cannot enable patch 'carry-older': it holds state 1 at version 1, but"
                + " patch 'state-2' holds it at version 2"), e.getMessage());
        assertNotDefined("jarapp.CarriedOlder");
    }

    @Test
    void anotherPatchsTransitionThatDoesNotEndIsRefusedBeforeTheCarriedClassesAreDefined() throws Exception {
        watchapp.Greeting.hold = new CountDownLatch(1);
        watchapp.Greeting.entered = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try {
                watchapp.Greeting.greet("hold");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "held-in-greet");
        holder.start();
        try {
            watchapp.Greeting.entered.await();
            registry().loadAndEnable(Jars.write(dir.resolve("held.jar"), Jars.manifest("held-open",
                    "watchapp.fix.GreetingA"), Jars.classes("watchapp.fix.GreetingA"))); // its transition waits for holder
            Path jar = carrier("busy.jar", "carry-busy", "jarapp.BusyCarrier", "jarapp.Counter", "jarapp.CarriedBusy",
                    Map.of());

            PatchException e = assertThrows(PatchException.class, () -> registry().loadAndEnable(jar));
            assertEquals(Reason.BUSY, e.reason(), e.getMessage());
            assertTrue(e.getMessage().startsWith("cannot enable patch 'carry-busy' while patch 'held-open' is in"
                    + " transition"), e.getMessage());
            assertNotDefined("jarapp.CarriedBusy");
        } finally {
            watchapp.Greeting.hold.countDown();
            holder.join();
        }
    }

    /**
     * A refusal of the JAR's own bytes (what its annotations and manifest say) comes before its first
     * class is loaded, which defines the classes it carries: the message is the one it always was.
     */
    private void assertRefusedBeforeCarrying(Path jar, String carried, String message) {
        PatchException e = assertThrows(PatchException.class, () -> registry().loadAndEnable(jar));
        assertEquals(Reason.INVALID_PATCH, e.reason(), e.getMessage());
        assertEquals("patch JAR " + jar + ": " + message, e.getMessage());
        assertNotDefined(carried);
        assertTrue(Jars.lp().patches().isEmpty(), "registered: " + Jars.lp().patches());
    }

    @Test
    void aMethodReplacedTwiceIsRefusedBeforeTheCarriedClassesAreDefined() throws Exception {
        Path jar = carrier("twice.jar", "carry-twice-replaced", "jarapp.TwiceCarrier", "jarapp.Counter",
                "jarapp.CarriedTwice", Map.of(), patchClass("jarapp.TwiceCarrier", "jarapp.Counter", null, "next",
                        "nextAgain"));

        assertRefusedBeforeCarrying(jar, "jarapp.CarriedTwice",
                "jarapp.Counter.next()I is replaced twice: keep one @Replaces per method");
    }

    @Test
    void aTargetDescriptorThatIsNoneIsRefusedBeforeTheCarriedClassesAreDefined() throws Exception {
        Path jar = carrier("desc.jar", "carry-bad-desc", "jarapp.DescCarrier", "jarapp.Counter", "jarapp.CarriedDesc",
                Map.of(), patchClass("jarapp.DescCarrier", "jarapp.Counter", "(int)", "next"));

        assertRefusedBeforeCarrying(jar, "jarapp.CarriedDesc", "'(int)' for jarapp.Counter.next is not a JVM method"
                + " descriptor: write it as (Ljava/lang/String;I)V");
    }

    @Test
    void aHoldThatIsNoMethodIsRefusedBeforeTheCarriedClassesAreDefined() throws Exception {
        Path jar = carrier("hold.jar", "carry-bad-hold", "jarapp.HoldCarrier", "jarapp.Counter", "jarapp.CarriedHold",
                Map.of("Livepatch-Hold", "jarapp.Counter"));

        assertRefusedBeforeCarrying(jar, "jarapp.CarriedHold", "Livepatch-Hold: 'jarapp.Counter' does not name a"
                + " method to hold: write it as class.method(descriptor), e.g."
                + " com.acme.Worker.process(Ljava/lang/String;)V");
    }

    @Test
    void aHoldOfTheReplacedMethodIsRefusedBeforeTheCarriedClassesAreDefined() throws Exception {
        Path jar = carrier("held.jar", "carry-held", "jarapp.HeldCarrier", "jarapp.Counter", "jarapp.CarriedHeld",
                Map.of("Livepatch-Hold", "jarapp.Counter.next()I"));

        assertRefusedBeforeCarrying(jar, "jarapp.CarriedHeld", "Livepatch-Hold names jarapp.Counter.next()I, which"
                + " the patch replaces or holds already: name each method once, and never a replaced one (it holds a"
                + " thread already)");
    }

    @Test
    void aRefusalAfterTheCarriedClassesAreDefinedSaysTheyStay() throws Exception {
        Patch below = Patch.builder("below-later").replace(Untouched.class.getMethod("value"),
                RefusedCarrierTest.class.getMethod("two", Untouched.class)).build();
        Path jar = carrier("late.jar", "carry-late", "jarapp.LateCarrier", "jarapp.Counter", "jarapp.CarriedLate",
                Map.of());
        // While preparing defines the carried class (after the checks before it passed), a patch
        // built in code is registered, left disabled, below it: the check under the lock refuses.
        AtomicReference<Throwable> failed = new AtomicReference<>();
        ClassFileTransformer meanwhile = new ClassFileTransformer() {
            @Override
            public byte[] transform(ClassLoader loader, String className, Class<?> redefined, ProtectionDomain pd,
                                    byte[] bytes) {
                // In the application's loader: the link check before it defines the class elsewhere first.
                if ("jarapp/CarriedLate".equals(className) && loader == Counter.class.getClassLoader()) {
                    try {
                        Jars.lp().register(below); // on this thread: another thread's waited for this one in a full run
                    } catch (Throwable e) {
                        failed.set(e);
                    }
                }
                return null;
            }
        };
        Instrumentation inst = ByteBuddyAgent.install();
        inst.addTransformer(meanwhile);
        PatchException e = null;
        try {
            registry().loadAndEnable(jar);
        } catch (PatchException refused) {
            e = refused;
        } finally {
            inst.removeTransformer(meanwhile);
        }
        assertNull(failed.get(), () -> "the patch below could not be registered: " + failed.get());
        assertTrue(e != null, "loaded over " + Jars.lp().patches());
        assertEquals(Reason.ORDER_VIOLATION, e.reason(), e.getMessage());
        assertEquals("cannot enable patch 'carry-late' while 'below-later', registered before it, is disabled: enable"
                + " 'below-later' first, or unregister it; but preparing the JAR, before this refusal, defined the"
                + " classes it carries (jarapp.CarriedLate) in the application's class loader, and they stay there (a"
                + " class loader cannot forget a class): loading this same JAR again uses them, and a JAR that carries"
                + " other versions of them is refused", e.getMessage());
        Class.forName("jarapp.CarriedLate", false, Counter.class.getClassLoader()); // as the message says
        assertTrue(Arrays.stream(Jars.auditLog()).anyMatch(l -> l.contains("load carry-late") && l.contains(
                "(jarapp.CarriedLate) in the application's class loader, and they stay there")),
                String.join("\n", Jars.auditLog()));
    }

    @Test
    void aBootNestmateNeedingAClassTheBootLoaderCannotSeeIsRefusedBeforeAnythingIsCarried() throws Exception {
        // A nestmate of a JDK class, carrying a class into its package: both would be defined in the
        // boot loader. The nestmate's method takes jarapp.Counter, which the boot loader cannot see.
        // The checks once linked their copies where jarapp.Counter is visible, so the nestmate failed
        // to load only after the carried class was defined, for good; they now resolve as the boot
        // loader will, and refuse it first.
        refusedBeforeCarrying("java.util", "java.util.HashMap", null);
    }

    @Test
    void aPlatformNestmateNeedingAClassThePlatformLoaderCannotSeeIsRefusedBeforeAnythingIsCarried() throws Exception {
        // The same with a host the platform loader defines (java.sql): checked as that loader resolves,
        // refused before its carried class is defined (a review found it stranded there after the boot case).
        refusedBeforeCarrying("java.sql", "java.sql.Timestamp", ClassLoader.getPlatformClassLoader());
    }

    /**
     * A nestmate of {@code host} whose method takes jarapp.Counter, carrying a class into {@code pkg}:
     * refused at load, and nothing carried into {@code hostLoader}.
     */
    private void refusedBeforeCarrying(String pkg, String host, ClassLoader hostLoader) throws Exception {
        String carrier = pkg + ".StrandedCarrier";
        String carried = pkg + ".StrandedCarried";
        Map<String, String> manifest = Jars.manifest("carry-stranded-" + pkg.replace('.', '-'), carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=" + host);
        manifest.put("Livepatch-New-Classes", carried);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(carrier.replace('.', '/') + ".class", Jars.patchClass(carrier, Jars::returnsMinusOne));
        entries.put(carried.replace('.', '/') + ".class", Jars.helperClass(carried, mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitInsn(Opcodes.ARETURN);
        }));
        Path jar = Jars.write(dir.resolve("stranded-" + pkg + ".jar"), manifest, entries);

        String message = Jars.refused(jar, Reason.INVALID_PATCH, "class " + carrier + " cannot be used",
                "jarapp/Counter");
        assertFalse(message.contains("they stay there"), message);
        assertThrows(ClassNotFoundException.class, () -> Class.forName(carried, false, hostLoader), "nothing was carried");
    }

    @Test
    void aPatchClassUsingATypeTheTargetsLoaderLacksIsRefusedBeforeTheCarriedClassesAreDefined() throws Exception {
        // The nestmate verifies and links (nothing calls the method), but looking up its methods
        // resolves jarapp.NotThere, which no class loader has: refused before anything is carried.
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "jarapp/LackingCarrier", null,
                "java/lang/Object", null);
        cw.visitSource(null, null);
        byte[] replacement = patchClass("jarapp.LackingCarrier", "jarapp.Counter", null, "next");
        new org.objectweb.asm.ClassReader(replacement).accept(new org.objectweb.asm.ClassVisitor(Opcodes.ASM9, cw) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName,
                              String[] interfaces) {
                // cw has its header already
            }

            @Override
            public void visitEnd() {
                MethodVisitor mv = cw.visitMethod(Opcodes.ACC_STATIC, "uses", "(Ljarapp/NotThere;)V", null, null);
                mv.visitCode();
                mv.visitInsn(Opcodes.RETURN);
                mv.visitMaxs(0, 0);
                mv.visitEnd();
                super.visitEnd();
            }
        }, 0);
        Path jar = carrier("lacking.jar", "carry-lacking", "jarapp.LackingCarrier", "jarapp.Counter",
                "jarapp.CarriedLacking", Map.of(), cw.toByteArray());

        String message = Jars.refused(jar, Reason.INVALID_PATCH, "class jarapp.LackingCarrier cannot be used",
                "jarapp/NotThere", "use only classes of the JAR, the JDK or the target's class loader");
        assertFalse(message.contains("they stay"), message);
        assertNotDefined("jarapp.CarriedLacking");
    }
}
