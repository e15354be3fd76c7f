package io.jlivepatch.internal.core;

/**
 * Who asks for the operation the current thread runs: set by the channel the request came in on
 * (the command's socket, JMX, the start-up loader) around the call, read by the registry for
 * provenance and the audit log. A thread that set nothing is an application calling the API.
 */
public final class Requester {

    public static final String API = "api";
    public static final String JMX = "jmx";
    public static final String STARTUP = "startup";
    /** The agent's arguments given by an attach ({@code patches=}, {@code truststore=}), not at start-up. */
    public static final String ATTACH = "attach";
    /** The watched patch directory's reconciles. */
    public static final String WATCH = "watch";

    // Only ever set by jlivepatch's own threads or around calls marked by RecursionGuard, so a patch
    // of ThreadLocal never runs on its behalf.
    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    // The secret of the command's connection this thread serves (internal.control.SessionQueries), or null: set
    // only on a control session's own thread, cleared when the session ends. Never shown: status's closingBy
    // names the requester; this proves to that connection's client alone that a closing is its own.
    private static final ThreadLocal<String> SESSION = new ThreadLocal<>();

    private Requester() {
    }

    /** Marks this thread's operations from now on as asked for over the connection whose token is {@code token}. */
    public static void markSession(String token) {
        SESSION.set(token);
    }

    /** Ends {@link #markSession} on this thread (its session ended). */
    public static void unmarkSession() {
        SESSION.remove();
    }

    /** The token of the connection this thread serves ({@link #markSession}), or {@code null}. */
    static String session() {
        return SESSION.get();
    }

    /** Whether {@code who} is one of jlivepatch's own channels (start-up, an attach's arguments, the watch). */
    static boolean isOwnChannel(String who) {
        return who.equals(STARTUP) || who.equals(ATTACH) || who.equals(WATCH);
    }

    /**
     * The requester of work jlivepatch's transition worker does to end a transition that {@code who}
     * started: {@code jlivepatch (for pid 5150 user alice)}.
     */
    static String forTransition(String who) {
        return who.startsWith("jlivepatch (for ") ? who : "jlivepatch (for " + who + ")";
    }

    public static String current() {
        String who = CURRENT.get();
        return who == null ? API : who;
    }

    /**
     * Makes {@code who} the requester of this thread until {@link #restore} with the returned value.
     * A requester already set stays: the outermost channel knows best who asked.
     */
    public static String enter(String who) {
        String before = CURRENT.get();
        if (before == null) {
            CURRENT.set(who);
        }
        return before;
    }

    public static void restore(String before) {
        if (before == null) {
            CURRENT.remove();
        }
    }

    /**
     * Makes {@code who} the requester of this thread whoever asked before, until {@link #switchBack}
     * with the returned value: for work done on a channel's own account (the watched directory's
     * reconcile, even when a command started it), where the outer requester must not be credited.
     */
    public static String switchTo(String who) {
        String before = CURRENT.get();
        CURRENT.set(who);
        return before;
    }

    public static void switchBack(String before) {
        if (before == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(before);
        }
    }
}
