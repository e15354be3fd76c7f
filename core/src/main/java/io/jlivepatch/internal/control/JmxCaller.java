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
     * reflectively: the second is deprecated for removal and refused from JDK 24 on. Null elements where neither
     * is found.
     */
    private static final Method[] WAYS = ways();

    private JmxCaller() {
    }

    private static Method[] ways() {
        try {
            return new Method[] {Subject.class.getMethod("current"), null, null};
        } catch (NoSuchMethodException | RuntimeException | LinkageError jdk17) {
            try {
                Class<?> controller = Class.forName("java.security.AccessController");
                Class<?> context = Class.forName("java.security.AccessControlContext");
                return new Method[] {null, controller.getMethod("getContext"),
                        Subject.class.getMethod("getSubject", context)};
            } catch (ReflectiveOperationException | RuntimeException | LinkageError none) {
                return new Method[] {null, null, null};
            }
        }
    }

    /** {@code jmx}, or {@code jmx user <name>} for a call its connector authenticated. Never throws. */
    static String requester() {
        try {
            Subject subject = subject();
            String names = subject == null ? "" : names(subject);
            return names.isEmpty() ? Requester.JMX : Requester.JMX + " user " + names;
        } catch (RuntimeException | LinkageError | ReflectiveOperationException | VirtualMachineError e) {
            // The call goes on, only who asked less precise. VirtualMachineError too: the callers take the thread's
            // mark before this and give it back in a finally that begins after it (GuardedMBean).
            return Requester.JMX;
        }
    }

    private static Subject subject() throws ReflectiveOperationException {
        Object s;
        if (WAYS[0] != null) {
            s = WAYS[0].invoke(null);
        } else if (WAYS[1] != null) {
            s = WAYS[2].invoke(null, WAYS[1].invoke(null));
        } else {
            return null;
        }
        return s instanceof Subject ? (Subject) s : null;
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
