package io.jlivepatch.internal;

/**
 * jlivepatch's stack walker that sees classes ({@code RETAIN_CLASS_REFERENCE}), for the walks it makes
 * on the application's threads: a patch class's first call ({@code ClassInit}), a thread that moves
 * itself in a transition ({@code Transition}), the caller of a log line ({@code JulRecords}). Asking
 * for such a walker is checked under a SecurityManager (JDK 17 to 23) against every frame of the
 * thread, the application's too, and a refusal reached the patched method's caller; it is asked
 * once, with jlivepatch's own permissions.
 * A walker may be shared: the check is made when it is made, not when it walks.
 */
public final class ClassWalker {

    private ClassWalker() {
    }

    private static final StackWalker WALKER = make();

    public static StackWalker get() {
        return WALKER;
    }

    @SuppressWarnings("removal") // AccessController: only while a SecurityManager is set
    private static StackWalker make() {
        if (System.getSecurityManager() == null) {
            return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
        }
        return java.security.AccessController.doPrivileged(new java.security.PrivilegedAction<StackWalker>() {
            @Override
            public StackWalker run() {
                return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
            }
        });
    }
}
