package io.jlivepatch.internal.jar;

import io.jlivepatch.internal.Sha256;

import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The classes patches carried into applications' class loaders ({@code Livepatch-New-Classes}).
 * A class loader cannot forget a class, so a carried class stays after its patch is gone; a later
 * patch may use it again only if it carries the very same class, never silently another version.
 * "The very same" is the same class file byte for byte: the normalized digest ({@code ClassDigest.of})
 * is equal for classes that differ (debug data, and it is a text rendering, not built to resist a
 * class made to match another), and a class taken for another runs code its patch did not ship.
 */
final class CarriedClasses {

    /** What was carried where: loader to class name to what carried it. Guarded by the class. */
    private static final Map<ClassLoader, Map<String, Carrier>> CARRIED = new WeakHashMap<>();
    /**
     * Guarded by the class. The SHA-256 of the carried class files a patch JAR that a trust policy checked
     * carried (at its load, or at its enable under a policy raised after its load): code the policy verified,
     * whichever patch defined it in whichever loader. A JVM's policy is raised once at most, from none to a
     * store, and never replaced (TrustPolicy.install): checked by one is checked by the current one.
     */
    private static final Set<String> CHECKED = new HashSet<>();
    /**
     * Guarded by the class. How many of CARRIED's classes are not CHECKED: none, the usual case, costs
     * {@link #uncheckedUse} nothing. Counted again when CHECKED grows; a loader gone takes its records along
     * and leaves the count as it was, which only makes a check look and find nothing.
     */
    private static int unchecked;

    /**
     * One carried class: the SHA-256 of its class file, the patch (name, JAR SHA-256) that carried it first,
     * and the classes its class file makes its loader find (binary names, sorted): what a use of it runs on.
     */
    private record Carrier(String digest, String patch, String jarSha256, String[] names) {
    }

    private CarriedClasses() {
    }

    /**
     * What a patch carried as {@code name} into {@code loader}: the SHA-256 of its class file and
     * the patch's name; null when no patch did. For the check at load (ClassFileCheck.checkOwnNames).
     */
    static synchronized String[] carried(ClassLoader loader, String name) {
        Map<String, Carrier> here = CARRIED.get(loader);
        Carrier c = here == null ? null : here.get(name);
        return c == null ? null : new String[] {c.digest(), c.patch()};
    }

    /**
     * The trust policy raised after {@code jar}'s load checked it (at its enable): the class files it
     * carries, wherever they are defined and whichever patch carried them first, are code the policy
     * verified, as define makes them for a JAR checked at its load. By their bytes, not by the carrier a
     * class was recorded with: a JAR registered before the raise whose class file an unchecked patch had
     * carried first is recorded nowhere as its carrier (UncheckedCarrierTest).
     */
    static void checkedLater(PatchJar jar) {
        List<String> digests = new ArrayList<>();
        for (String nc : jar.newClasses().isEmpty() ? List.<String>of() : carriedBy(jar)) {
            byte[] bytes = jar.classes().get(nc.replace('.', '/'));
            if (bytes != null) {
                digests.add(Sha256.hex(bytes));
            }
        }
        synchronized (CarriedClasses.class) {
            if (CHECKED.addAll(digests)) {
                countUnchecked();
            }
        }
    }

    /** Whether a class no trust policy checked was carried (a patch JAR loaded before the policy was raised). */
    static synchronized boolean anyUnchecked() {
        return unchecked > 0;
    }

    /** Caller holds the class's lock. */
    private static void countUnchecked() {
        int n = 0;
        for (Map<String, Carrier> here : CARRIED.values()) {
            for (Carrier c : here.values()) {
                if (!CHECKED.contains(c.digest())) {
                    n++;
                }
            }
        }
        unchecked = n;
    }

    /**
     * Under an enforcing trust policy, the first class {@code jar}'s code would link to that a patch no
     * trust policy checked carried into an application's class loader (one loaded before the policy was
     * raised): {class, carrying patch, its JAR's SHA-256}; null when there is none. A class loader cannot
     * forget a class, so such a class outlives its patch, and a signed patch naming it ran code nobody
     * checked while the records named the signed JAR only (UncheckedCarrierTest).
     *
     * <p>A class the JAR carries itself is not such a use: the JAR's own copy must be byte for byte the
     * class defined already, or it is refused (define, ClassFileCheck.checkOwnNames), so the code that runs
     * is the code the JAR's signer signed. That reuse is allowed on purpose: the policy verifies code, and
     * this is exactly the verified code; what the class's statics hold was set by code that ran before the
     * policy was raised, which no refusal now could undo, as it cannot undo a patch enabled before then.
     * Nor is a class of the JAR's own class loader, for that loader's classes: they find the JAR's first.
     *
     * <p>Every loader counts, not only those of the JAR's targets: which loader resolves a name is known
     * only once the JAR's classes are defined, which must not happen before the refusal. Nothing is read
     * unless a class no policy checked was carried ({@link #anyUnchecked}).
     */
    static String[] uncheckedUse(PatchJar jar) {
        if (!anyUnchecked()) {
            return null;
        }
        List<String> carries = jar.newClasses().isEmpty() ? List.of() : carriedBy(jar);
        List<String> named = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : jar.classes().entrySet()) {
            String cls = e.getKey().replace('/', '.');
            // a hidden nestmate and a carried class resolve names through the target's loader; a class of
            // the JAR's own loader finds the JAR's classes first
            boolean outside = jar.nestmates().containsKey(cls) || carries.contains(cls);
            for (String n : ClassFileCheck.namedClasses(e.getValue())) {
                String name = n.replace('/', '.');
                if (!carries.contains(name) && (outside || !jar.classes().containsKey(n)) && !named.contains(name)) {
                    named.add(name);
                }
            }
        }
        named.sort(null); // one answer whatever the JAR's order
        Set<String> own = new HashSet<>(); // the class files the JAR carries: its signer's code wherever they are
        for (String nc : carries) {
            byte[] bytes = jar.classes().get(nc.replace('.', '/'));
            if (bytes != null) {
                own.add(Sha256.hex(bytes));
            }
        }
        synchronized (CarriedClasses.class) {
            return uncheckedBehind(named, own);
        }
    }

    /**
     * The first of {@code named}, or of the classes the checked carried classes among them link to, and so
     * on, that a patch no policy checked carried: {the path of classes to it joined with ", whose code uses
     * class ", carrying patch, its JAR's SHA-256}; null when there is none. A checked class file vouches for
     * its own code only: what its names resolve to is what its loader has under them, which in an
     * application's loader may be a class an unchecked patch carried beside the same bytes. A class of the
     * very bytes of a class file in {@code own} (those the JAR carries) is its signer's code, as a direct use's
     * identical copy is. Breadth first, so that the class named directly is the one given when there is one.
     * Caller holds the class's lock.
     */
    private static String[] uncheckedBehind(List<String> named, Set<String> own) {
        Map<String, String> from = new HashMap<>(); // a class reached through a carried one: that one
        Set<String> seen = new HashSet<>(named);
        java.util.ArrayDeque<String> next = new java.util.ArrayDeque<>(named);
        while (!next.isEmpty()) {
            String name = next.poll();
            for (Map<String, Carrier> here : CARRIED.values()) {
                Carrier c = here.get(name);
                if (c != null && !CHECKED.contains(c.digest()) && !own.contains(c.digest())) {
                    String path = name;
                    for (String by = from.get(name); by != null; by = from.get(by)) {
                        path = by + ", whose code uses class " + path;
                    }
                    return new String[] {path, c.patch(), c.jarSha256()};
                }
            }
            for (Map<String, Carrier> here : CARRIED.values()) {
                Carrier c = here.get(name);
                if (c != null) {
                    for (String n : c.names()) {
                        if (seen.add(n)) {
                            from.put(n, name);
                            next.add(n);
                        }
                    }
                }
            }
        }
        return null;
    }

    /** What {@link #uncheckedUse} found, for a refusal: the part after "its code uses". */
    static String uncheckedUseMessage(String[] use) {
        return "class " + use[0] + ", which patch '" + use[1] + "' (JAR SHA-256 " + use[2] + ") carried into the"
                + " application's class loader unchecked (loaded before this JVM's trust policy was raised), and a"
                + " class loader cannot forget a class: nothing was changed; restart the JVM to be rid of that class,"
                + " or, if its bytes are acceptable, carry the identical class file in this JAR ("
                + PatchJar.NEW_CLASSES + ") and sign it";
    }

    /**
     * The package of a binary name, null for the unnamed package: a new class is carried only into
     * the package of a nestmate's host (PatchClasses), never into the unnamed one.
     */
    static String packageOf(String binaryName) {
        int dot = binaryName.lastIndexOf('.');
        return dot < 0 ? null : binaryName.substring(0, dot);
    }

    /**
     * The packages of the classes {@code Livepatch-Nestmates} names as hosts, each once: the only
     * packages a new class of the JAR is carried into.
     */
    static List<String> hostPackages(PatchJar jar) {
        List<String> packages = new ArrayList<>();
        for (String host : jar.nestmates().values()) {
            String pkg = packageOf(host);
            if (pkg != null && !packages.contains(pkg)) {
                packages.add(pkg);
            }
        }
        return packages;
    }

    /**
     * The {@code Livepatch-New-Classes} that preparing {@code jar} carries into the application's
     * class loader for good (PatchClasses defines them with a host's lookup): those in a host's package.
     */
    static List<String> carriedBy(PatchJar jar) {
        List<String> hosts = hostPackages(jar);
        List<String> carried = new ArrayList<>();
        for (String nc : jar.newClasses()) {
            if (hosts.contains(packageOf(nc))) {
                carried.add(nc);
            }
        }
        return carried;
    }

    /** Why a new class that {@code patch} carried as another class file cannot be carried again: the message's end. */
    static String carriedOtherwise(String patch) {
        return "was carried into the application's class loader by patch '" + patch + "' as another class file, and"
                + " a class loader cannot replace a class: give the new class another name in the fixed build";
    }

    /**
     * Defines new class {@code name} in the host's loader and package, once: returns false when a
     * patch carried the very same class file there already, and refuses another version or a class
     * the application has.
     */
    static synchronized boolean define(MethodHandles.Lookup host, String name, byte[] bytes, String patch,
                                       String jarSha256, boolean checked) throws ReflectiveOperationException {
        ClassLoader loader = host.lookupClass().getClassLoader();
        Map<String, Carrier> here = CARRIED.computeIfAbsent(loader, k -> new HashMap<>());
        String digest = Sha256.hex(bytes);
        Carrier before = here.get(name);
        if (before != null) {
            if (!before.digest().equals(digest)) {
                throw new IllegalStateException("class " + name + " " + carriedOtherwise(before.patch()));
            }
            if (checked && CHECKED.add(digest)) {
                countUnchecked(); // the same bytes, carried before by a JAR nothing checked, are verified code now
            }
            return false;
        }
        boolean present;
        try {
            Class.forName(name, false, loader);
            present = true;
        } catch (ClassNotFoundException e) {
            present = false;
        }
        if (present) {
            throw new IllegalStateException("class " + name + ", which the patch carries as new, already exists in"
                    + " the running application: the patch was built against another version");
        }
        host.defineClass(bytes);
        here.put(name, new Carrier(digest, patch, jarSha256, linked(name, bytes)));
        if (checked && CHECKED.add(digest)) {
            countUnchecked(); // copies of these bytes in other loaders are verified code now too
        } else if (!CHECKED.contains(digest)) {
            unchecked++;
        }
        return true;
    }

    /** The classes the class file of {@code name} makes its loader find but itself: binary names, sorted. */
    private static String[] linked(String name, byte[] bytes) {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        for (String n : ClassFileCheck.namedClasses(bytes)) {
            names.add(n.replace('/', '.'));
        }
        names.remove(name);
        return names.toArray(new String[0]);
    }
}
