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
 * <p>Also the patches' own code, for status only: their replacements (by class and name), and every
 * class a patch JAR's own loader defined (by the loader's name, {@code jlivepatch:<patch>}): what,
 * under the method that holds a thread, keeps it there when that is a patch's code rather than the
 * application's ({@link #inside}).
 */
final class PatchedMethods {

    /** {@code ShadowStore.construct} runs a shadow variable's ctor (PatchCallbacks.heldHere reads it so too). */
    private static final String SHADOW_STORE = "io.jlivepatch.internal.bootstrap.ShadowStore";
    /** Where {@code ShadowStore.attach} waits for another thread's ctor of the same variable. */
    private static final String SHADOW_ENTRY = SHADOW_STORE + "$Entry";
    /**
     * The class of the copy of a method's original code that {@code @Next} runs (OriginalCopy, a hidden
     * class {@code com.acme.Files$$JlpOriginal/0x...}), and its one method: a thread there runs the
     * application's code, as it does when {@code @Next} passes through the hooked method itself.
     */
    private static final String ORIGINAL_COPY = "$$JlpOriginal";
    private static final String ORIGINAL_METHOD = "original";
    /** A patch JAR's classes are defined by a loader named {@code jlivepatch:<patch>} (PatchClassLoader). */
    private static final String PATCH_LOADER = "jlivepatch:";
    /** Where {@link #code} keeps every patch of a class: no replacement has this name. */
    private static final String CLINIT = "<clinit>";

    private final Map<String, Set<String>> namesByClass = new HashMap<>();
    private final Set<String> exact = new HashSet<>();
    /**
     * Replacement class (a hidden one's binary name, without its {@code /0x...}), method name, the patches
     * whose replacement it is; under {@link #CLINIT} every patch with a replacement in the class. Several
     * patches when they share the name: {@code jlivepatch build} names every patch's class for
     * {@code com.acme.Files} {@code com.acme.Files$$Livepatch}, so stacked and cumulative patches of one
     * class do. Which of them a frame is, only its class loader's name can tell ({@link #patchOf}).
     */
    private final Map<String, Map<String, String[]>> code = new HashMap<>();
    /** Whether a replacement of {@link #code} is a hidden class's (Livepatch-Nestmates). */
    private boolean hidden;
    /**
     * A hidden replacement class's whole name, {@code fix.C/0x...}, to its patch: the copy the registry
     * names is one patch's alone, where its binary name may be several patches'.
     */
    private final Map<String, String> hiddenOwner = new HashMap<>();
    /** The binary names (no {@code /0x...}) of the hidden replacement classes of {@link #code}. */
    private final Set<String> hiddenClasses = new HashSet<>();
    /** The patches whose code {@link #code} has: a frame of a class their JAR's loader defined is theirs too. */
    private final Set<String> patchNames = new HashSet<>();

    /**
     * Patch name to whether its JAR's own loader defined a class of a binary name (the registry's
     * OwnClasses), or null when not given: then a loader's name alone says a class is a patch's.
     */
    private Map<String, java.util.function.Predicate<String>> ownClasses;

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
        // A Livepatch-Nestmates class is hidden, one per target loader: its name here is the primary
        // loader's copy's, fix.C/0x..., and another loader's copy has another suffix.
        if (className.indexOf('/') >= 0) {
            hidden = true;
            hiddenOwner.put(className, patch);
            hiddenClasses.add(binaryName(className));
        }
        patchNames.add(patch);
        Map<String, String[]> names = code.get(binaryName(className));
        if (names == null) {
            names = new HashMap<>();
            code.put(binaryName(className), names);
        }
        names.put(name, with(names.get(name), patch));
        names.put(CLINIT, with(names.get(CLINIT), patch));
    }

    /** Sets {@link #ownClasses}. */
    PatchedMethods withOwnClasses(Map<String, java.util.function.Predicate<String>> own) {
        ownClasses = new HashMap<>(own);
        return this;
    }

    private static String[] with(String[] patches, String patch) {
        if (patches == null) {
            return new String[] {patch};
        }
        for (String p : patches) {
            if (p.equals(patch)) {
                return patches;
            }
        }
        String[] more = java.util.Arrays.copyOf(patches, patches.length + 1);
        more[patches.length] = patch;
        return more;
    }

    /**
     * Which of {@code patches}, those with a replacement of a frame's class and method name, the frame's
     * code is, quoted ({@code 'P'}), or {@code null} when it is none of them. The hidden class the registry
     * named is {@code owner}'s ({@link #hiddenOwner}, or null). A patch JAR's class says by
     * its loader's name (a thread dump's frame too: it writes the loader's name); when that names another
     * patch, the frame is that patch's copy of a class of the same name, not one of these. Without that
     * name (a hidden nestmate, a patch made with the API), one patch is the one, and of several each is
     * named: {@code 'A' or 'B'}.
     */
    private String patchOf(String[] patches, String loader, String owner, String cls) {
        if (owner != null) {
            for (String p : patches) {
                if (p.equals(owner)) {
                    return "'" + p + "'";
                }
            }
            return null;
        }
        if (loader != null && loader.startsWith(PATCH_LOADER)) {
            for (String p : patches) {
                if (loader.length() == PATCH_LOADER.length() + p.length() && loader.endsWith(p)) {
                    return ownLoader(loader, cls); // and its loader defined the class, not a loader so named
                }
            }
            return null;
        }
        if (patches.length == 1) {
            return "'" + patches[0] + "'";
        }
        StringBuilder sb = new StringBuilder();
        for (String p : patches) {
            sb.append(sb.length() == 0 ? "'" : " or '").append(p).append('\'');
        }
        return sb.toString();
    }

    /**
     * What of a patch's code holds a thread inside the method of its frame {@code held}, or {@code ""}.
     * The innermost of: a static initializer of a patch's class ({@code the static initializer of fix.C
     * (patch 'P')}), a shadow variable's ctor or a wait for another thread's (named with the patch code
     * that asked, when one did), a replacement ({@code the replacement fix.C.m (patch 'P')}), any other
     * method of a patch's class ({@code fix.Helper.m (patch 'P')}: a class its JAR's loader defined, or
     * a method of a {@code Livepatch-Nestmates} copy that replaces nothing). A static initializer of a
     * class no patch's, met inside that code before it, is named first: {@code the static initializer
     * of app.X, called from the replacement fix.C.m (patch 'P')}; it runs the application's code, which
     * the patch's started (alone, with no patch code further out, it is the application's own business
     * and nothing is named). The frames are {@code stack}'s, or, when it is null, {@code frames} ({class,
     * method, loader or null} from the JDK's thread dump), innermost first. Reads only the frames inside
     * the held one, which the caller's search for it has walked already: prefix tests and a hash lookup
     * or two per frame, nothing allocated until something is found (but a substring for a hidden
     * class's frame). Inside {@code @Next}'s copy of the original code the thread runs the
     * application's, and the replacement further out is not named. The patch is named as
     * {@link #patchOf} tells, {@code (patch 'A' or 'B')} when it cannot tell which.
     */
    String inside(StackTraceElement[] stack, java.util.List<String[]> frames, int held) {
        String shadow = null;
        int appInit = -1; // the innermost static initializer of a class no patch's, before any patch code
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
            if (name.equals(ORIGINAL_METHOD) && binaryName(cls).endsWith(ORIGINAL_COPY)) {
                // @Next's call of the original: the application's code holds the thread, not the replacement
                // further out (which 'inside the replacement' would send the operator to)
                return joined(stack, frames, appInit, shadow, null);
            }
            String loader = stack != null ? stack[i].getClassLoaderName() : loaderOf(frames.get(i));
            String code = patchCode(cls, name, loader);
            boolean init = name.equals(CLINIT);
            if (code == null) {
                if (init && appInit < 0 && shadow == null) {
                    appInit = i;
                }
                continue;
            }
            if (init && shadow != null) {
                continue;
            }
            return joined(stack, frames, appInit, shadow, code);
        }
        return joined(stack, frames, appInit, shadow, null);
    }

    /**
     * {@link #inside}'s answer from what it met, innermost first: a static initializer of a class no
     * patch's (frame {@code appInit}, or -1), a shadow variable's ctor or wait, the patch's code; {@code ""}
     * when neither of the last two was met: then the application's code alone holds the thread.
     */
    private static String joined(StackTraceElement[] stack, java.util.List<String[]> frames, int appInit,
                                 String shadow, String code) {
        if (shadow == null && code == null) {
            return "";
        }
        String patchSide = shadow == null ? code : code == null ? shadow : shadow + ", from " + code;
        if (appInit < 0) {
            return patchSide;
        }
        String cls = stack != null ? stack[appInit].getClassName() : frames.get(appInit)[0];
        return "the static initializer of " + cls + ", called from " + patchSide;
    }

    /** The class loader's name of a frame of the thread dump ({@link VirtualThreadStacks#frames}), or null. */
    private static String loaderOf(String[] frame) {
        return frame.length > 2 ? frame[2] : null;
    }

    /**
     * What a frame is of the patches' code, {@code the replacement fix.C.m (patch 'P')}, {@code the
     * static initializer of fix.C (patch 'P')}, {@code fix.Helper.m (patch 'P')}, or {@code null} when
     * it is no patch's (or another patch's than these).
     */
    private String patchCode(String cls, String name, String loader) {
        boolean init = name.equals(CLINIT);
        // Most frames are no patch's: the name is scanned for a hidden class's /0x... only when a
        // patch has one (measured: the scan was most of this loop's cost, on a 60-frame stack).
        Map<String, String[]> names = code.get(hidden ? binaryName(cls) : cls);
        if (names != null) {
            String owner = hidden ? hiddenOwner.get(cls) : null;
            String[] patches = names.get(name);
            if (patches != null) {
                String patch = patchOf(patches, loader, owner, cls);
                if (patch != null) {
                    return init ? "the static initializer of " + cls + " (patch " + patch + ")"
                            : "the replacement " + cls + "." + name + " (patch " + patch + ")";
                }
            } else if (hidden && hiddenClasses.contains(binaryName(cls)) && cls.indexOf('/') >= 0) {
                // A method of a Livepatch-Nestmates copy that replaces nothing: the JAR's code all the same,
                // in the target's loader, which has no name of the patch's to tell by.
                String patch = patchOf(names.get(CLINIT), loader, owner, cls);
                if (patch != null) {
                    return cls + "." + name + " (patch " + patch + ")";
                }
            }
        }
        String patch = ownLoader(loader, cls);
        if (patch == null) {
            return null;
        }
        // Any class a patch JAR's own loader defined (its helpers, the lambdas and other hidden classes
        // they define) is that patch's code, though no replacement names it.
        return init ? "the static initializer of " + cls + " (patch " + patch + ")"
                : cls + "." + name + " (patch " + patch + ")";
    }

    /**
     * {@code 'P'} when {@code loader} is the name of patch P's JAR loader, P is one of these patches and
     * (when {@link #ownClasses} is given) P's loader defined {@code cls}, else null. A name is only a
     * name: an application (or a patch's code) may name a loader of its own {@code jlivepatch:P}, and a
     * frame of its class would then send the operator to patch P. Asked only of a frame whose loader has
     * that name, so rare; a hidden class is asked of by the class that defined it ({@link #definingClass}).
     */
    private String ownLoader(String loader, String cls) {
        if (loader == null || !loader.startsWith(PATCH_LOADER)) {
            return null;
        }
        String patch = loader.substring(PATCH_LOADER.length());
        if (!patchNames.contains(patch)) {
            return null;
        }
        if (ownClasses != null) {
            java.util.function.Predicate<String> own = ownClasses.get(patch);
            if (own == null || !own.test(definingClass(cls))) {
                return null;
            }
        }
        return "'" + patch + "'";
    }

    /**
     * The class a frame's class is, or, for a hidden one ({@code fix.Helper$$Lambda/0x...}, on JDK 17
     * {@code fix.Helper$$Lambda$14/0x...}), the class that defined it, by the JDK's naming of a lambda's
     * class: the part before {@code $$}. Another hidden class of a patch's loader is not named.
     */
    private static String definingClass(String cls) {
        int slash = cls.indexOf('/');
        if (slash < 0) {
            return cls;
        }
        int generated = cls.indexOf("$$");
        return generated > 0 && generated < slash ? cls.substring(0, generated) : cls.substring(0, slash);
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
