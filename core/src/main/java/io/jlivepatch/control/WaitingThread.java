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

    public String getMethod() {
        return method;
    }

    public String getInside() {
        return inside;
    }

    /**
     * {@code thread 'worker-1' (id 42) in com.acme.Worker.process}, then {@code , inside ...} when a patch's
     * code holds it there.
     */
    @Override
    public String toString() {
        return "thread '" + thread + "' (id " + threadId + ")" + (method.isEmpty() ? "" : " in " + method)
                + (inside.isEmpty() ? "" : ", inside " + inside);
    }
}
