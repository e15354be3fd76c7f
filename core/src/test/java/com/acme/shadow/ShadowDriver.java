package com.acme.shadow;

import com.acme.shadow.fix.BitSetFix;
import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.Shadow;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Main class of a fresh JVM: one shadow store across class loaders. Prints {@code RESULT ok} when
 * every check passed. Shadow is named only in the nested classes, each first used at its step, so
 * that nothing resolves it earlier than the step means to.
 *
 * <ul>
 *   <li>{@code one}: installing jlivepatch loads no class of the store; then the application, a
 *       patch of {@code java.util.BitSet.cardinality} from a patch JAR (its class loader's parent
 *       is the boot loader) and a class defined under the boot loader all see the boot loader's
 *       {@code Shadow} and the same variables.</li>
 *   <li>{@code before}: the application uses Shadow before jlivepatch is installed; its copy keeps
 *       working as a store of its own after the install put the boot copy in place (whose store
 *       is another one).</li>
 * </ul>
 */
public final class ShadowDriver {

    private static final ClassLoader APP = ShadowDriver.class.getClassLoader();
    private static final Duration WAIT = Duration.ofSeconds(30);

    private ShadowDriver() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Instrumentation inst = ByteBuddyAgent.install();
        if (mode.equals("before")) {
            Before.attach();
        } else {
            check(!storeLoaded(inst), "a class of the store is loaded before jlivepatch is installed");
        }
        Livepatch lp = Livepatch.install(inst);
        if (!mode.equals("before")) {
            check(!storeLoaded(inst), "installing jlivepatch loaded a class of the shadow store");
        }
        Class<?> boot = Class.forName("io.jlivepatch.Shadow", false, null);
        check(boot.getClassLoader() == null, "io.jlivepatch.Shadow is not on the bootstrap class path");
        switch (mode) {
            case "one":
                One.run(lp, boot);
                break;
            case "before":
                Before.afterInstall(boot);
                break;
            default:
                throw new IllegalArgumentException(mode);
        }
        System.out.println("RESULT ok");
        System.exit(0);
    }

    private static boolean storeLoaded(Instrumentation inst) {
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.getName().equals("io.jlivepatch.Shadow") || c.getName().startsWith("io.jlivepatch.internal.bootstrap.Shadow")) {
                return true;
            }
        }
        return false;
    }

    /** Mode {@code one}. */
    private static final class One {
        static void run(Livepatch lp, Class<?> boot) throws Exception {
            check(Shadow.class == boot, "the application's io.jlivepatch.Shadow is not the boot loader's: "
                    + Shadow.class.getClassLoader());

            PatchHandle h = lp.load(patchJar());
            h.enable();
            check(h.awaitTransition(WAIT), "the enable transition did not end");
            for (FunctionStatus f : h.functions()) {
                check(f.state() == FunctionStatus.State.PATCHED, "not patched: " + f);
            }

            BitSet bits = new BitSet();
            bits.set(1);
            bits.set(5);
            for (int i = 0; i < 3; i++) {
                check(bits.cardinality() == 2, "the patched cardinality miscounts");
            }
            Object calls = Shadow.get(bits, BitSetFix.CALLS);
            check(calls instanceof AtomicLong && ((AtomicLong) calls).get() == 3,
                    "the application does not see the patch's counter: " + calls);
            Class<?> patchClass = (Class<?>) Shadow.get(bits, BitSetFix.PATCH_CLASS);
            check(patchClass != null && patchClass.getClassLoader() != APP && patchClass.getClassLoader() != null
                    && patchClass.getClassLoader().getParent() == null,
                    "the patch class was not defined under the boot loader: " + patchClass);
            check(Shadow.get(bits, BitSetFix.SHADOW_CLASS) == Shadow.class,
                    "the patch linked another io.jlivepatch.Shadow: " + Shadow.get(bits, BitSetFix.SHADOW_CLASS));

            // What a JDK class itself resolves: a class whose loader has only the boot loader above it.
            Class<?> side = BootParented.define(BootSide.class);
            check(invoke(side, "shadowLoader") == null, "the boot side's Shadow is not the boot loader's");
            check(invoke(side, "read", bits, BitSetFix.CALLS) == calls, "the boot side sees another store");
            Object marked = new Object();
            check("from the boot side".equals(invoke(side, "attach", marked, BitSetFix.CALLS, "from the boot side")),
                    "the boot side could not attach");
            check("from the boot side".equals(Shadow.get(marked, BitSetFix.CALLS)),
                    "the application does not see what the boot side attached");

            h.disable();
            check(h.awaitTransition(WAIT), "the disable transition did not end");
            h.unregister();
            check(bits.cardinality() == 2 && ((AtomicLong) calls).get() == 3, "the patch still runs after its removal");
            check(Shadow.get(bits, BitSetFix.CALLS) == calls, "the variable went with the patch");
            Shadow.detachAll(BitSetFix.CALLS);
            Shadow.detachAll(BitSetFix.PATCH_CLASS);
            Shadow.detachAll(BitSetFix.SHADOW_CLASS);
            check(invoke(side, "read", bits, BitSetFix.CALLS) == null && invoke(side, "read", marked, BitSetFix.CALLS) == null,
                    "detachAll from the application left the boot side's view");
        }
    }

    /** Mode {@code before}. */
    private static final class Before {
        static final long ID = 0x5348_0002_0000_0010L;
        static final Object KEPT = new Object();

        static void attach() {
            check(Shadow.class.getClassLoader() == APP, "Shadow should come from the application's loader before"
                    + " the install: " + Shadow.class.getClassLoader());
            check("before".equals(Shadow.attach(KEPT, ID, () -> "before")), "attach before the install failed");
            check("before".equals(Shadow.get(KEPT, ID)), "get before the install failed");
        }

        static void afterInstall(Class<?> boot) throws Exception {
            check(Shadow.class != boot && Shadow.class.getClassLoader() == APP,
                    "the application's copy of Shadow should stay its own");
            // Every operation of the application's copy still works (its nested classes are its own).
            check("before".equals(Shadow.get(KEPT, ID)), "the application's store lost its variable");
            Object other = new Object();
            check("after".equals(Shadow.getOrAttach(other, ID, () -> "after")), "getOrAttach after the install failed");
            Shadow.detach(other, ID);
            check(Shadow.get(other, ID) == null, "detach after the install failed");
            // The boot loader's copy is a store of its own.
            Class<?> side = BootParented.define(BootSide.class);
            check(invoke(side, "shadowLoader") == null, "the boot side's Shadow is not the boot loader's");
            check(invoke(side, "read", KEPT, ID) == null, "the boot store sees the application's store");
            invoke(side, "attach", KEPT, ID, "boot");
            check("boot".equals(invoke(side, "read", KEPT, ID)) && "before".equals(Shadow.get(KEPT, ID)),
                    "the two stores mixed");
            int[] given = {0};
            Shadow.detachAll(ID, v -> given[0]++);
            check(given[0] == 1 && Shadow.get(KEPT, ID) == null, "detachAll after the install failed");
        }
    }

    /** A class loader whose parent is the boot loader, defining one class of the test. */
    private static final class BootParented extends ClassLoader {
        BootParented() {
            super("boot-parented", null);
        }

        static Class<?> define(Class<?> c) throws IOException {
            byte[] bytes = classBytes(c.getName());
            return new BootParented().defineClass(c.getName(), bytes, 0, bytes.length);
        }
    }

    private static Object invoke(Class<?> c, String name, Object... args) throws Exception {
        for (Method m : c.getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == args.length) {
                return m.invoke(null, args);
            }
        }
        throw new NoSuchMethodException(c.getName() + "." + name);
    }

    private static byte[] classBytes(String binaryName) throws IOException {
        try (InputStream in = APP.getResourceAsStream(binaryName.replace('.', '/') + ".class")) {
            if (in == null) {
                throw new IOException(binaryName + " is not on the class path");
            }
            return in.readAllBytes();
        }
    }

    private static Path patchJar() throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "shadow-bitset");
        m.getMainAttributes().putValue("Livepatch-Description", "BitSet.cardinality counts its calls in a shadow variable");
        m.getMainAttributes().putValue("Livepatch-Class", "com.acme.shadow.fix.BitSetFix");
        Path jar = Files.createTempFile("shadow-bitset", ".jar");
        jar.toFile().deleteOnExit();
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m)) {
            jos.putNextEntry(new JarEntry("com/acme/shadow/fix/BitSetFix.class"));
            jos.write(classBytes("com.acme.shadow.fix.BitSetFix"));
            jos.closeEntry();
        }
        return jar;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
