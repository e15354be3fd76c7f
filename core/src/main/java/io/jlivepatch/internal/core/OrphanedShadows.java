package io.jlivepatch.internal.core;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.bootstrap.ShadowStore;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The shadow variables an unregistered patch leaves without a reader: those whose value is an
 * object of one of the patch JAR's own classes (defined by its patch class loaders, or hidden
 * nestmates it defined in the application's loaders). No other class
 * can cast such a value: a later load of the same JAR defines its classes again, under the same
 * names, in new loaders, and its first read of the variable would throw a
 * {@code ClassCastException} in the patched method, at every call that reaches it; the value would
 * also keep the unregistered patch's code and loader alive as long as its object lives. The kernel
 * leaves this to the patch's post-unpatch callback ({@code klp_shadow_free_all}); a JVM can tell
 * which values only the patch could read, so jlivepatch detaches them when the patch goes.
 */
final class OrphanedShadows {

    private OrphanedShadows() {
    }

    /**
     * Detaches the shadow values of {@code p}'s own classes, now that it is unregistered, unless a
     * transition that took its code off threads was forced: threads that were inside its code may
     * still run it and read them. (A forced enable leaves no thread in its code once a full disable
     * has ended.)
     * Never throws: the unregistration stands whatever happens here. Caller holds klpMutex.
     *
     * @return what to add to the unregistration's audit outcome: {@code ""} when nothing was detached
     */
    static String detach(RegisteredPatch p) {
        if (p.leftByForce()) {
            return "";
        }
        try {
            Map<ClassLoader, Boolean> own = new IdentityHashMap<>();
            Map<Class<?>, Boolean> hidden = new IdentityHashMap<>();
            for (ResolvedFunction f : p.resolved()) {
                for (ClassLoader l : f.source().ownLoaders()) {
                    own.put(l, Boolean.TRUE);
                }
                for (Class<?> c : f.source().ownHiddenClasses()) {
                    hidden.put(c, Boolean.TRUE);
                }
            }
            if (own.isEmpty() && hidden.isEmpty()) {
                return ""; // a patch built in code: its classes are the application's
            }
            int n = ShadowStore.detachValuesOf(own.keySet().toArray(new ClassLoader[0]),
                    hidden.keySet().toArray(new Class<?>[0]));
            if (n == 0) {
                return "";
            }
            String what = n + (n == 1 ? " shadow variable" : " shadow variables") + " holding objects of its classes";
            Log.get().log(System.Logger.Level.INFO, "''{0}'': detached {1}", p.name(), what);
            return ", detached " + what;
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            Log.get().log(System.Logger.Level.WARNING, "''{0}'': the shadow variables holding objects of its"
                    + " classes were not detached ({1}): a later load of it may fail to read them", p.name(), e);
            return ", shadow variables holding objects of its classes not detached (" + e + ")";
        }
    }
}
