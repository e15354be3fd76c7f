package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URLClassLoader;
import java.security.SecureClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The class loaders a patch JAR's code can resolve a name through, known before any of its classes is
 * defined: what a use of a class carried unchecked into some loader is judged against
 * (CarriedClasses.uncheckedUse). Every class of the JAR is defined for a target loader: a plain one by a
 * {@link PatchClassLoader} whose parent is that loader (and which asks jlivepatch's own loader for
 * {@code io.jlivepatch.} names), a nestmate and a carried class in the loader of a host the target loader
 * finds. A loader that delegates parent-first resolves a name only in itself and its ancestors, so those
 * are all its code can reach. A loader that may delegate otherwise (one that overrides {@code loadClass}
 * or {@code findClass}: a child-first webapp loader, a loader asking a sibling) may resolve a name in any
 * loader at all: such a loader makes the answer "not known" (null), and then every loader counts.
 */
final class ResolvingLoaders {

    private ResolvingLoaders() {
    }

    /**
     * The loaders {@code jar}'s code resolves names through if it is loaded now: those of the loaded classes
     * it replaces methods of, the loader it would be defined under with none loaded
     * (PatchJarLoader.primaryLoader), jlivepatch's own, and their ancestors; null when that cannot be known
     * (no Instrumentation, a JAR whose {@code @Replaces} do not read, a loader not judged parent-first).
     * A loader that defines a target class later is judged when it does (PatchClasses.checkTrust).
     */
    static Set<ClassLoader> of(PatchJar jar, Instrumentation inst) {
        if (inst == null) {
            return null;
        }
        List<ReplacesScanner.Entry> entries;
        try {
            entries = ReplacesScanner.scanChecked(jar);
        } catch (PatchException e) {
            return null; // the load refuses it later; until then nothing says which loaders it targets
        }
        Set<String> targets = new java.util.HashSet<>();
        for (ReplacesScanner.Entry e : entries) {
            targets.add(e.target());
        }
        Class<?>[] all = inst.getAllLoadedClasses();
        Map<String, List<Class<?>>> loaded = io.jlivepatch.internal.patch.LoadedClasses.named(all, targets);
        List<ClassLoader> loaders = new ArrayList<>();
        loaders.add(PatchJarLoader.primaryLoader(all, entries, loaded));
        for (List<Class<?>> same : loaded.values()) {
            for (Class<?> c : same) {
                loaders.add(c.getClassLoader());
            }
        }
        return through(loaders);
    }

    /**
     * {@link #of} for a registered patch, at its enable (under klpMutex): the loaders of the loaded classes it
     * replaces methods of and those its classes were defined for already ({@code sources}: the parents of its
     * own loaders, the loaders of its hidden nestmates), without asking any application loader for a class
     * file as {@link #of}'s primary loader does: the load defined its classes under that loader already.
     */
    static Set<ClassLoader> ofRegistered(PatchJar jar, Instrumentation inst,
                                         List<io.jlivepatch.internal.patch.ReplacementSource> sources) {
        if (inst == null) {
            return null;
        }
        List<ReplacesScanner.Entry> entries;
        try {
            entries = ReplacesScanner.scanChecked(jar);
        } catch (PatchException e) {
            return null; // read at its load already: not expected
        }
        Set<String> targets = new java.util.HashSet<>();
        for (ReplacesScanner.Entry e : entries) {
            targets.add(e.target());
        }
        List<ClassLoader> loaders = new ArrayList<>();
        for (List<Class<?>> same : io.jlivepatch.internal.patch.LoadedClasses.named(inst.getAllLoadedClasses(),
                targets).values()) {
            for (Class<?> c : same) {
                loaders.add(c.getClassLoader());
            }
        }
        for (io.jlivepatch.internal.patch.ReplacementSource s : sources) {
            for (ClassLoader own : s.ownLoaders()) {
                loaders.add(own.getParent());
            }
            for (Class<?> hidden : s.ownHiddenClasses()) {
                loaders.add(hidden.getClassLoader());
            }
        }
        return through(loaders);
    }

    /**
     * The loaders the code of a patch class defined for {@code targetLoader} resolves names through:
     * {@code targetLoader}'s, jlivepatch's own and their ancestors; null when not known.
     */
    static Set<ClassLoader> forTarget(ClassLoader targetLoader) {
        List<ClassLoader> loaders = new ArrayList<>();
        loaders.add(targetLoader);
        return through(loaders);
    }

    /**
     * {@code loaders}, jlivepatch's own loader and all their ancestors (null: the boot loader), and the JDK's
     * application loader when the platform loader is one of them; null when not known.
     */
    private static Set<ClassLoader> through(List<ClassLoader> loaders) {
        Set<ClassLoader> through = Collections.newSetFromMap(new IdentityHashMap<>()); // holds null, the boot loader
        through.add(null);
        loaders.add(PatchClassLoader.class.getClassLoader()); // io.jlivepatch. names of a patch class resolve there
        for (ClassLoader l : loaders) {
            for (ClassLoader a = l; a != null; a = a.getParent()) {
                if (!through.add(a)) {
                    break; // this one and its ancestors were walked already
                }
                if (!parentFirst(a)) {
                    return null;
                }
            }
        }
        if (through.contains(ClassLoader.getPlatformClassLoader())) {
            // The platform loader resolves a package of a named module on the module path in the application
            // loader, its child, not an ancestor: walked above only through a loader below it, such as
            // jlivepatch's own, unless jlivepatch itself is on the boot class path (-Xbootclasspath/a).
            ClassLoader app = applicationLoader();
            if (app == null) {
                return null;
            }
            through.add(app);
        }
        return through;
    }

    /**
     * The JDK's application loader: the system class loader, or the parent of one named by
     * {@code java.system.class.loader} (which is made as its child); null when not found.
     */
    private static ClassLoader applicationLoader() {
        ClassLoader system;
        try {
            system = ClassLoader.getSystemClassLoader();
        } catch (IllegalStateException e) {
            return null; // the system class loader being made: not known yet
        }
        for (ClassLoader l = system; l != null; l = l.getParent()) {
            if (isApplicationLoader(l)) {
                return l;
            }
        }
        return null;
    }

    /** Whether {@code loader} is the JDK's application loader, by its exact class, the boot loader's. */
    private static boolean isApplicationLoader(ClassLoader loader) {
        return loader.getClass().getName().equals("jdk.internal.loader.ClassLoaders$AppClassLoader")
                && loader.getClass().getClassLoader() == null;
    }

    /**
     * Whether {@code loader} resolves a name only through itself and its ancestors: the JDK's built-in
     * loaders (which delegate among themselves: boot, platform, application; through walks the application
     * loader with the platform loader), and a loader whose class
     * keeps {@code ClassLoader}'s parent-first {@code loadClass} and either {@code URLClassLoader}'s
     * {@code findClass} (its own URLs) or none. A loader whose class cannot be read counts as not.
     */
    static boolean parentFirst(ClassLoader loader) {
        // The JDK's application loader by its exact class, the boot loader's (an application's loader may
        // name its class anything). Not every loader class of jdk.internal.loader: a module layer's loader
        // (jdk.internal.loader.Loader, ModuleLayer.defineModulesWith*Loaders) resolves a package of a module
        // its module reads through that module's loader, a sibling: its class is judged below like any other.
        if (loader == null || loader == ClassLoader.getPlatformClassLoader() || isApplicationLoader(loader)) {
            return true;
        }
        return PARENT_FIRST.get(loader.getClass());
    }

    /** {@link #parentFirst} of a loader class, read once: each link of a patch under a policy asks (PatchClasses.checkTrust). */
    private static final ClassValue<Boolean> PARENT_FIRST = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return declaresNoLoading(type);
        }
    };

    /**
     * Whether {@code loaderClass} keeps each of ClassLoader's overridable loadClass and findClass as
     * ClassLoader, SecureClassLoader or URLClassLoader declares it. Each is resolved on its own, by name and
     * type, as a call would link: Class.getDeclaredMethods resolves the types of every method the class
     * declares, asking its defining loader (an application's code, run at an enable under klpMutex, where a
     * loader that blocks would hold every operation) for those not loaded yet. A class whose members this
     * code may not look up (a named module's package not open to it) counts as not parent-first.
     */
    private static boolean declaresNoLoading(Class<?> loaderClass) {
        if (loaderClass == URLClassLoader.class || loaderClass == SecureClassLoader.class) {
            return true; // the JDK's own: java.net and java.security are open to no lookup of this code
        }
        try {
            MethodHandles.Lookup in = MethodHandles.privateLookupIn(loaderClass, MethodHandles.lookup());
            return keeps(in, loaderClass, "loadClass", MethodType.methodType(Class.class, String.class))
                    && keeps(in, loaderClass, "loadClass", MethodType.methodType(Class.class, String.class,
                            boolean.class))
                    && keeps(in, loaderClass, "findClass", MethodType.methodType(Class.class, String.class))
                    && keeps(in, loaderClass, "findClass", MethodType.methodType(Class.class, String.class,
                            String.class));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false; // an application's loader class not judged
        }
    }

    /** Whether the method {@code name} of {@code type} that a call on {@code loaderClass} links to is the JDK's. */
    private static boolean keeps(MethodHandles.Lookup in, Class<?> loaderClass, String name, MethodType type)
            throws ReflectiveOperationException {
        Class<?> declaring = in.revealDirect(in.findVirtual(loaderClass, name, type)).getDeclaringClass();
        return declaring == ClassLoader.class || declaring == SecureClassLoader.class
                || declaring == URLClassLoader.class;
    }
}
