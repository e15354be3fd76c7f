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

    /**
     * What was carried where: loader to class name to what carried it. Guarded by the class. Keyed weakly, and
     * nothing in a record reaches its loader: a loader collected (a webapp redeployed) takes its records, and
     * with them what was checked there and the names its classes link to, along (CarriedRecordsTest).
     */
    private static final Map<ClassLoader, Map<String, Carrier>> CARRIED = new WeakHashMap<>();
    /**
     * Guarded by the class. At least how many of CARRIED's records hold their class file as unchecked (their
     * own flag, whether or not a checked copy of the bytes in another loader vouches for them now): none, the
     * usual case, costs {@link #uncheckedUse} nothing. Counted again when a class file becomes checked and
     * whenever {@link #anyUnchecked} asks while above zero: a loader gone takes its records along without a
     * word, those it held checked too, and the copies they vouched for are unchecked again (so not a count of
     * the records no copy vouches for: one that fell to zero while a checked copy vouched would stay there).
     */
    private static int unchecked;

    /**
     * One carried class: the SHA-256 of its class file, the patch (name, JAR SHA-256) that carried it first,
     * the classes its class file makes its loader find (binary names, sorted): what a use of it runs on, and
     * whether a patch JAR that a trust policy checked carried those very bytes here (at its load, or at its
     * enable under a policy raised after its load). Checked bytes are code the policy verified wherever they
     * are carried, while one live loader holds them so (checkedDigests). A JVM's policy is raised once at
     * most, from none to a store, and never replaced (TrustPolicy.install): checked by one is checked by the
     * current one.
     */
    private record Carrier(String digest, String patch, String jarSha256, String[] names, boolean checked) {
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
     * carried first is recorded nowhere as its carrier (UncheckedCarrierTest). Bytes carried nowhere yet
     * are recorded when the JAR carries them (PatchClasses.checkedLater makes its defines checked ones).
     */
    static void checkedLater(PatchJar jar) {
        Set<String> digests = new HashSet<>();
        for (String nc : jar.newClasses().isEmpty() ? List.<String>of() : carriedBy(jar)) {
            byte[] bytes = jar.classes().get(nc.replace('.', '/'));
            if (bytes != null) {
                digests.add(Sha256.hex(bytes));
            }
        }
        if (digests.isEmpty()) {
            return;
        }
        synchronized (CarriedClasses.class) {
            boolean more = false;
            for (Map<String, Carrier> here : CARRIED.values()) {
                for (Map.Entry<String, Carrier> e : here.entrySet()) {
                    Carrier c = e.getValue();
                    if (!c.checked() && digests.contains(c.digest())) {
                        e.setValue(checkedCopy(c));
                        more = true;
                    }
                }
            }
            if (more) {
                countUnchecked();
            }
        }
    }

    private static Carrier checkedCopy(Carrier c) {
        return new Carrier(c.digest(), c.patch(), c.jarSha256(), c.names(), true);
    }

    /** Whether a class no trust policy checked was carried (a patch JAR loaded before the policy was raised). */
    static synchronized boolean anyUnchecked() {
        // records of loaders gone went without a word, and with them checked copies that vouched for others
        return unchecked > 0 && countUnchecked() > 0;
    }

    /** The SHA-256 of the class files a checked JAR carried into a loader alive still. Caller holds the class's lock. */
    private static Set<String> checkedDigests() {
        Set<String> checked = new HashSet<>();
        for (Map<String, Carrier> here : CARRIED.values()) {
            for (Carrier c : here.values()) {
                if (c.checked()) {
                    checked.add(c.digest());
                }
            }
        }
        return checked;
    }

    /**
     * For tests (CarriedRecordsTest): how many records of loaders alive hold a carried class of class file
     * {@code digest}, and how many of those hold it as checked.
     */
    static synchronized int[] recordsOf(String digest) {
        int[] n = new int[2];
        for (Map<String, Carrier> here : CARRIED.values()) {
            for (Carrier c : here.values()) {
                if (c.digest().equals(digest)) {
                    n[0]++;
                    n[1] += c.checked() ? 1 : 0;
                }
            }
        }
        return n;
    }

    /**
     * Counts the records that hold their class file as unchecked ({@link #unchecked}); returns how many of them
     * no checked copy of the same bytes in a loader alive vouches for. Caller holds the class's lock.
     */
    private static int countUnchecked() {
        Set<String> checked = checkedDigests();
        int flagged = 0;
        int bare = 0;
        for (Map<String, Carrier> here : CARRIED.values()) {
            for (Carrier c : here.values()) {
                if (!c.checked()) {
                    flagged++;
                    bare += checked.contains(c.digest()) ? 0 : 1;
                }
            }
        }
        unchecked = flagged;
        return bare;
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
     * <p>Only a class carried into a loader the JAR's code resolves names through counts ({@code through},
     * ResolvingLoaders: the targets' loaders and their ancestors, known before anything of the JAR is
     * defined): a class carried unchecked into webapp A's loader is no use of a patch of webapp B's, whose
     * code can never resolve it. A carried class's own names resolve through the loader it was carried into,
     * one of those already. {@code through} null (not known: a loader that may delegate otherwise than parent
     * first) counts every loader. Nothing is read unless a class no policy checked was carried
     * ({@link #anyUnchecked}).
     */
    static String[] uncheckedUse(PatchJar jar, Set<ClassLoader> through) {
        return anyUnchecked() ? uncheckedUse(Uses.of(jar), through) : null;
    }

    /** {@link #uncheckedUse(PatchJar, Set)} of what {@link Uses#of} read from the JAR. */
    static String[] uncheckedUse(Uses uses, Set<ClassLoader> through) {
        synchronized (CarriedClasses.class) {
            return uncheckedBehind(uses.named(), uses.own(), through);
        }
    }

    /**
     * What a JAR's code names that is not its own (binary names, sorted: one answer whatever the JAR's
     * order), and the SHA-256 of the class files it carries (its signer's code wherever they are).
     */
    record Uses(List<String> named, Set<String> own) {

        static Uses of(PatchJar jar) {
            List<String> carries = jar.newClasses().isEmpty() ? List.of() : carriedBy(jar);
            List<String> named = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : jar.classes().entrySet()) {
                String cls = e.getKey().replace('/', '.');
                // a hidden nestmate and a carried class resolve names through the target's loader; a class of
                // the JAR's own loader finds the JAR's classes first
                boolean outside = jar.nestmates().containsKey(cls) || carries.contains(cls);
                for (String n : ClassFileCheck.namedClasses(e.getValue())) {
                    String name = n.replace('/', '.');
                    if (!carries.contains(name) && (outside || !jar.classes().containsKey(n))
                            && !named.contains(name)) {
                        named.add(name);
                    }
                }
            }
            named.sort(null);
            Set<String> own = new HashSet<>();
            for (String nc : carries) {
                byte[] bytes = jar.classes().get(nc.replace('.', '/'));
                if (bytes != null) {
                    own.add(Sha256.hex(bytes));
                }
            }
            return new Uses(List.copyOf(named), Set.copyOf(own));
        }
    }

    /**
     * The first of {@code named}, or of the classes the checked carried classes among them link to, and so
     * on, that a patch no policy checked carried into one of {@code through} (null: any loader): {the path
     * of classes to it joined with ", whose code uses class ", carrying patch, its JAR's SHA-256}; null when
     * there is none. A checked class file vouches for its own code only: what its names resolve to is what
     * its loader has under them, which in an application's loader may be a class an unchecked patch carried
     * beside the same bytes. A class of the very bytes of a class file in {@code own} (those the JAR carries)
     * is its signer's code, as a direct use's identical copy is. Breadth first, so that the class named
     * directly is the one given when there is one. Caller holds the class's lock.
     */
    private static String[] uncheckedBehind(List<String> named, Set<String> own, Set<ClassLoader> through) {
        Set<String> checked = checkedDigests();
        List<Map<String, Carrier>> reached = new ArrayList<>();
        for (Map.Entry<ClassLoader, Map<String, Carrier>> e : CARRIED.entrySet()) {
            if (through == null || through.contains(e.getKey())) {
                reached.add(e.getValue());
            }
        }
        Map<String, String> from = new HashMap<>(); // a class reached through a carried one: that one
        Set<String> seen = new HashSet<>(named);
        java.util.ArrayDeque<String> next = new java.util.ArrayDeque<>(named);
        while (!next.isEmpty()) {
            String name = next.poll();
            for (Map<String, Carrier> here : reached) {
                Carrier c = here.get(name);
                if (c != null && !checked.contains(c.digest()) && !own.contains(c.digest())) {
                    String path = name;
                    for (String by = from.get(name); by != null; by = from.get(by)) {
                        path = by + ", whose code uses class " + path;
                    }
                    return new String[] {path, c.patch(), c.jarSha256()};
                }
            }
            for (Map<String, Carrier> here : reached) {
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
            if (checked && !before.checked()) {
                here.put(name, checkedCopy(before));
                countUnchecked(); // the same bytes, carried before by a JAR nothing checked, are verified code now
            }
            return false;
        }
        if (!checked && io.jlivepatch.internal.trust.TrustPolicy.current().enforced()) {
            // Read under the class's lock, as every check of a signed patch's uses (uncheckedUse) is: a check that
            // saw the policy enforced and found nothing carried is before this define, so this read sees the raise.
            // Past that check, a signed patch's code resolves the name when it first runs, to this class.
            throw new RaisedPolicy("class " + name + " was not carried: this JVM's trust policy was raised while"
                    + " patch '" + patch + "' was being loaded or linked, and no policy checked its JAR; a class loader"
                    + " cannot forget a class, so none is carried unchecked once a policy is enforced: load it again,"
                    + " signed");
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
        here.put(name, new Carrier(digest, patch, jarSha256, linked(name, bytes), checked));
        if (!checked) {
            // one more held unchecked; a checked copy of its bytes elsewhere may vouch for it (anyUnchecked asks)
            unchecked++;
        }
        return true;
    }

    /** A class no policy checked refused its carrying: the trust policy was raised after its JAR's check (UNTRUSTED). */
    static final class RaisedPolicy extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        RaisedPolicy(String message) {
            super(message);
        }
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
