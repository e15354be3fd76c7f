package io.jlivepatch.internal.control;

import io.jlivepatch.internal.core.Requester;

import javax.management.remote.JMXPrincipal;
import javax.security.auth.Subject;
import java.lang.reflect.Method;
import java.security.Principal;

/**
 * Who asks for the JMX call this thread serves, as the audit names it: {@code jmx}, or {@code jmx user alice}
 * when a connector authenticated its client and runs the call as the client's {@link Subject} (a remote JConsole
 * with {@code com.sun.management.jmxremote.authenticate}, or an application's own connector server with a
 * {@code JMXAuthenticator}): its {@link JMXPrincipal}, the name the client logged in with, as the control socket's
 * {@code pid N user U} names the command's user. Before, every such change said only {@code jmx}, whoever had logged
 * in. A call with no subject (the local connector JConsole attaches with, the application's own in-process calls)
 * stays {@code jmx}.
 */
final class JmxCaller {

    /**
     * {@code Subject.current()} (JDK 18 and later: JDK 24 and later run a connector's call as its subject through
     * {@code Subject.callAs}, which only it sees), else JDK 17's {@code Subject.getSubject(AccessController
     * .getContext())} (the connector runs the call in an access control context holding the subject), both
     * reflectively: the second is deprecated for removal and refused from JDK 24 on. Null elements where one is not
     * found: {@link #CURRENT}, {@link #GET_CONTEXT}, {@link #GET_SUBJECT}, {@link #SECURITY_MANAGER}
     * ({@code System.getSecurityManager}, deprecated for removal too).
     */
    private static volatile Method[] found;
    private static final int CURRENT = 0;
    private static final int GET_CONTEXT = 1;
    private static final int GET_SUBJECT = 2;
    private static final int SECURITY_MANAGER = 3;

    private JmxCaller() {
    }

    private static Method[] ways() {
        Method[] ways = new Method[4];
        try {
            ways[CURRENT] = Subject.class.getMethod("current");
        } catch (NoSuchMethodException | RuntimeException | LinkageError jdk17) {
            // JDK 17: getSubject below
        }
        try {
            Class<?> controller = Class.forName("java.security.AccessController");
            Class<?> context = Class.forName("java.security.AccessControlContext");
            ways[GET_CONTEXT] = controller.getMethod("getContext");
            ways[GET_SUBJECT] = Subject.class.getMethod("getSubject", context);
            ways[SECURITY_MANAGER] = System.class.getMethod("getSecurityManager");
        } catch (ReflectiveOperationException | RuntimeException | LinkageError none) {
            ways[GET_CONTEXT] = null; // neither, nor a look for a SecurityManager: none can be set without them
            ways[GET_SUBJECT] = null;
            ways[SECURITY_MANAGER] = null;
        }
        return ways;
    }

    /** {@code jmx}, or {@code jmx user <name>} for a call its connector authenticated. Never throws. */
    static String requester() {
        try {
            // found at the first use, inside this try: made in the class's initializer, a failure there (no memory)
            // threw out of every later call as NoClassDefFoundError, before the caller's finally gives its mark back.
            // Two first calls may both look: the same result, either kept.
            Method[] ways = found;
            if (ways == null) {
                ways = ways();
                found = ways;
            }
            Subject subject = subject(ways);
            String names = subject == null ? "" : names(subject);
            return names.isEmpty() ? Requester.JMX : Requester.JMX + " user " + names;
        } catch (Exception | LinkageError | VirtualMachineError e) {
            // The call goes on, only who asked less precise. VirtualMachineError too: the callers take the thread's
            // mark before this and give it back in a finally that begins after it (GuardedMBean).
            return Requester.JMX;
        }
    }

    private static Subject subject(Method[] ways) throws Exception {
        Object s;
        if (ways[SECURITY_MANAGER] != null && ways[SECURITY_MANAGER].invoke(null) != null) {
            s = underSecurityManager(ways);
        } else if (ways[CURRENT] != null) {
            s = ways[CURRENT].invoke(null);
        } else if (ways[GET_CONTEXT] != null) {
            s = ways[GET_SUBJECT].invoke(null, ways[GET_CONTEXT].invoke(null));
        } else {
            return null;
        }
        return s instanceof Subject ? (Subject) s : null;
    }

    /**
     * The call's subject under a SecurityManager (JDK 17 to 23): reading it takes {@code AuthPermission("getSubject")},
     * which the connector's context for the call lacks unless the policy grants it to the client's principals (the
     * JDK's JMXSubjectDomainCombiner adds a domain with only those), so {@code Subject.current()}, or
     * {@code getSubject} on this stack, was refused and every such change said {@code jmx}
     * (JmxCallerSecurityManagerTest). The call's context is taken here, on its stack; the subject is read from it as
     * jlivepatch, whose JAR the policy must grant every permission (README).
     */
    @SuppressWarnings("removal") // AccessController: only while a SecurityManager is set
    private static Object underSecurityManager(Method[] ways) throws Exception {
        Object context = ways[GET_CONTEXT].invoke(null);
        try {
            return java.security.AccessController.doPrivileged(new java.security.PrivilegedExceptionAction<Object>() {
                @Override
                public Object run() throws ReflectiveOperationException {
                    return ways[GET_SUBJECT].invoke(null, context);
                }
            });
        } catch (java.security.PrivilegedActionException e) {
            throw e.getException();
        }
    }

    /**
     * The subject's JMXPrincipal names (what the connector's authenticator found), comma-separated; its other
     * principals' names when it has none (a JAAS login module's).
     */
    private static String names(Subject subject) {
        StringBuilder jmx = new StringBuilder();
        StringBuilder other = new StringBuilder();
        for (Principal p : subject.getPrincipals()) {
            String name = p.getName();
            if (name == null || name.isEmpty()) {
                continue;
            }
            StringBuilder into = p instanceof JMXPrincipal ? jmx : other;
            into.append(into.length() == 0 ? "" : ",").append(name);
        }
        return jmx.length() > 0 ? jmx.toString() : other.toString();
    }
}
