package io.jlivepatch.internal.control;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.OwnBuild;
import io.jlivepatch.internal.bootstrap.StackRoom;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.patch.RecursionGuard;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.InvalidAttributeValueException;
import javax.management.MBeanException;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.NotCompliantMBeanException;
import javax.management.ReflectionException;
import javax.management.StandardMBean;

/**
 * An MXBean whose every attribute access and operation runs marked as jlivepatch's own code
 * (RecursionGuard): the JMX threads that serve {@code jlivepatch} and JConsole never run a patch's
 * replacement, and a patched JDK method the MBean's code uses cannot loop back into jlivepatch. Every
 * operation through it is the {@code jmx} requester's ({@code jmx user <name>} for a client its connector
 * authenticated: {@link JmxCaller}).
 *
 * <p>Each access first requires room on the stack ({@link #requireRoom}): an application's own code
 * may call the MBean server (an in-process metrics exporter) at whatever depth its thread is, and the
 * requester (a thread-local value) set at the edge of the stack was left set for good when the
 * access overflowed and the {@code finally} that clears it overflowed too: the thread's later API
 * calls were then the {@code jmx} requester's, a command's bounded wait for jlivepatch's lock (BUSY
 * after it, where the API waits) and audited as {@code jmx} (GuardedMBeanStackEdgeTest, JDK 25).
 */
class GuardedMBean extends StandardMBean {

    /** Where a refusal of an operation's arguments is put on record; null: not recorded (a test's probe). */
    private final PatchRegistry registry;
    /** What such a record names: {@code (jlivepatch)}, or the patch's name, as the control socket's do. */
    private final String subject;
    /** The interface's simple name, for what a refusal says ({@code LivepatchMBean.watch takes ...}). */
    private final String type;

    <T> GuardedMBean(T implementation, Class<T> mbeanInterface) throws NotCompliantMBeanException {
        this(implementation, mbeanInterface, null, null);
    }

    /**
     * @param registry where a refusal of an operation's arguments ({@link #wrongArguments}) is put on record
     * @param subject  what its record names: {@code (jlivepatch)}, or the patch's name
     */
    <T> GuardedMBean(T implementation, Class<T> mbeanInterface, PatchRegistry registry, String subject)
            throws NotCompliantMBeanException {
        super(implementation, mbeanInterface, true); // MXBeans: clients need no class of ours
        this.registry = registry;
        this.subject = subject;
        this.type = mbeanInterface.getSimpleName();
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
            return read(attribute);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    /** The attribute's value as the JDK's MXBean support reads it; run marked, as the jmx requester. */
    Object read(String attribute) throws AttributeNotFoundException, MBeanException, ReflectionException {
        return super.getAttribute(attribute);
    }

    /** The attributes' values as the JDK's MXBean support reads them; run as {@link #read}. */
    AttributeList readAll(String[] attributes) {
        return super.getAttributes(attributes);
    }

    @Override
    public void setAttribute(Attribute attribute) throws AttributeNotFoundException, InvalidAttributeValueException,
            MBeanException, ReflectionException {
        requireRoom();
        refuseIfOverwritten();
        int mark = RecursionGuard.enter();
        String before = Requester.enter(JmxCaller.requester());
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
            return readAll(attributes);
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
        String before = Requester.enter(JmxCaller.requester());
        try {
            return super.setAttributes(attributes);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    /**
     * Why {@code params} do not fit the types {@code signature} names, or null when they do (or when
     * the signature is not one this checks: the MBean server then answers as it does). A null or a
     * string where an operation takes a boolean or a long reached the client as a bare
     * IllegalArgumentException without a message (the reflection's), and was not on record
     * (HostileWireTest): refused here saying what the operation takes, as the control socket refuses
     * the same call (ControlSession).
     */
    static String wrongArguments(String type, String actionName, Object[] params, String[] signature) {
        if (params == null || signature == null || params.length != signature.length) {
            return null;
        }
        boolean wrong = false;
        for (int i = 0; i < params.length && !wrong; i++) {
            if (signature[i] == null) {
                return null; // no operation's signature: the MBean server says so
            }
            Class<?> takes = BOXES.get(signature[i]);
            Object v = params[i];
            if (takes != null) {
                wrong = !takes.isInstance(v); // a primitive: never null
            } else if ("java.lang.String".equals(signature[i])) {
                wrong = v != null && !(v instanceof String);
            } else if ("[B".equals(signature[i])) {
                wrong = v != null && !(v instanceof byte[]);
            }
        }
        if (!wrong) {
            return null;
        }
        StringBuilder takes = new StringBuilder("(");
        StringBuilder sent = new StringBuilder("(");
        for (int i = 0; i < params.length; i++) {
            String sep = i == 0 ? "" : ", ";
            String s = signature[i];
            takes.append(sep).append("[B".equals(s) ? "byte[]" : s.substring(s.lastIndexOf('.') + 1));
            sent.append(sep).append(params[i] == null ? "null" : params[i].getClass().getSimpleName());
        }
        return type + "." + actionName + " takes " + takes + "), not " + sent + "): nothing was done; give a"
                + " value of each parameter's type (true or false for a boolean, a number for a long)";
    }

    /**
     * Whether the interface has an operation {@code actionName} of {@code signature}: only an operation's
     * arguments are checked ({@link #wrongArguments}); the MBean server answers a call of none
     * ({@code ReflectionException}: no such operation), as it did.
     */
    private boolean isOperation(String actionName, String[] signature) {
        if (actionName == null || signature == null) {
            return false;
        }
        for (MBeanOperationInfo op : getMBeanInfo().getOperations()) {
            MBeanParameterInfo[] takes = op.getSignature();
            if (op.getName().equals(actionName) && takes.length == signature.length) {
                boolean same = true;
                for (int i = 0; i < takes.length && same; i++) {
                    same = takes[i].getType().equals(signature[i]);
                }
                if (same) {
                    return true;
                }
            }
        }
        return false;
    }

    private static final java.util.Map<String, Class<?>> BOXES = java.util.Map.of("boolean", Boolean.class, "long",
            Long.class, "int", Integer.class, "short", Short.class, "byte", Byte.class, "char", Character.class,
            "float", Float.class, "double", Double.class);

    /**
     * The refusal of {@link #wrongArguments}, on record as the refused change it would have been (a
     * read is no operation), as the control socket's and PatchBean's refusals of arguments are; the
     * caller has marked the thread and entered the jmx requester.
     */
    private RuntimeException refuseArguments(String actionName, Object[] params, String why) {
        PatchException refusal = new PatchException(PatchException.Reason.INVALID_ARGUMENT, null, why);
        if (registry != null && !Operations.reads(actionName)) {
            String operation = Operations.of(actionName, params);
            try {
                registry.refusedOutside(operation != null ? operation : "call", subject, refusal);
            } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                // the refusal stands and is answered; only its record is missing
            }
        }
        return JmxCalls.refusal(refusal);
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature) throws MBeanException, ReflectionException {
        requireRoom();
        refuseIfOverwritten();
        int mark = RecursionGuard.enter();
        String before = Requester.enter(JmxCaller.requester());
        try {
            String wrong = isOperation(actionName, signature) ? wrongArguments(type, actionName, params, signature) : null;
            if (wrong != null) {
                throw refuseArguments(actionName, params, wrong);
            }
            return super.invoke(actionName, params, signature);
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }
}
