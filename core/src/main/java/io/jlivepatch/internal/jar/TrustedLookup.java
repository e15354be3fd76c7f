package io.jlivepatch.internal.jar;

import io.jlivepatch.internal.ModuleOpenings;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.util.Map;
import java.util.Set;

/**
 * A full-privilege lookup on any class, from the JDK's trusted lookup. Only for defining a hidden
 * nestmate (a patch's class; a copy of a method's original code for {@code @Next}) in a class whose
 * module jlivepatch is not part of; the Instrumentation that
 * jlivepatch holds is what allows opening {@code java.lang.invoke} for it.
 */
public final class TrustedLookup {

    private static volatile MethodHandles.Lookup trusted;

    private TrustedLookup() {
    }

    public static MethodHandles.Lookup in(Class<?> host, Instrumentation inst) throws IllegalAccessException {
        MethodHandles.Lookup t = trusted;
        if (t == null) {
            t = load(inst);
            trusted = t;
        }
        MethodHandles.Lookup lookup = t.in(host);
        if (!lookup.hasFullPrivilegeAccess()) {
            throw new IllegalAccessException("no full-privilege lookup on " + host.getName());
        }
        return lookup;
    }

    // Synchronized: two threads at once would open java.lang.invoke (and record it) twice.
    private static synchronized MethodHandles.Lookup load(Instrumentation inst) throws IllegalAccessException {
        Module base = Object.class.getModule();
        Module own = TrustedLookup.class.getModule();
        if (!base.isOpen("java.lang.invoke", own)) {
            if (inst == null) {
                throw new IllegalAccessException("java.lang.invoke is not open to jlivepatch and no Instrumentation"
                        + " is at hand to open it");
            }
            inst.redefineModule(base, Set.of(), Map.of(), Map.of("java.lang.invoke", Set.of(own)), Set.of(), Map.of());
            ModuleOpenings.opened(base, "java.lang.invoke", own, "the JDK's trusted lookup, to define a patch's class"
                    + " in a module jlivepatch is not part of");
        }
        try {
            Field f = MethodHandles.Lookup.class.getDeclaredField("IMPL_LOOKUP");
            f.setAccessible(true);
            return (MethodHandles.Lookup) f.get(null);
        } catch (NoSuchFieldException | RuntimeException e) {
            throw new IllegalAccessException("this JDK's trusted lookup cannot be reached: " + e);
        }
    }
}
