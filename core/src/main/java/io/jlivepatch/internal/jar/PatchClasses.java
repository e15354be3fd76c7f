package io.jlivepatch.internal.jar;

import io.jlivepatch.internal.patch.ClassInit;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The classes of one patch JAR, defined once per target class loader. Held by the registered patch
 * only: when it is unregistered, the patch's loaders and hidden classes become unreachable.
 *
 * <p>A plain patch class is defined by a {@link PatchClassLoader} whose parent is the target's
 * loader. A class that {@code Livepatch-Nestmates} maps to a target is defined as a hidden nestmate
 * of that target class (through the target's own lookup), so that its code may use the target's
 * private members; the {@code Livepatch-New-Classes} it needs are defined in the target's loader
 * and package first, for good (a class loader cannot forget a class).
 */
final class PatchClasses {

    private final PatchJar jar;
    private final Instrumentation inst;

    // Guarded by this. Per target loader (null: the boot loader, which WeakHashMap cannot key).
    private final Map<ClassLoader, Map<String, Class<?>>> byTarget = new WeakHashMap<>();
    private final Map<String, Class<?>> forBoot = new HashMap<>();
    private final Map<ClassLoader, PatchClassLoader> loaders = new WeakHashMap<>();
    private PatchClassLoader bootLoader;
    private final Map<Class<?>, MethodHandles.Lookup> carriers = new WeakHashMap<>();
    /** The new classes this defined for good, in order: what a refusal after them leaves behind. */
    private final List<String> carried = new ArrayList<>();

    PatchClasses(PatchJar jar, Instrumentation inst) {
        this.jar = jar;
        this.inst = inst;
    }

    synchronized Class<?> classFor(String patchClass, ClassLoader targetLoader) throws ReflectiveOperationException {
        Map<String, Class<?>> defined = targetLoader == null ? forBoot
                : byTarget.computeIfAbsent(targetLoader, k -> new HashMap<>());
        Class<?> c = defined.get(patchClass);
        if (c == null) {
            String host = jar.nestmates().get(patchClass);
            // loaded, not initialized: the class initializes when a replacement first runs (its
            // direct method handle does that), so nothing of a patch runs before it is enabled
            c = host == null ? Class.forName(patchClass, false, loaderFor(targetLoader))
                    : defineNestmate(patchClass, Class.forName(host, false, targetLoader));
            defined.put(patchClass, c);
        }
        return c;
    }

    private PatchClassLoader loaderFor(ClassLoader targetLoader) {
        if (targetLoader == null) {
            if (bootLoader == null) {
                bootLoader = new PatchClassLoader(jar, null);
            }
            return bootLoader;
        }
        return loaders.computeIfAbsent(targetLoader, t -> new PatchClassLoader(jar, t));
    }

    private Class<?> defineNestmate(String patchClass, Class<?> host) throws ReflectiveOperationException {
        MethodHandles.Lookup lookup = hostLookup(host);
        String pkg = host.getPackageName();
        for (String nc : jar.newClasses()) {
            if (pkg.equals(CarriedClasses.packageOf(nc))) { // the rule ClassFileCheck.checkOwnNames checks
                if (CarriedClasses.define(lookup, nc, jar.classes().get(nc.replace('.', '/')), jar.name())) {
                    carried.add(nc);
                }
            }
        }
        byte[] bytes = jar.classes().get(patchClass.replace('.', '/'));
        // linked (so verified, where the JVM verifies that loader) but not initialized, as above
        MethodHandles.Lookup carrier = lookup.defineHiddenClass(bytes, false, MethodHandles.Lookup.ClassOption.NESTMATE);
        carriers.put(carrier.lookupClass(), carrier);
        return carrier.lookupClass();
    }

    /** The patch class loaders this has made so far (its hidden nestmates are the targets' loaders'). */
    synchronized List<ClassLoader> ownLoaders() {
        List<ClassLoader> own = new ArrayList<>(loaders.values());
        if (bootLoader != null) {
            own.add(bootLoader);
        }
        return own;
    }

    /** The hidden nestmates this has defined so far, in the targets' loaders. */
    synchronized List<Class<?>> nestmates() {
        return new ArrayList<>(carriers.keySet());
    }

    /** The new classes this has defined in applications' class loaders so far, each for good. */
    synchronized List<String> carried() {
        return List.copyOf(carried);
    }

    private final Map<Class<?>, ClassInit> initializations = new WeakHashMap<>();

    /**
     * The initialization of a patch class this defined, left to its first replacement call: a
     * hidden nestmate through the lookup its definition returned, any other by its name and loader.
     */
    synchronized ClassInit initializationOf(Class<?> c) {
        return initializations.computeIfAbsent(c, k -> new ClassInit(k, cls -> {
            if (cls.isHidden()) {
                carrierLookup(cls).ensureInitialized(cls);
            } else {
                Class.forName(cls.getName(), true, cls.getClassLoader());
            }
        }));
    }

    /** The full-privilege lookup of a hidden nestmate this defined, for its methods' handles. */
    synchronized MethodHandles.Lookup carrierLookup(Class<?> carrier) {
        return carriers.get(carrier);
    }

    /**
     * The host's own full-privilege lookup. {@code privateLookupIn} gives one only when jlivepatch
     * and the host share a module; an application in a class loader of its own (an application
     * server, any URLClassLoader) has an unnamed module of its own, so there the trusted lookup is
     * used, reached by opening {@code java.lang.invoke} to jlivepatch through the Instrumentation.
     */
    private MethodHandles.Lookup hostLookup(Class<?> host) throws IllegalAccessException {
        Module own = PatchClasses.class.getModule();
        Module target = host.getModule();
        if (target.isNamed() && !target.isOpen(host.getPackageName(), own) && inst != null
                && inst.isModifiableModule(target)) {
            inst.redefineModule(target, Set.of(), Map.of(), Map.of(host.getPackageName(), Set.of(own)), Set.of(), Map.of());
            io.jlivepatch.internal.ModuleOpenings.opened(target, host.getPackageName(), own, "a patch class is a"
                    + " nestmate of " + host.getName());
        }
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(host, MethodHandles.lookup());
        if (lookup.hasFullPrivilegeAccess()) {
            return lookup;
        }
        return TrustedLookup.in(host, inst);
    }
}
