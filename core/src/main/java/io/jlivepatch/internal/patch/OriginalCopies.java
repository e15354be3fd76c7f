package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.jar.TrustedLookup;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The original code of hooked methods as {@code @Next} runs it: a copy ({@link OriginalCopy}) defined
 * as a hidden nestmate of the method's class, called directly, so a replacement that only calls
 * {@code next} costs what the original costs. Loaded only once some patch uses {@code @Next} (the
 * transformer and the linker name it on that path only): a JVM without it defines no class more.
 *
 * <p>The code copied is the class file the hook transformer received ({@link #received}), kept for
 * the classes whose hooks run {@code @Next} down to the original, and replaced whenever the class is
 * retransformed (another agent's change included): a copy is defined per class file, and sites are
 * relinked when that file changes under a linked copy, so the copy follows the class.
 *
 * <p>A copy holds its class (nest host) and nothing of any patch: it is a hidden class, not
 * strongly held by its loader, and the memo here holds it weakly, so it goes once no linked site
 * calls it.
 */
final class OriginalCopies {

    /**
     * Received class files by loader (held weakly) and class name. Guarded by this class's monitor,
     * held for map operations only (no call out), so it nests inside any lock, Dispatch's link lock
     * included.
     */
    private static final Map<ClassLoader, Map<String, byte[]>> RECEIVED = new WeakHashMap<>();
    private static final Map<String, byte[]> RECEIVED_BY_BOOT = new HashMap<>();

    /** Per class, per method key: the copy made from one class file, or why it could not be made. */
    private static final ClassValue<Map<String, Made>> MADE = new ClassValue<>() {
        @Override
        protected Map<String, Made> computeValue(Class<?> type) {
            return new ConcurrentHashMap<>();
        }
    };

    /**
     * jlivepatch's Instrumentation, set by the transformer with the first class file it keeps: what
     * opens the trusted lookup for a class in a module other than jlivepatch's ({@link TrustedLookup}).
     */
    private static volatile Instrumentation instrumentation;

    /** Relinks every site from a thread of jlivepatch's own; set by the linker before a copy is used. */
    private static volatile Runnable relink;

    private OriginalCopies() {
    }

    /**
     * The transformer got {@code classFile} for {@code className} in {@code loader}: kept when its
     * hooks run {@code @Next} down to the original ({@code keep}), forgotten otherwise. A file that
     * changed under a kept one has the sites relinked, which makes them copy the new code.
     */
    static void received(ClassLoader loader, String className, byte[] classFile, boolean keep,
                         Instrumentation inst) {
        if (inst != null) {
            instrumentation = inst;
        }
        byte[] before;
        synchronized (OriginalCopies.class) {
            Map<String, byte[]> files = loader == null ? RECEIVED_BY_BOOT : RECEIVED.get(loader);
            if (files == null) {
                // no lambda: this runs in the transformer, possibly in the middle of a class load (issue 10)
                files = new HashMap<>();
                RECEIVED.put(loader, files);
            }
            before = files.get(className);
            if (!keep) {
                files.remove(className);
                return;
            }
            if (before != null && Arrays.equals(before, classFile)) {
                return; // the same code (jlivepatch's own retransformation): the copies made stay right
            }
            files.put(className, classFile);
        }
        Runnable r = relink;
        if (before != null && r != null) {
            r.run();
        }
    }

    /** The class file the transformer last received for {@code c}, if kept. */
    private static byte[] receivedFor(Class<?> c) {
        synchronized (OriginalCopies.class) {
            ClassLoader loader = c.getClassLoader();
            Map<String, byte[]> files = loader == null ? RECEIVED_BY_BOOT : RECEIVED.get(loader);
            return files == null ? null : files.get(c.getName());
        }
    }

    /**
     * The copy of {@code target}'s original code, typed {@code (receiver, args...)R} as the hooked
     * method's call site, or {@code null} when there is none (no class file kept, code that cannot
     * be copied, a class jlivepatch has no full-privilege lookup on): then {@code @Next} takes the
     * pass. Called by the linker, under Dispatch's link lock.
     */
    static MethodHandle handle(Class<?> owner, Method target, String methodKey, Runnable relinkLater) {
        if (relinkLater != null) {
            relink = relinkLater;
        }
        byte[] classFile = receivedFor(owner);
        if (classFile == null) {
            return null;
        }
        Map<String, Made> perClass = MADE.get(owner);
        Made made = perClass.get(methodKey);
        boolean current = made != null && made.classFile.get() == classFile;
        if (current && made.refusal != null) {
            return null;
        }
        MethodHandle h = current ? made.handle.get() : null;
        return h != null ? h : make(perClass, methodKey, owner, target, classFile);
    }

    /** Why the linked copy of {@code methodKey} could not be made, "" when it was, null when none was tried. */
    static String state(Class<?> owner, String methodKey) {
        Made made = MADE.get(owner).get(methodKey);
        return made == null ? null : made.refusal == null ? "" : made.refusal;
    }

    /**
     * Makes the copy from {@code classFile} and records it, or its refusal, in {@code perClass};
     * returns the copy (held strongly here: the record holds it weakly), or null.
     */
    private static MethodHandle make(Map<String, Made> perClass, String methodKey, Class<?> owner, Method target,
                                     byte[] classFile) {
        String descriptor = MethodType.methodType(target.getReturnType(), target.getParameterTypes())
                .toMethodDescriptorString();
        String why;
        ClassLoader loader = owner.getClassLoader();
        if (loader == null || loader == ClassLoader.getPlatformClassLoader()) {
            // The JDK's methods may carry what only the JVM reads (intrinsics, @ForceInline, reserved
            // stack access, hidden frames): a copy would lose it. Not proven safe, so not copied.
            return refused(perClass, methodKey, owner, target, classFile, "a class of the JDK");
        }
        try {
            OriginalCopy.Result copy = OriginalCopy.write(classFile, owner, target.getName(), descriptor);
            if (copy.refusal() == null) {
                MethodHandles.Lookup host = hostLookup(owner);
                if (host != null) {
                    // Initialized, so linked and verified here: a copy the JVM refuses is a refusal now,
                    // not an error in the application's call later.
                    MethodHandles.Lookup lookup = host.defineHiddenClass(copy.bytes(), true,
                            MethodHandles.Lookup.ClassOption.NESTMATE);
                    MethodType type = java.lang.reflect.Modifier.isStatic(target.getModifiers())
                            ? MethodType.methodType(target.getReturnType(), target.getParameterTypes())
                            : MethodType.methodType(target.getReturnType(), target.getParameterTypes())
                                    .insertParameterTypes(0, owner);
                    MethodHandle h = lookup.findStatic(lookup.lookupClass(), OriginalCopy.METHOD, type);
                    perClass.put(methodKey, new Made(classFile, h, null));
                    return h;
                }
                why = "no full-privilege lookup on the class (its module is not jlivepatch's and no"
                        + " Instrumentation is at hand)";
            } else {
                why = copy.refusal();
            }
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            why = "the copy could not be defined: " + e;
        }
        return refused(perClass, methodKey, owner, target, classFile, why);
    }

    private static MethodHandle refused(Map<String, Made> perClass, String methodKey, Class<?> owner, Method target,
                                        byte[] classFile, String why) {
        Log.get().log(System.Logger.Level.DEBUG, "@Next runs {0}.{1} through its hook, not a copy: {2}",
                owner.getName(), target.getName(), why);
        perClass.put(methodKey, new Made(classFile, null, why));
        return null;
    }

    /**
     * A full-privilege lookup on {@code owner}, or null. {@code privateLookupIn} gives one when
     * jlivepatch and the class share a module (the class path); a class of a loader of its own (an
     * application server's webapp, a Spring Boot application) has an unnamed module of its own, and
     * there it is the trusted lookup's, which the Instrumentation opens. The class's package is open
     * to jlivepatch: the linker checked it (SignatureCheck.unreachableOriginal) before asking.
     */
    private static MethodHandles.Lookup hostLookup(Class<?> owner) throws IllegalAccessException {
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(owner, MethodHandles.lookup());
        if (lookup.hasFullPrivilegeAccess()) {
            return lookup;
        }
        Instrumentation inst = instrumentation;
        return inst == null ? null : TrustedLookup.in(owner, inst);
    }

    /**
     * A copy made from one class file, or its refusal. Both held weakly: the copy by the linked sites
     * that call it, the class file (compared by identity with the one kept) by {@link #RECEIVED}.
     */
    private static final class Made {
        final WeakReference<byte[]> classFile;
        final WeakReference<MethodHandle> handle;
        final String refusal;

        Made(byte[] classFile, MethodHandle handle, String refusal) {
            this.classFile = new WeakReference<>(classFile);
            this.handle = new WeakReference<>(handle);
            this.refusal = refusal;
        }
    }
}
