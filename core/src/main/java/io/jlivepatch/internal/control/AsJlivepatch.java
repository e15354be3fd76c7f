package io.jlivepatch.internal.control;

import io.jlivepatch.PatchException;

import java.util.function.Supplier;

/**
 * An MBean call's work done with jlivepatch's own permissions under a SecurityManager (JDK 17 to 23). A connector
 * that authenticated its client runs the call in the client's context, whose JMXSubjectDomainCombiner adds a domain
 * with only what the policy grants the client's principals, and the JDK's MXBean support calls the MBean through a
 * trampoline class of no permissions at all: jlivepatch's work under that context (its hooks' installation, the
 * transition's thread, the JAR's read) was refused although the policy grants jlivepatch's JAR every permission, as
 * README requires (an enable: INTERNAL_ERROR, modifyThreadGroup). What the client may do is the MBeanPermission the
 * MBean server checked before the call reached jlivepatch. {@link JmxCalls} uses it only while a SecurityManager is
 * set, so no class of it is made without one.
 */
final class AsJlivepatch {

    private AsJlivepatch() {
    }

    @SuppressWarnings("removal") // AccessController: only while a SecurityManager is set
    static <T> T operation(JmxCalls.Operation<T> op) throws PatchException {
        try {
            return java.security.AccessController.doPrivileged(new java.security.PrivilegedExceptionAction<T>() {
                @Override
                public T run() throws PatchException {
                    return op.run();
                }
            });
        } catch (java.security.PrivilegedActionException e) {
            throw (PatchException) e.getException(); // the only checked exception run throws
        }
    }

    @SuppressWarnings("removal") // AccessController: only while a SecurityManager is set
    static <T> T reading(Supplier<T> read) {
        return java.security.AccessController.doPrivileged(new java.security.PrivilegedAction<T>() {
            @Override
            public T run() {
                return read.get();
            }
        });
    }
}
