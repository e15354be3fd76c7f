package io.jlivepatch.internal.jar;

import io.jlivepatch.internal.Sha256;

import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /** What was carried where: loader to class name to the SHA-256 of its class file and the carrying patch. Guarded by the class. */
    private static final Map<ClassLoader, Map<String, String[]>> CARRIED = new WeakHashMap<>();

    private CarriedClasses() {
    }

    /**
     * What a patch carried as {@code name} into {@code loader}: the SHA-256 of its class file and
     * the patch's name; null when no patch did. For the check at load (ClassFileCheck.checkOwnNames).
     */
    static synchronized String[] carried(ClassLoader loader, String name) {
        Map<String, String[]> here = CARRIED.get(loader);
        return here == null ? null : here.get(name);
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
    static synchronized boolean define(MethodHandles.Lookup host, String name, byte[] bytes, String patch)
            throws ReflectiveOperationException {
        ClassLoader loader = host.lookupClass().getClassLoader();
        Map<String, String[]> here = CARRIED.computeIfAbsent(loader, k -> new HashMap<>());
        String digest = Sha256.hex(bytes);
        String[] before = here.get(name);
        if (before != null) {
            if (!before[0].equals(digest)) {
                throw new IllegalStateException("class " + name + " " + carriedOtherwise(before[1]));
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
        here.put(name, new String[] {digest, patch});
        return true;
    }
}
