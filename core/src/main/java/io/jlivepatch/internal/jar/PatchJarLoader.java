package io.jlivepatch.internal.jar;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.format.ClassDigest;
import io.jlivepatch.internal.patch.LoadedClasses;
import io.jlivepatch.internal.patch.ReplacementSource;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns a {@link PatchJar} into a patch description and its per-loader replacements. */
public final class PatchJarLoader {

    /**
     * Whether {@code loader} is a patch JAR's own loader and defined a class of binary name {@code name}
     * (see PatchClassLoader.defines): lock-free, loads nothing, never throws.
     */
    public static boolean definesOwnClass(ClassLoader loader, String name) {
        return loader instanceof PatchClassLoader own && own.defines(name);
    }


    /**
     * @param patch   the description, its methods taken from the copy for the first target loader
     * @param sources one per replacement, defining the patch class per target loader
     * @param scan    the check's look at the loaded classes of the JAR's targets, for its registration
     *                to use again while it still finds them all
     */
    public record Prepared(Patch patch, List<ReplacementSource> sources, LoadedClasses scan) {
    }

    private PatchJarLoader() {
    }

    /**
     * Whether a refused load failed because a class the patch uses could not be loaded: no class
     * loader that can load the application's classes exists yet (a Spring Boot fat JAR's launcher
     * makes its own after premain; a webapp not deployed yet), so the JAR may load once one does.
     */
    public static boolean waitsForItsLoader(PatchException e) {
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c instanceof NoClassDefFoundError || c instanceof ClassNotFoundException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The classes preparing {@code jar} defines in the application's class loader for good: its
     * {@code Livepatch-New-Classes} in the package of a nestmate's host ({@link PatchClasses}). A
     * class loader cannot forget a class, so a refusal after {@link #prepare} leaves them there.
     */
    public static List<String> carriedClasses(PatchJar jar) {
        // CarriedClasses only for a JAR with new classes: each class counts in a JVM's first load (issue 10)
        return jar.newClasses().isEmpty() ? List.of() : CarriedClasses.carriedBy(jar);
    }

    /**
     * The classes {@code jar}'s {@code @Replaces} methods target, read as {@link #prepare} reads
     * them, defining nothing; refuses ({@code INVALID_PATCH}) what prepare would refuse there.
     */
    public static Set<String> replacedClasses(PatchJar jar) throws PatchException {
        Set<String> names = new java.util.LinkedHashSet<>();
        for (ReplacesScanner.Entry e : ReplacesScanner.scanChecked(jar)) {
            names.add(e.target());
        }
        return names;
    }

    /**
     * Checks a patch JAR whole and prepares it, running none of its code: its classes are defined
     * and linked but not initialized, so a static initializer first runs when a replacement first
     * runs, after {@code enable}. Whatever fails, however, is an {@code INVALID_PATCH} refusal.
     *
     * @param jarSha256 the SHA-256 of the JAR's bytes, recorded with the classes it carries
     * @param checked   whether an enforcing trust policy checked those bytes ({@link #refuseUncheckedCarried})
     */
    public static Prepared prepare(PatchJar jar, Instrumentation inst, String jarSha256, boolean checked)
            throws PatchException {
        PatchClasses classes = new PatchClasses(jar, inst, jarSha256, checked);
        String name = Patch.isValidName(jar.name()) ? jar.name() : null;
        boolean prepared = false;
        try {
            Prepared p = checkAndPrepare(jar, inst, classes);
            prepared = true;
            return p;
        } catch (PatchException e) {
            List<String> carried = classes.carried();
            if (carried.isEmpty()) {
                throw e;
            }
            throw new PatchException(e.reason(), e.patchName(), e.getMessage() + carriedNote(carried), e.getCause());
        } catch (CarriedClasses.RaisedPolicy e) {
            throw new PatchException(Reason.UNTRUSTED, name, PatchJar.about(jar.source()) + " refused: "
                    + e.getMessage() + carriedNote(classes.carried()), e);
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            throw new PatchException(Reason.INVALID_PATCH, name, PatchJar.about(jar.source()) + " cannot be prepared: "
                    + Failures.describe(e) + carriedNote(classes.carried()), e);
        } catch (OutOfMemoryError e) {
            List<String> carried = classes.carried();
            throw new PatchException(Reason.INVALID_PATCH, name, PatchJar.about(jar.source()) + ": jlivepatch ran out"
                    + " of memory preparing it; " + (carried.isEmpty() ? "nothing was loaded and " : "")
                    + "the application runs on: give the JVM more heap or metaspace, or make the patch smaller"
                    + carriedNote(carried));
        } finally {
            if (!prepared) {
                classes.release(); // nothing registers it: what it attached to the target loaders goes now
            }
        }
    }

    /**
     * Refuses ({@code UNTRUSTED}), under an enforcing trust policy that checked {@code jar}, a JAR whose code
     * would link to a class a patch the policy never checked carried into the application (one loaded before
     * the policy was raised) into a loader its code would resolve names through now (ResolvingLoaders; every
     * loader when that is not known): signed code would run that class's unchecked code. Defines nothing: to
     * be made before {@link #prepare}. A loader that defines a target class later is judged when it does
     * (its copy keeps its own code then). {@code lead}: the refusal's start, up to " uses" ("patch JAR
     * 'x.jar' refused: its code").
     */
    public static void refuseUncheckedCarried(PatchJar jar, Instrumentation inst, String lead)
            throws PatchException {
        if (!CarriedClasses.anyUnchecked()) {
            return;
        }
        refuse(jar, CarriedClasses.uncheckedUse(jar, ResolvingLoaders.of(jar, inst)), lead);
    }

    /**
     * {@link #refuseUncheckedCarried(PatchJar, Instrumentation, String)} at the enable of a registered patch,
     * whose classes {@code sources} defined for some loaders already (ResolvingLoaders.ofRegistered: no
     * application loader is asked for a class file, as the caller holds klpMutex).
     */
    public static void refuseUncheckedCarried(PatchJar jar, Instrumentation inst, List<ReplacementSource> sources,
                                              String lead) throws PatchException {
        if (!CarriedClasses.anyUnchecked()) {
            return;
        }
        refuse(jar, CarriedClasses.uncheckedUse(jar, ResolvingLoaders.ofRegistered(jar, inst, sources)), lead);
    }

    private static void refuse(PatchJar jar, String[] use, String lead) throws PatchException {
        if (use != null) {
            throw new PatchException(Reason.UNTRUSTED, Patch.isValidName(jar.name()) ? jar.name() : null, lead
                    + " uses " + CarriedClasses.uncheckedUseMessage(use));
        }
    }

    /** Whether a patch no trust policy checked carried a class into the application: {@link #refuseUncheckedCarried} may refuse. */
    public static boolean anyUncheckedCarried() {
        return CarriedClasses.anyUnchecked();
    }

    /**
     * A trust policy raised after the load of a patch checked it (at its enable): the class files it
     * carries are code the policy verified from now on, whichever patch carried them first ({@code jar}, its
     * JAR read again, null when nothing needs it: no class no policy checked was carried), and so are those
     * its {@code sources} carry from now on; its copies for loaders that define a target class later are
     * judged as a checked patch's (PatchClasses.checkTrust).
     */
    public static void checkedLater(PatchJar jar, List<ReplacementSource> sources) {
        for (ReplacementSource s : sources) {
            if (s instanceof JarReplacementSource j) {
                j.checkedLater();
            }
        }
        if (jar != null) {
            CarriedClasses.checkedLater(jar);
        }
    }

    /**
     * What a refusal adds once preparing has defined {@code carried} for good ({@link #carriedClasses});
     * empty for none.
     */
    public static String carriedNote(List<String> carried) {
        if (carried.isEmpty()) {
            return "";
        }
        return "; but preparing the JAR, before this refusal, defined the classes it carries (" + String.join(", ",
                carried) + ") in the application's class loader, and they stay there (a class loader cannot forget"
                + " a class): loading this same JAR again uses them, and a JAR that carries other versions of them is"
                + " refused";
    }

    private static Prepared checkAndPrepare(PatchJar jar, Instrumentation inst, PatchClasses classes)
            throws PatchException {
        if (!Patch.isValidName(jar.name())) {
            throw new PatchException(Reason.INVALID_PATCH, null, PatchJar.about(jar.source()) + ": " + PatchJar.NAME
                    + " '" + jar.name() + "' is not valid: use 1 to 64 characters from [A-Za-z0-9_.-]");
        }
        List<ReplacesScanner.Entry> entries = ReplacesScanner.scanChecked(jar);
        Set<String> names = new HashSet<>();
        for (ReplacesScanner.Entry e : entries) {
            names.add(e.target());
        }
        List<CallbackScanner.Entry> callbacks = CallbackScanner.scan(jar, names);
        Set<String> defineFor = new HashSet<>(names); // the classes whose loaders get the patch's classes
        names.addAll(jar.oldDigests().keySet());
        // One scan for both: the targets' classes, and the class loaders when no target is loaded yet.
        long inFlightEpoch = LoadedClasses.inFlightEpoch(); // before the scan too: see LoadedClasses.stillComplete
        long takenAt = System.nanoTime(); // before the scan: see LoadedClasses.stillComplete
        Class<?>[] all = inst.getAllLoadedClasses();
        LoadedClasses scan = LoadedClasses.of(all, names, takenAt, inFlightEpoch);
        Map<String, List<Class<?>>> loaded = scan.classes();
        ClassLoader primary = primaryLoader(all, entries, loaded);
        checkBuiltAgainst(jar, loaded, primary);
        // before anything is defined for good: carried classes and hidden nestmates below
        // What the running classes the patch replaces, and its nestmates' hosts, name already
        Set<String> replaced = new HashSet<>(names);
        replaced.addAll(jar.nestmates().values());
        ClassFileCheck.linkAll(jar, primary, inst, replaced, loaded);
        // Every other loader that has a class the patch's classes are defined for, checked alike: before,
        // only the primary one was, and a second webapp's copy lacking a member the replacement uses
        // threw NoSuchMethodError at the first call there (LaterLoaderMembersTest). Loaders that define
        // such a class later are checked when they do (PatchClasses.checkLinks).
        Set<ClassLoader> checked = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        checked.add(primary);
        for (String cls : defineFor) {
            for (Class<?> c : loaded.getOrDefault(cls, List.of())) {
                if (checked.add(c.getClassLoader())) {
                    ClassFileCheck.linkAll(jar, c.getClassLoader(), inst, replaced, Map.of());
                }
            }
        }
        classes.checkedAtLoad(checked, replaced);
        checkLambdas(jar, primary);
        Patch.Builder builder;
        try {
            builder = Patch.builder(jar.name()).description(jar.description());
        } catch (IllegalArgumentException e) {
            throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": " + e.getMessage());
        }
        // Every refusal the JAR's bytes and the loaded classes decide comes before the first patch
        // class is loaded below: loading a nestmate defines the classes the JAR carries in the
        // application's class loader for good (PatchClasses), which such a refusal must not leave.
        List<String> descriptors = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Method standIn = standIn();
        for (ReplacesScanner.Entry e : entries) {
            String descriptor = e.descriptor().isEmpty() ? inferDescriptor(jar, e, loaded) : e.descriptor();
            if (!seen.add(e.target() + "." + e.method() + descriptor)) {
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": "
                        + e.target() + "." + e.method() + descriptor + " is replaced twice: keep one @Replaces per method");
            }
            try {
                // Patch.Replacement's checks of the target's class name and descriptor, the ones
                // builder.replace below makes, on a stand-in for the replacement not loaded yet.
                new Patch.Replacement(e.target(), e.method(), descriptor, standIn);
            } catch (IllegalArgumentException ex) {
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": "
                        + ex.getMessage());
            }
            descriptors.add(descriptor);
        }
        for (String hold : jar.holds()) {
            Patch.Hold h;
            try {
                h = Patch.Hold.parse(hold);
            } catch (IllegalArgumentException ex) {
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": "
                        + PatchJar.HOLD + ": " + ex.getMessage());
            }
            if (!seen.add(h.target())) {
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": "
                        + PatchJar.HOLD + " names " + h.target() + ", which the patch replaces or holds already:"
                        + " name each method once, and never a replaced one (it holds a thread already)");
            }
            builder.hold(h.className(), h.methodName(), h.descriptor());
        }
        try {
            for (Patch.State st : jar.states()) {
                builder.state(st.id(), st.version());
            }
        } catch (IllegalArgumentException ex) {
            throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": "
                    + PatchJar.STATES + ": " + ex.getMessage());
        }
        List<ReplacementSource> sources = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            ReplacesScanner.Entry e = entries.get(i);
            String descriptor = descriptors.get(i);
            JarReplacementSource source = new JarReplacementSource(classes, e.target(), e.patchClass(),
                    e.replacement(), e.replacementDesc(), e.nextParameters());
            Method m;
            try {
                m = source.method(primary);
            } catch (ReflectiveOperationException | LinkageError | RuntimeException ex) {
                if (ex instanceof CarriedClasses.RaisedPolicy raised) {
                    throw raised; // not the JAR's fault: refused as untrusted (prepare)
                }
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), cannotLoad(jar, e.patchClass(),
                        e.patchClass(), ex), ex);
            }
            try {
                // Left of its checks after loading: the loaded method's own public static, which
                // ReplacesScanner checked from the class file already.
                builder.replace(e.target(), e.method(), descriptor, m);
            } catch (IllegalArgumentException ex) {
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": "
                        + ex.getMessage());
            }
            sources.add(source);
        }
        for (Map.Entry<String, JarCallbacks> c : callbacks(jar, classes, callbacks, primary).entrySet()) {
            builder.callbacks(c.getKey(), c.getValue()); // one per class: the scanner refused a kind twice
        }
        if (jar.replace()) {
            builder.replaceAll();
        }
        Patch patch;
        try {
            patch = builder.build();
        } catch (IllegalArgumentException ex) {
            // Defensive: no JAR reaches it today. Each check of Patch's own is made above or by the
            // scanners first, refused naming the attribute or annotation to fix: the name (first of
            // all), at least one @Replaces (ReplacesScanner), no method replaced or held twice nor both
            // (the loops above), a callback's class (CallbackScanner: given, and one the JAR replaces
            // methods of), a state id once (PatchJar.states). So it cannot say which to fix; Patch's
            // message names what is wrong.
            throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": the patch it"
                    + " describes is not valid: " + ex.getMessage() + "; fix that in the JAR's manifest or"
                    + " annotations, or build the patch again");
        }
        Prepared prepared = new Prepared(patch, sources, scan);
        // Only once nothing refuses the JAR: a warning, never a refusal (ReplacesScanner says why).
        for (String selfCall : ReplacesScanner.selfCallWarnings(jar, entries)) {
            io.jlivepatch.internal.Log.get().log(System.Logger.Level.WARNING, "patch JAR {0}: {1}", jar.source(),
                    selfCall);
        }
        return prepared;
    }

    /**
     * A public static method to stand in for a replacement not loaded yet, so that Patch.Replacement's
     * checks of the target run before any of the JAR's classes is (a JDK method: it defines nothing).
     */
    private static Method standIn() {
        try {
            return java.util.Objects.class.getMethod("isNull", Object.class);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("java.util.Objects.isNull is missing from this JDK", e);
        }
    }

    /**
     * The class loader the patch's classes are first defined under (their types resolved through it)
     * and the running class files are read from: a loaded target's; with no target loaded, a loader
     * that can load one (Spring Boot's LaunchedClassLoader, a webapp's loader: the system class loader
     * of a fat JAR sees only the launcher), the child-most when several in one chain can; else the
     * system class loader. A class such a loader defines later is patched then, in that loader.
     * Only a loader that finds the class file itself counts: one that finds it as its parent does
     * (JDK 17's reflection DelegatingClassLoader, a child of the application's loader in any JVM that
     * called a method reflectively often; any parent-first child) would leave it to that parent to
     * define, and checked under it the patch saw none of the application's loaded classes.
     */
    static ClassLoader primaryLoader(Class<?>[] all, List<ReplacesScanner.Entry> entries,
                                             Map<String, List<Class<?>>> loaded) {
        for (ReplacesScanner.Entry e : entries) {
            List<Class<?>> l = loaded.get(e.target());
            if (l != null && !l.isEmpty()) {
                return l.get(0).getClassLoader();
            }
        }
        Set<ClassLoader> loaders = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        ClassLoader last = null;
        for (Class<?> c : all) {
            ClassLoader l = c.getClassLoader();
            // Not another patch's loader: it sees the application through its parent, which is the one.
            // A loader's classes mostly come one after the other: the set is asked once per run of them.
            if (l != null && l != last && !(l instanceof PatchClassLoader)) {
                loaders.add(l);
            }
            last = l;
        }
        for (ReplacesScanner.Entry e : entries) {
            String resource = e.target().replace('.', '/') + ".class";
            List<ClassLoader> able = new ArrayList<>();
            for (ClassLoader l : loaders) {
                if (findsItself(l, resource)) {
                    able.add(l);
                }
            }
            if (unrelated(able)) {
                // Several (webapps): one whose copy lacks the method (an older version) is not one
                // to define the patch under, since loading the patch there would load that copy.
                List<ClassLoader> declaring = new ArrayList<>();
                for (ClassLoader l : able) {
                    if (declares(l, resource, e.method(), e.descriptor())) {
                        declaring.add(l);
                    }
                }
                able = declaring.isEmpty() ? able : declaring;
            }
            ClassLoader best = null;
            for (ClassLoader l : able) {
                if (best == null || isAncestor(best, l)) {
                    best = l;
                }
            }
            if (best != null) {
                return best;
            }
        }
        return ClassLoader.getSystemClassLoader();
    }

    /**
     * Whether {@code l} finds the class file {@code resource}, and not as the URL its parent finds: under
     * the default delegation the parent then defines the class. URLs compared as text: {@link java.net.URL#equals}
     * may resolve a host name.
     */
    private static boolean findsItself(ClassLoader l, String resource) {
        try {
            java.net.URL own = l.getResource(resource);
            if (own == null) {
                return false;
            }
            ClassLoader parent = l.getParent();
            java.net.URL inherited = parent == null ? null : parent.getResource(resource);
            return inherited == null || !own.toExternalForm().equals(inherited.toExternalForm());
        } catch (RuntimeException | LinkageError e) {
            return false; // a loader of the application's that fails to answer is not the one
        }
    }

    /**
     * Whether {@code l} can load the class file {@code resource} and it declares {@code method}
     * ({@code descriptor} empty: of any descriptor), read from its bytes, nothing loaded.
     */
    private static boolean declares(ClassLoader l, String resource, String method, String descriptor) {
        byte[] bytes;
        try (java.io.InputStream in = l.getResourceAsStream(resource)) {
            if (in == null) {
                return false;
            }
            bytes = in.readAllBytes();
        } catch (java.io.IOException | RuntimeException | LinkageError e) {
            return false; // a loader of the application's that fails to answer is not the one
        }
        try {
            return scan(bytes, method, descriptor, null);
        } catch (RuntimeException e) {
            return false; // not a class file ASM reads: not a loader to prepare under
        }
    }

    /** Whether two of {@code loaders} are on different branches: neither delegates to the other. */
    private static boolean unrelated(List<ClassLoader> loaders) {
        for (ClassLoader a : loaders) {
            for (ClassLoader b : loaders) {
                if (a != b && !isAncestor(a, b) && !isAncestor(b, a)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether {@code a} is {@code b}'s parent, or its parent's, and so on. */
    private static boolean isAncestor(ClassLoader a, ClassLoader b) {
        for (ClassLoader p = b.getParent(); p != null; p = p.getParent()) {
            if (p == a) {
                return true;
            }
        }
        return false;
    }

    /** The callbacks per target class, in the order of their first annotation. */
    private static Map<String, JarCallbacks> callbacks(PatchJar jar, PatchClasses classes,
                                                       List<CallbackScanner.Entry> entries, ClassLoader primary)
            throws PatchException {
        Map<String, Map<String, JarReplacementSource>> byClass = new java.util.LinkedHashMap<>();
        for (CallbackScanner.Entry e : entries) {
            Map<String, JarReplacementSource> kinds = byClass.get(e.target());
            if (kinds == null) {
                kinds = new java.util.HashMap<>();
                byClass.put(e.target(), kinds);
            }
            JarReplacementSource source = new JarReplacementSource(classes, e.target(), e.patchClass(),
                    e.method(), CallbackScanner.DESCRIPTOR, new int[0]); // a callback has no @Next
            try {
                source.method(primary); // linked now, as a replacement is, so that enable finds no surprise
            } catch (ReflectiveOperationException | LinkageError | RuntimeException ex) {
                if (ex instanceof CarriedClasses.RaisedPolicy raised) {
                    throw raised; // not the JAR's fault: refused as untrusted (prepare)
                }
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), cannotLoad(jar, e.patchClass(),
                        e.describe(), ex), ex);
            }
            kinds.put(e.kind(), source);
        }
        Map<String, JarCallbacks> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Map<String, JarReplacementSource>> c : byClass.entrySet()) {
            out.put(c.getKey(), new JarCallbacks(c.getValue()));
        }
        return out;
    }

    /**
     * A patch made by {@code jlivepatch build} records the classes it was built against: refuse it
     * where the running classes are another version, so a patch for 1.0 never lands on 1.1. The
     * class file's own hash is compared first: when the running class file is the one the patch was
     * built against, which is the usual case, the class need not be parsed (issue 10: a first load
     * into an application defines ~90 classes fewer on JDK 17). Only a class file that differs (another version,
     * or the same sources compiled with other debug information) gets the normalized digest.
     */
    private static void checkBuiltAgainst(PatchJar jar, Map<String, List<Class<?>>> loaded, ClassLoader primary)
            throws PatchException {
        for (Map.Entry<String, String> e : jar.oldDigests().entrySet()) {
            String cls = e.getKey();
            List<ClassLoader> loaders = new ArrayList<>();
            List<Class<?>> classes = loaded.get(cls);
            if (classes != null) {
                for (Class<?> c : classes) {
                    loaders.add(c.getClassLoader());
                }
            } else {
                loaders.add(primary);
            }
            for (ClassLoader l : loaders) {
                String resource = cls.replace('.', '/') + ".class";
                byte[] running;
                String failure = "";
                try (java.io.InputStream in = l == null ? ClassLoader.getSystemResourceAsStream(resource)
                        : l.getResourceAsStream(resource)) {
                    running = in == null ? null : in.readAllBytes();
                } catch (java.io.IOException | RuntimeException ex) {
                    // The application's class loader failed, not the JAR (a closed or broken loader's
                    // getResourceAsStream may throw): say so, rather than call the JAR unreadable.
                    running = null;
                    failure = ", which failed: " + ex;
                }
                if (running == null) {
                    // A class loaded nowhere whose file no loader can read: the loader that will load
                    // it (a fat JAR's, made after premain) does not exist yet. Its cause says so, so
                    // that start-up patches and a watched directory wait for it (waitsForItsLoader).
                    throw new PatchException(Reason.SIGNATURE_MISMATCH, jar.name(), PatchJar.about(jar.source())
                            + ": it was built against a version of " + cls + " and the running application's class"
                            + " file cannot be read to check it (loader " + (l == null ? "bootstrap" : l.getName())
                            + failure + ")" + (classes == null ? ": no class loader of the application can load it"
                            + " yet" + WAIT_NOTE : ""), classes == null ? new NoClassDefFoundError(cls.replace('.', '/'))
                            : null);
                }
                if (!ClassDigest.ofFile(running).equals(jar.oldFileDigests().get(cls))
                        && !ClassDigest.of(running).equals(e.getValue())) {
                    throw new PatchException(Reason.SIGNATURE_MISMATCH, jar.name(), PatchJar.about(jar.source())
                            + ": it was built against another version of " + cls + " than the one running here:"
                            + " build the patch from the running version's sources (jlivepatch build --old <the"
                            + " running application>)");
                }
            }
        }
    }

    /**
     * Before JDK 23 a lambda whose body a generated patch carries is a MethodHandleProxies instance
     * (see Dispatch.lambda), which takes public interfaces only: refuse such a patch at load rather
     * than fail at every call.
     */
    private static void checkLambdas(PatchJar jar, ClassLoader primary) throws PatchException {
        if (Runtime.version().feature() >= 23) {
            return;
        }
        for (String carrier : jar.nestmates().keySet()) {
            List<String> interfaces;
            try {
                interfaces = lambdaInterfaces(jar.classes().get(carrier.replace('.', '/')));
            } catch (RuntimeException | StackOverflowError e) {
                throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": the"
                        + " code of " + carrier + " cannot be read: " + Failures.describe(e)
                        + "; build the patch again", e);
            }
            for (String intf : interfaces) {
                try {
                    Class<?> c = Class.forName(intf, false, primary);
                    if (!java.lang.reflect.Modifier.isPublic(c.getModifiers())) {
                        throw new PatchException(Reason.INVALID_PATCH, jar.name(), PatchJar.about(jar.source()) + ": "
                                + carrier + " makes a lambda of the non-public interface " + intf + ", which this JDK ("
                                + Runtime.version().feature() + ") cannot do for a patch (JDK 23 can): make the"
                                + " interface public, or use a named class instead of the lambda");
                    }
                } catch (ClassNotFoundException | LinkageError e) {
                    // not visible from here: the lambda fails when it runs, with the JVM's own error
                }
            }
        }
    }

    /** The interfaces of the lambdas a carrier makes through Dispatch. */
    private static List<String> lambdaInterfaces(byte[] bytes) {
        List<String> interfaces = new ArrayList<>();
        scan(bytes, null, null, interfaces);
        return interfaces;
    }

    /**
     * One pass over a class file (one visitor class for both uses: a first load into an application
     * defines as few of jlivepatch's classes as it can, FootprintIT): whether it declares
     * {@code method} ({@code descriptor} empty: any), and, when {@code interfaces} is given, the
     * interfaces of the lambdas its code makes through Dispatch.
     */
    private static boolean scan(byte[] bytes, String method, String descriptor, List<String> interfaces) {
        boolean[] found = {false};
        new ClassReader(bytes).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String signature,
                                             String[] exceptions) {
                if (name.equals(method) && (descriptor.isEmpty() || desc.equals(descriptor))) {
                    found[0] = true;
                }
                return interfaces == null ? null : new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitInvokeDynamicInsn(String indyName, String indyDesc, org.objectweb.asm.Handle bsm,
                                                       Object... args) {
                        if (bsm.getOwner().equals("io/jlivepatch/internal/bootstrap/Dispatch")
                                && bsm.getName().endsWith("ambda")) {
                            interfaces.add(Type.getReturnType(indyDesc).getClassName());
                        }
                    }
                };
            }
        }, interfaces == null ? ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES
                : ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return found[0];
    }

    /** The descriptor of a {@code @Replaces} that gives none. */
    private static String inferDescriptor(PatchJar jar, ReplacesScanner.Entry e, Map<String, List<Class<?>>> loaded)
            throws PatchException {
        List<Class<?>> classes = loaded.get(e.target());
        String where = PatchJar.about(jar.source()) + ": @Replaces(target = \"" + e.target() + "\", method = \""
                + e.method() + "\")";
        if (classes != null && !classes.isEmpty()) {
            // Every loaded copy counts (bundle versions, webapps): the method is the one the copies
            // that declare it agree on; a copy that lacks it is then refused by name at registration.
            Set<String> candidates = new java.util.LinkedHashSet<>();
            List<String> loaders = new ArrayList<>();
            for (Class<?> c : classes) {
                loaders.add(io.jlivepatch.internal.patch.LoaderNames.of(c.getClassLoader()));
                for (Method m : c.getDeclaredMethods()) {
                    if (m.getName().equals(e.method()) && !m.isSynthetic() && !m.isBridge()) {
                        candidates.add(Type.getMethodDescriptor(m));
                    }
                }
            }
            if (candidates.size() == 1) {
                return candidates.iterator().next();
            }
            if (candidates.isEmpty()) {
                throw new PatchException(Reason.TARGET_NOT_FOUND, jar.name(), where + ": " + e.target()
                        + " declares no method named " + e.method() + (classes.size() == 1 ? ""
                        : " in any of its class loaders (" + String.join(", ", loaders) + ")") + "; check method = in"
                        + " @Replaces against the class the application runs, or name as target = the class that"
                        + " declares the method (an inherited one is patched where it is declared)");
            }
            throw new PatchException(Reason.INVALID_PATCH, jar.name(), where + " is ambiguous: " + e.target()
                    + " declares " + candidates + "; add descriptor = one of them");
        }
        String ambiguous = readingWhenUnloaded(e);
        if (ambiguous != null) {
            io.jlivepatch.internal.Log.get().log(System.Logger.Level.WARNING, "patch JAR {0}: {1}", jar.source(),
                    ambiguous);
        }
        return descriptorWhenUnloaded(e);
    }

    /**
     * The target's descriptor read from the replacement's when the target class is loaded nowhere:
     * an instance method's when the first parameter is the target class itself, else a static one's.
     */
    static String descriptorWhenUnloaded(ReplacesScanner.Entry e) {
        Type[] args = Type.getArgumentTypes(e.replacementDesc());
        if (e.next()) {
            args = java.util.Arrays.copyOf(args, args.length - 1); // @Next: not one of the target's
        }
        Type ret = Type.getReturnType(e.replacementDesc());
        boolean instance = args.length > 0 && args[0].getSort() == Type.OBJECT
                && args[0].getClassName().equals(e.target());
        Type[] targetArgs = instance ? java.util.Arrays.copyOfRange(args, 1, args.length) : args;
        return Type.getMethodDescriptor(ret, targetArgs);
    }

    /**
     * For a replacement without a descriptor whose target class is loaded nowhere: what to say when
     * its reading could be wrong (its first parameter is another reference type than the target, so
     * a receiver typed as a supertype reads as a static method's first parameter, and the class,
     * once defined, may declare no such method); null when it cannot be.
     */
    public static String readingWhenUnloaded(ReplacesScanner.Entry e) {
        if (!e.descriptor().isEmpty()) {
            return null;
        }
        Type[] args = Type.getArgumentTypes(e.replacementDesc());
        if (args.length == 0 || (args[0].getSort() != Type.OBJECT && args[0].getSort() != Type.ARRAY)
                || args[0].getClassName().equals(e.target()) || (e.next() && args.length == 1)) {
            return null;
        }
        return "@Replaces(target = \"" + e.target() + "\", method = \"" + e.method() + "\") gives no descriptor and "
                + e.target() + " is loaded nowhere yet, so it is read as the static method " + e.method()
                + descriptorWhenUnloaded(e) + "; if the target is an instance method, add descriptor = its descriptor"
                + " to @Replaces (or type the receiver as " + e.target() + "), else the function fails when the class"
                + " is defined";
    }

    /** Why {@code what}, a method of {@code patchClass}, could not be loaded: {@code ex}, in a patch author's words. */
    private static String cannotLoad(PatchJar jar, String patchClass, String what, Throwable ex) {
        if (ex instanceof NoClassDefFoundError && jar.nestmates().containsKey(patchClass)
                && patchClass.equals(String.valueOf(ex.getMessage()).replace('/', '.'))) {
            // Only the class constant this_class means a hidden class; a descriptor naming it asks the
            // target's loader for a class of that name, which it does not have.
            return PatchJar.about(jar.source()) + ": " + what + " cannot be loaded: " + patchClass + " is defined as a"
                    + " hidden nestmate (Livepatch-Nestmates), and a hidden class cannot be found by its name: keep"
                    + " that name out of its methods' parameter and return types and its fields' types (use Object"
                    + " there and cast), and out of its lambdas and method references; new, casts and "
                    + patchClass.substring(patchClass.lastIndexOf('.') + 1) + ".class inside it work";
        }
        return PatchJar.about(jar.source()) + ": " + what + " cannot be loaded (" + Failures.describe(ex) + "); every"
                + " type it uses must be in the JAR, in the JDK or visible to the target's class loader"
                + (ex instanceof NoClassDefFoundError || ex instanceof ClassNotFoundException ? WAIT_NOTE : "");
    }

    /**
     * What a refusal for a class no loader can load yet adds: the start-up directory and a watch take
     * such a refusal as a wait ({@link #waitsForItsLoader}), and their next line says so. It says who
     * acts: a start-up or watched patch's operator has nothing to do (it said "load it again then" to
     * all, sending them to load what would load by itself), only a 'jlivepatch load' is run again.
     */
    private static final String WAIT_NOTE = ". If the application's class loader that has it is made after"
            + " start-up (a Spring Boot fat JAR's, an application server's), a start-up directory or a watched one"
            + " loads the patch as soon as one can (nothing to do); a 'jlivepatch load' must be run again then";
}
