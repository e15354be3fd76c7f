package io.jlivepatch.internal.jar;

import io.jlivepatch.internal.patch.ClassInit;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.lang.ref.WeakReference;
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

    /**
     * What this defined for one target class loader: its copies of the patch classes, its patch class
     * loader, the lookups of its hidden nestmates and their initializations. Every one of them keeps
     * that target loader reachable (a patch class loader's parent, a nestmate's defining loader), so
     * it must never be reachable from a root of this object's own: a map keyed weakly by the loader
     * would never let go of it (its value holds its key), and a webapp or plugin redeployed 1,000
     * times would stay loaded 1,000 times, until metaspace runs out. It is attached instead to a
     * class of that loader ({@link #anchorOf}, through {@link #perTarget}), so that it goes with the
     * loader, and {@link #release} takes it off when the patch goes.
     */
    private static final class PerTarget {
        final Map<String, Class<?>> defined = new HashMap<>();
        PatchClassLoader loader;
        final Map<Class<?>, MethodHandles.Lookup> carriers = new HashMap<>();
        final Map<Class<?>, ClassInit> initializations = new HashMap<>();
        /** Target class to why this loader's copy is not the version the JAR was built against; "" when it is. */
        final Map<String, String> versions = new HashMap<>();
        /** Why the JAR's classes do not link against this loader's classes ({@link #checkLinks}); "" when they do; null: not checked. */
        String links;
    }

    /** Per-target state, held by a class the target loader defined (a ClassValue lives in its class). */
    private final ClassValue<PerTarget> perTarget = new ClassValue<>() {
        @Override
        protected PerTarget computeValue(Class<?> type) {
            return new PerTarget();
        }
    };

    // Guarded by this. The anchor of each target loader: a class it defined, held weakly (a loader's
    // classes go only with it). Weak values: nothing here reaches a target loader strongly.
    private final Map<ClassLoader, WeakReference<Class<?>>> anchors = new WeakHashMap<>();
    /** Guarded by this. The anchors used so far, for {@link #release}. */
    private final List<WeakReference<Class<?>>> anchored = new ArrayList<>();
    /** Guarded by this. The patch class loaders made so far, weakly (each holds its target loader). */
    private final List<WeakReference<PatchClassLoader>> made = new ArrayList<>();
    /**
     * Guarded by this. The boot loader's state (null key), and that of a target loader no anchor was
     * found for (no Instrumentation, a loader that defined no class): held strongly, as before.
     */
    private final PerTarget forBoot = new PerTarget();
    private final Map<ClassLoader, PerTarget> unanchored = new HashMap<>();
    /** Guarded by this. Set by {@link #release}: from then on nothing is defined or looked up again. */
    private boolean released;
    /** The new classes this defined for good, in order: what a refusal after them leaves behind. */
    private final List<String> carried = new ArrayList<>();
    /**
     * Guarded by this. The target loaders the load's own check (ClassFileCheck.linkAll) was made against,
     * weakly held (null: the boot loader, which a WeakHashMap holds as a key of its own).
     */
    private final Set<ClassLoader> checkedAtLoad = java.util.Collections.newSetFromMap(new WeakHashMap<>());
    /** Guarded by this. What the running classes the patch replaces name already, for the check ({@link #checkLinks}). */
    private Set<String> replaced = Set.of();

    /** The SHA-256 of the JAR's bytes: what carried classes record. */
    private final String jarSha256;
    /**
     * Whether an enforcing trust policy checked the JAR's bytes: at the load, or at its enable under a policy
     * raised after it ({@link #checkedLater}). What its carried classes record, and whether {@link #checkTrust}
     * judges a loader. Volatile: set by the enable's thread under klpMutex before that enable links anything,
     * read by whichever thread links a loader's copy later (a class defined on an application thread).
     */
    private volatile boolean checked;
    /** What the JAR's code names (CarriedClasses.Uses), read at the first {@link #checkTrust} that needs it. Guarded by this. */
    private CarriedClasses.Uses uses;

    PatchClasses(PatchJar jar, Instrumentation inst, String jarSha256, boolean checked) {
        this.jar = jar;
        this.inst = inst;
        this.jarSha256 = jarSha256;
        this.checked = checked;
    }

    /**
     * A trust policy raised after the JAR's load checked it at its enable: the classes it carries from now on
     * are checked ones, as a JAR checked at its load carries them, and {@link #checkTrust} judges its copies.
     */
    void checkedLater() {
        checked = true; // pairs with the reads in checkTrust and defineNestmate
    }

    /**
     * Refuses the JAR's copy for {@code targetLoader} when, under an enforcing trust policy that checked the
     * JAR, its code there would link to a class a patch no policy checked carried into a loader it resolves
     * names through (CarriedClasses.uncheckedUse; every loader when that is not known, ResolvingLoaders): the
     * load and the enable judged the loaders that had a target class then (PatchJarLoader.refuseUncheckedCarried),
     * and a loader defining one later (a webapp deployed under the loader such a class was carried into) would
     * run that class's code under the signed patch's name. That loader's copy keeps its own code. Asked at each
     * link, not once per loader, though no class is carried unchecked after the raise (CarriedClasses.define).
     */
    void checkTrust(ClassLoader targetLoader) throws ReflectiveOperationException {
        if (!checked || !io.jlivepatch.internal.trust.TrustPolicy.current().enforced()
                || !CarriedClasses.anyUnchecked()) {
            return;
        }
        CarriedClasses.Uses u;
        synchronized (this) {
            if (uses == null) {
                uses = CarriedClasses.Uses.of(jar);
            }
            u = uses;
        }
        String[] use = CarriedClasses.uncheckedUse(u, ResolvingLoaders.forTarget(targetLoader));
        if (use != null) {
            // the line that logs it names the patch, the method and the loader (ReplacementLinker's misfit)
            throw new ReflectiveOperationException("UNTRUSTED: its code there uses "
                    + CarriedClasses.uncheckedUseMessage(use));
        }
    }

    synchronized Class<?> classFor(String patchClass, ClassLoader targetLoader) throws ReflectiveOperationException {
        PerTarget t = stateOf(targetLoader);
        Class<?> c = t.defined.get(patchClass);
        if (c == null) {
            String host = jar.nestmates().get(patchClass);
            // loaded, not initialized: the class initializes when a replacement first runs (its
            // direct method handle does that), so nothing of a patch runs before it is enabled
            c = host == null ? Class.forName(patchClass, false, loaderFor(t, targetLoader))
                    : defineNestmate(t, patchClass, Class.forName(host, false, targetLoader));
            t.defined.put(patchClass, c);
        }
        return c;
    }

    /**
     * Refuses a replacement of {@code target} for {@code targetLoader} when the JAR records the version
     * of that class it was built against ({@link PatchJar#oldDigests}) and the loader's copy is another,
     * as the load refuses it for the loaders that have the class then (PatchJarLoader.checkBuiltAgainst,
     * whose reading of the class file through its loader this repeats). A loader that defines the class
     * later (a webapp redeployed with another build) was checked by nothing: a patch built for 1.0 replaced
     * the method of 1.1 there (LaterLoaderVersionTest). Once per loader and class; the loader's code runs
     * (its getResourceAsStream) under this lock, as in classFor's loading through it.
     */
    synchronized void checkVersion(String target, ClassLoader targetLoader) throws ReflectiveOperationException {
        String built = jar.oldDigests().get(target);
        if (built == null) {
            return; // a hand-written JAR records none
        }
        PerTarget t = stateOf(targetLoader);
        String failure = t.versions.get(target);
        if (failure == null) {
            String resource = target.replace('.', '/') + ".class";
            byte[] running;
            try (java.io.InputStream in = targetLoader == null ? ClassLoader.getSystemResourceAsStream(resource)
                    : targetLoader.getResourceAsStream(resource)) {
                running = in == null ? null : in.readAllBytes();
            } catch (java.io.IOException | RuntimeException e) {
                running = null;
            }
            if (running == null) {
                failure = PatchJar.about(jar.source()) + " was built against a version of " + target + ", and this"
                        + " class loader's class file of it cannot be read to check it: its copy keeps its own code";
            } else if (!io.jlivepatch.internal.format.ClassDigest.ofFile(running).equals(jar.oldFileDigests()
                    .get(target)) && !io.jlivepatch.internal.format.ClassDigest.of(running).equals(built)) {
                failure = PatchJar.about(jar.source()) + " was built against another version of " + target + " than"
                        + " this class loader's: its copy keeps its own code; for it, build a patch from the sources of"
                        + " the version it runs (jlivepatch build --old <that build>)";
            } else {
                failure = "";
            }
            t.versions.put(target, failure);
        }
        if (!failure.isEmpty()) {
            throw new ReflectiveOperationException(failure);
        }
    }

    /**
     * The load checked the JAR's classes against {@code loaders}' classes (ClassFileCheck.linkAll):
     * {@link #checkLinks} checks any other loader once, with {@code replaced} as that check's.
     */
    synchronized void checkedAtLoad(Set<ClassLoader> loaders, Set<String> replaced) {
        checkedAtLoad.addAll(loaders);
        this.replaced = Set.copyOf(replaced);
    }

    /**
     * Refuses the JAR's classes for {@code targetLoader} when they do not link against its classes: a
     * member a replacement uses that this loader's copy of a class lacks, a class it cannot see, as the
     * load refuses them for the loaders it checked (ClassFileCheck.linkAll, whose check this repeats for
     * a loader that defined a target class after the load: a webapp redeployed with another build, a
     * second one). A hand-written JAR records no version (checkVersion), so before, such a loader's
     * copy was PATCHED and the replacement threw NoSuchMethodError at its first call, in the
     * application's request (LaterLoaderMembersTest). Once per loader, under this lock as checkVersion.
     */
    synchronized void checkLinks(ClassLoader targetLoader) throws ReflectiveOperationException {
        if (checkedAtLoad.contains(targetLoader)) {
            return;
        }
        PerTarget t = stateOf(targetLoader);
        if (t.links == null) {
            try {
                ClassFileCheck.linkAll(jar, targetLoader, inst, replaced, Map.of());
                t.links = "";
            } catch (io.jlivepatch.PatchException e) {
                t.links = e.getMessage();
            }
        }
        if (!t.links.isEmpty()) {
            throw new ReflectiveOperationException(t.links);
        }
    }

    /** What this defined for {@code targetLoader} ({@code null}: the boot loader). Caller holds this. */
    private PerTarget stateOf(ClassLoader targetLoader) {
        if (released) {
            // a status read racing the unregistration: nothing may be defined again, nor attached to a
            // loader's class where no release would ever take it off
            throw new IllegalStateException("the patch is unregistered: its classes were released");
        }
        if (targetLoader == null) {
            return forBoot;
        }
        PerTarget held = unanchored.get(targetLoader);
        if (held != null) {
            return held; // found without an anchor first: kept there, so that its copies stay one
        }
        Class<?> anchor = anchorOf(targetLoader);
        if (anchor == null) {
            held = new PerTarget();
            unanchored.put(targetLoader, held);
            return held;
        }
        return perTarget.get(anchor);
    }

    /**
     * A class {@code loader} defined, not hidden (a hidden class may go before its loader), found once
     * per loader; null when there is none or no Instrumentation to ask. Caller holds this.
     */
    private Class<?> anchorOf(ClassLoader loader) {
        WeakReference<Class<?>> r = anchors.get(loader);
        Class<?> anchor = r == null ? null : r.get();
        if (anchor != null || inst == null) {
            return anchor;
        }
        for (Class<?> c : inst.getInitiatedClasses(loader)) {
            if (c.getClassLoader() == loader && !c.isHidden() && !c.isArray()) {
                anchor = c;
                break;
            }
        }
        if (anchor != null) {
            WeakReference<Class<?>> ref = new WeakReference<>(anchor);
            anchors.put(loader, ref);
            // the references of loaders gone go too: a plugin redeployed 100,000 times leaves no list behind
            for (java.util.Iterator<WeakReference<Class<?>>> i = anchored.iterator(); i.hasNext(); ) {
                if (i.next().get() == null) {
                    i.remove();
                }
            }
            anchored.add(ref);
        }
        return anchor;
    }

    private PatchClassLoader loaderFor(PerTarget t, ClassLoader targetLoader) {
        if (t.loader == null) {
            t.loader = new PatchClassLoader(jar, targetLoader);
            // A loop, not removeIf with a lambda, which would spin a class at the first patch (ClassInit.byName)
            for (java.util.Iterator<WeakReference<PatchClassLoader>> i = made.iterator(); i.hasNext(); ) {
                if (i.next().get() == null) {
                    i.remove();
                }
            }
            made.add(new WeakReference<>(t.loader));
        }
        return t.loader;
    }

    /**
     * Lets go of what this defined for the target loaders, now that the patch is gone (or was never
     * registered): what was attached to their classes would otherwise stay there, and with it the
     * patch's classes, as long as such a loader lives (the boot loader's copies stay with this object,
     * which goes with the patch). Code that runs still (threads of a forced patch) keeps what it
     * runs. Never throws.
     */
    synchronized void release() {
        released = true;
        for (WeakReference<Class<?>> r : anchored) {
            Class<?> anchor = r.get();
            if (anchor != null) {
                perTarget.remove(anchor);
            }
        }
        anchored.clear();
        anchors.clear();
        unanchored.clear();
    }

    private Class<?> defineNestmate(PerTarget t, String patchClass, Class<?> host) throws ReflectiveOperationException {
        MethodHandles.Lookup lookup = hostLookup(host);
        String pkg = host.getPackageName();
        for (String nc : jar.newClasses()) {
            if (pkg.equals(CarriedClasses.packageOf(nc))) { // the rule ClassFileCheck.checkOwnNames checks
                if (CarriedClasses.define(lookup, nc, jar.classes().get(nc.replace('.', '/')), jar.name(),
                        jarSha256, checked)) {
                    carried.add(nc);
                }
            }
        }
        byte[] bytes = jar.classes().get(patchClass.replace('.', '/'));
        // linked (so verified, where the JVM verifies that loader) but not initialized, as above
        MethodHandles.Lookup carrier = lookup.defineHiddenClass(bytes, false, MethodHandles.Lookup.ClassOption.NESTMATE);
        t.carriers.put(carrier.lookupClass(), carrier);
        return carrier.lookupClass();
    }

    /** The patch class loaders this has made so far (its hidden nestmates are the targets' loaders'). */
    synchronized List<ClassLoader> ownLoaders() {
        List<ClassLoader> own = new ArrayList<>();
        for (WeakReference<PatchClassLoader> r : made) {
            PatchClassLoader l = r.get();
            if (l != null) {
                own.add(l);
            }
        }
        return own;
    }

    /** The hidden nestmates this has defined so far, in the targets' loaders. */
    synchronized List<Class<?>> nestmates() {
        List<Class<?>> all = new ArrayList<>(forBoot.carriers.keySet());
        for (PerTarget t : unanchored.values()) {
            all.addAll(t.carriers.keySet());
        }
        for (WeakReference<Class<?>> r : anchored) {
            Class<?> anchor = r.get();
            if (anchor != null) {
                all.addAll(perTarget.get(anchor).carriers.keySet()); // present: only anchors in use are listed
            }
        }
        return all;
    }

    /** The new classes this has defined in applications' class loaders so far, each for good. */
    synchronized List<String> carried() {
        return List.copyOf(carried);
    }

    /**
     * The initialization of {@code c}, a patch class this defined for {@code targetLoader}, left to its
     * first replacement call: a hidden nestmate through the lookup its definition returned, any other
     * by its name and loader. The initializer holds nothing of this object's (it lives with the loader).
     */
    synchronized ClassInit initializationOf(Class<?> c, ClassLoader targetLoader) {
        PerTarget t = stateOf(targetLoader);
        ClassInit init = t.initializations.get(c);
        if (init == null) {
            MethodHandles.Lookup carrier = c.isHidden() ? t.carriers.get(c) : null;
            init = carrier != null ? new ClassInit(c, carrier::ensureInitialized)
                    : ClassInit.byName(c);
            t.initializations.put(c, init);
        }
        return init;
    }

    /** The full-privilege lookup of a hidden nestmate this defined for {@code targetLoader}, for its methods' handles. */
    synchronized MethodHandles.Lookup carrierLookup(Class<?> carrier, ClassLoader targetLoader) {
        return stateOf(targetLoader).carriers.get(carrier);
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
