package io.jlivepatch.internal.transition;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The methods of a transition, for stack checks. A stack trace names a method without its
 * descriptor, so the worker matches by class and name: an overload of a patched method holds a
 * thread back too, which delays a transition but never breaks consistency.
 *
 * <p>Also the patches' own code (their replacements, by class and name), for status only: what,
 * under the method that holds a thread, keeps it there when that is a patch's code rather than the
 * application's ({@link #inside}).
 */
final class PatchedMethods {

    /** {@code ShadowStore.construct} runs a shadow variable's ctor (PatchCallbacks.heldHere reads it so too). */
    private static final String SHADOW_STORE = "io.jlivepatch.internal.bootstrap.ShadowStore";
    /** Where {@code ShadowStore.attach} waits for another thread's ctor of the same variable. */
    private static final String SHADOW_ENTRY = SHADOW_STORE + "$Entry";

    private final Map<String, Set<String>> namesByClass = new HashMap<>();
    private final Set<String> exact = new HashSet<>();
    /** Replacement class, method name, the patch whose replacement it is (the first registered, if several). */
    private final Map<String, Map<String, String>> code = new HashMap<>();

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

    /** Records that {@code className.name} is a replacement of patch {@code patch}. */
    void addCode(String className, String name, String patch) {
        Map<String, String> names = code.get(className);
        if (names == null) {
            names = new HashMap<>();
            code.put(className, names);
        }
        names.putIfAbsent(name, patch);
    }

    /**
     * What of a patch's code holds a thread inside the method of its frame {@code held}, or {@code ""}:
     * the innermost of a patch class's static initializer ({@code the static initializer of fix.C (patch
     * 'P')}), a shadow variable's ctor or a wait for another thread's (named with the replacement that
     * asked, when one did), a replacement ({@code the replacement fix.C.m (patch 'P')}). The frames are
     * {@code stack}'s, or, when it is null, {@code frames} ({class, method} from the JDK's thread dump),
     * innermost first. Reads only the frames inside the held one, which the caller's search for it has
     * walked already: a prefix test and a hash lookup or two per frame, nothing allocated until something
     * is found (but a substring for a hidden class's frame).
     */
    String inside(StackTraceElement[] stack, java.util.List<String[]> frames, int held) {
        String shadow = null;
        for (int i = 0; i < held; i++) {
            String cls = stack != null ? stack[i].getClassName() : frames.get(i)[0];
            String name = stack != null ? stack[i].getMethodName() : frames.get(i)[1];
            if (shadow == null && cls.startsWith(SHADOW_STORE)) {
                if (cls.equals(SHADOW_STORE) && name.equals("construct")) {
                    shadow = "the ctor of a shadow variable (Shadow.getOrAttach or attach)";
                } else if (cls.equals(SHADOW_ENTRY) && name.equals("awaitSettled")) {
                    shadow = "Shadow.getOrAttach or attach, waiting for another thread's ctor of that variable";
                }
                continue;
            }
            Map<String, String> names = code.get(binaryName(cls));
            if (names == null) {
                continue;
            }
            if (shadow == null && name.equals("<clinit>")) {
                return "the static initializer of " + cls + " (patch '" + names.values().iterator().next() + "')";
            }
            String patch = names.get(name);
            if (patch != null) {
                String replacement = "the replacement " + cls + "." + name + " (patch '" + patch + "')";
                return shadow == null ? replacement : shadow + ", from " + replacement;
            }
        }
        return shadow == null ? "" : shadow;
    }

    /** A hidden class's frame names it {@code fix.C/0x...}: the copy of a patch class defined as one (nestmates). */
    private static String binaryName(String cls) {
        int slash = cls.indexOf('/');
        return slash < 0 ? cls : cls.substring(0, slash);
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
