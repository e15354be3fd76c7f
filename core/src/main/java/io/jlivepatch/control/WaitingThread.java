package io.jlivepatch.control;

import java.beans.ConstructorProperties;

/**
 * A thread that holds a transition: it still runs in the old state because a method of the patch
 * (replaced or held) is on its stack. A JMX client sees it as {@code CompositeData} with the same
 * item names.
 */
public final class WaitingThread {

    private final String thread;
    private final long threadId;
    private final String method;
    private final String inside;

    /**
     * @param thread   the thread's name
     * @param threadId its id ({@code Thread.getId})
     * @param method   the patch's method on its stack, {@code class.method}, or {@code ""} when not known yet
     *                 (see {@link #getMethod} for what jlivepatch's own channel puts here)
     */
    @ConstructorProperties({"thread", "threadId", "method"})
    public WaitingThread(String thread, long threadId, String method) {
        this(thread, threadId, method, "");
    }

    /**
     * @param inside what holds the thread inside {@code method} when that is a patch's own code, not the
     *               application's: {@code the static initializer of fix.C (patch 'P')}, {@code the replacement
     *               fix.C.m (patch 'P')}, {@code the ctor of a shadow variable (...)}; {@code ""} otherwise
     */
    @ConstructorProperties({"thread", "threadId", "method", "inside"})
    public WaitingThread(String thread, long threadId, String method, String inside) {
        this.thread = thread;
        this.threadId = threadId;
        this.method = method;
        this.inside = inside == null ? "" : inside;
    }

    public String getThread() {
        return thread;
    }

    public long getThreadId() {
        return threadId;
    }

    /**
     * The patch's method on the thread's stack, {@code class.method}, or {@code ""} when not known yet. From
     * the MBean ({@code PatchMBean.getWaiting}, over JMX or in the JVM) that is all; from jlivepatch's own
     * channel (the {@code jlivepatch} command's) it is followed by what holds the thread inside it when
     * something does, {@code com.acme.Worker.process, inside the replacement fix.C.process (patch 'P')}, and
     * {@link #getInside} is {@code ""}: that channel carries three fields, the method and what holds it in
     * one, so that a command and an agent of different versions still talk.
     */
    public String getMethod() {
        return method;
    }

    /**
     * What of a patch's code holds the thread inside {@link #getMethod}, or {@code ""}: when there is none,
     * or when this came over jlivepatch's own channel, which carries it within {@link #getMethod}.
     */
    public String getInside() {
        return inside;
    }

    /**
     * {@code thread 'worker-1' (id 42) in com.acme.Worker.process}, then {@code , inside ...} when a patch's
     * code holds it there. A thread without a name is {@code an unnamed virtual thread (id 33)}: the JDK
     * names every platform thread ({@code Thread-7}) and no virtual thread, and only an application that
     * names a platform thread {@code ""} makes this wrong about what kind of thread it is (the id is right);
     * status, which knows the thread, says {@code an unnamed thread} then. {@code thread '' (id 33)} read as
     * a name missing from the line.
     */
    @Override
    public String toString() {
        return (thread.isEmpty() ? "an unnamed virtual thread" : "thread '" + thread + "'") + " (id " + threadId + ")"
                + (method.isEmpty() ? "" : " in " + method) + (inside.isEmpty() ? "" : ", inside " + inside);
    }
}
