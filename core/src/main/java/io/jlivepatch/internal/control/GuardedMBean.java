package io.jlivepatch.internal.control;

import io.jlivepatch.internal.OwnBuild;
import io.jlivepatch.internal.bootstrap.StackRoom;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.patch.RecursionGuard;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.InvalidAttributeValueException;
import javax.management.MBeanException;
import javax.management.NotCompliantMBeanException;
import javax.management.ReflectionException;
import javax.management.StandardMBean;

/**
 * An MXBean whose every attribute access and operation runs marked as jlivepatch's own code
 * (RecursionGuard): the JMX threads that serve {@code jlivepatch} and JConsole never run a patch's
 * replacement, and a patched JDK method the MBean's code uses cannot loop back into jlivepatch. Every
 * operation through it is the {@code jmx} requester's.
 *
 * <p>Each access first requires room on the stack ({@link #requireRoom}): an application's own code
 * may call the MBean server (an in-process metrics exporter) at whatever depth its thread is, and the
 * requester (a thread-local value) set at the edge of the stack was left set for good when the
 * access overflowed and the {@code finally} that clears it overflowed too: the thread's later API
 * calls were then the {@code jmx} requester's, a command's bounded wait for jlivepatch's lock (BUSY
 * after it, where the API waits) and audited as {@code jmx} (GuardedMBeanStackEdgeTest, JDK 25).
 */
class GuardedMBean extends StandardMBean {

    <T> GuardedMBean(T implementation, Class<T> mbeanInterface) throws NotCompliantMBeanException {
        super(implementation, mbeanInterface, true); // MXBeans: clients need no class of ours
    }

    /**
     * A {@link StackOverflowError} here, before the mark and the requester, rather than one that may
     * leave them set: with {@link StackRoom}'s room, the {@code finally} that ends both, made at this
     * depth, fits. As PatchRegistry.requireStackFor; the access would overflow in a moment anyway.
     */
    static void requireRoom() {
        if (!StackRoom.left()) {
            throw new StackOverflowError("no stack left for a JMX access of jlivepatch's MBeans on this thread;"
                    + " nothing was done");
        }
    }

    /**
     * A change, or an operation, runs code of jlivepatch's that may not have run yet, which the JVM reads
     * from jlivepatch's JAR at its first use: refused while that JAR is overwritten in place
     * ({@link OwnBuild#overwritten}), before the mark (whose first use installs the hooks), as the
     * command refuses; the JAR put back, it runs. Not audited: the audit's code may be such code too.
     * Attribute reads go on (a metrics exporter scraping).
     */
    static void refuseIfOverwritten() {
        String overwritten = OwnBuild.overwritten();
        if (overwritten != null) {
            throw new IllegalStateException("ILLEGAL_STATE: " + overwritten + "; nothing was done");
        }
    }

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException, MBeanException, ReflectionException {
        // A read changes nothing: before the first patch it needs no mark, and must not make a JVM that
        // is only watched (a metrics exporter scraping) install the hooks (RecursionGuard.enterIfActive).
        requireRoom();
        int mark = RecursionGuard.enterIfActive();
        String before = Requester.enter(Requester.JMX);
        try {
            return super.getAttribute(attribute);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException, InvalidAttributeValueException,
            MBeanException, ReflectionException {
        requireRoom();
        refuseIfOverwritten();
        int mark = RecursionGuard.enter();
        String before = Requester.enter(Requester.JMX);
        try {
            super.setAttribute(attribute);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public AttributeList getAttributes(String[] attributes) {
        requireRoom();
        int mark = RecursionGuard.enterIfActive(); // a read: as getAttribute
        String before = Requester.enter(Requester.JMX);
        try {
            return super.getAttributes(attributes);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
        requireRoom();
        refuseIfOverwritten();
        int mark = RecursionGuard.enter();
        String before = Requester.enter(Requester.JMX);
        try {
            return super.setAttributes(attributes);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature) throws MBeanException, ReflectionException {
        requireRoom();
        refuseIfOverwritten();
        int mark = RecursionGuard.enter();
        String before = Requester.enter(Requester.JMX);
        try {
            return super.invoke(actionName, params, signature);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }
}
