package io.jlivepatch.internal.patch;

import net.bytebuddy.agent.ByteBuddyAgent;

import java.lang.instrument.Instrumentation;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * In a fresh JVM ({@link ColdTransformerTest}): jlivepatch's transformer is installed while no
 * {@code VarHandle} call has been linked yet, and the JVM's first such call comes right after.
 * Prints {@code RESULT ok} when that call and the same calls later work.
 */
public final class ColdTransformerDriver {

    private static final String ACCESS_DESCRIPTOR = "java.lang.invoke.VarHandle$AccessDescriptor";

    public static void main(String[] args) throws Exception {
        Instrumentation inst = ByteBuddyAgent.install();
        AtomicBoolean flag = new AtomicBoolean(); // the class now, so that the call below defines only what it links
        if (loaded(inst, ACCESS_DESCRIPTOR)) {
            // This JVM linked a VarHandle call before the test could: the case below cannot be made here.
            System.out.println("RESULT no case: " + ACCESS_DESCRIPTOR + " was loaded before the installation");
            return;
        }
        HookManager.install(inst);
        try {
            flag.compareAndSet(false, true); // the JVM's first VarHandle call: defines the class above
        } catch (LinkageError e) {
            System.out.println("RESULT the first VarHandle call after the installation failed: " + e);
            return;
        }
        AtomicBoolean other = new AtomicBoolean();
        AtomicLongArray array = new AtomicLongArray(1);
        try {
            other.compareAndSet(false, true);
            array.set(0, 1);
        } catch (LinkageError e) {
            System.out.println("RESULT a later VarHandle call failed: " + e);
            return;
        }
        System.out.println(flag.get() && other.get() && array.get(0) == 1 ? "RESULT ok" : "RESULT wrong values");
    }

    private static boolean loaded(Instrumentation inst, String name) {
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.getName().equals(name)) {
                return true;
            }
        }
        return false;
    }
}
