package io.jlivepatch.internal.transition;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The methods of a transition, for stack checks. A stack trace names a method without its
 * descriptor, so the worker matches by class and name: an overload of a patched method holds a
 * thread back too, which delays a transition but never breaks consistency.
 */
final class PatchedMethods {

    private final Map<String, Set<String>> namesByClass = new HashMap<>();
    private final Set<String> exact = new HashSet<>();

    static PatchedMethods of(java.util.List<String[]> methods) {
        PatchedMethods m = new PatchedMethods();
        for (String[] cnd : methods) {
            m.add(cnd[0], cnd[1], cnd[2]);
        }
        return m;
    }

    void add(String className, String name, String descriptor) {
        Set<String> names = namesByClass.get(className); // no lambda on the first load (issue 10)
        if (names == null) {
            names = new HashSet<>();
            namesByClass.put(className, names);
        }
        names.add(name);
        exact.add(className + "." + name + descriptor);
    }

    /** The classes whose methods these are. */
    Set<String> classNames() {
        return namesByClass.keySet();
    }

    boolean matches(String className, String name) {
        Set<String> names = namesByClass.get(className);
        return names != null && names.contains(name);
    }

    boolean matches(String className, String name, String descriptor) {
        return exact.contains(className + "." + name + descriptor);
    }
}
