package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;

import javax.management.Attribute;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * An {@link MBeanServerConnection} whose every call is bounded by the command's {@code --timeout}:
 * each runs on a {@link Deadline} of its own, so the MBean proxies made on it ({@code JMX.newMBeanProxy})
 * are bounded too, and no MBean call of the command can hang.
 */
final class TimedConnection {

    private final long pid;
    private final long timeoutSeconds;
    private final MBeanServerConnection connection;
    // Written by the command's thread when a call times out; read by close() on the same thread.
    private volatile boolean answeredInTime = true;

    TimedConnection(long pid, MBeanServerConnection raw, long timeoutSeconds) {
        this.pid = pid;
        this.timeoutSeconds = timeoutSeconds;
        this.connection = (MBeanServerConnection) Proxy.newProxyInstance(MBeanServerConnection.class.getClassLoader(),
                new Class<?>[] {MBeanServerConnection.class}, (proxy, method, args) -> call(raw, method, args));
    }

    MBeanServerConnection connection() {
        return connection;
    }

    long timeoutSeconds() {
        return timeoutSeconds;
    }

    /** Whether every call so far had its answer in time. */
    boolean answeredInTime() {
        return answeredInTime;
    }

    private Object call(MBeanServerConnection raw, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return method.invoke(raw, args); // toString, equals, hashCode: local
        }
        try {
            return Deadline.in(pid, timeoutSeconds).run(describe(method, args), () -> {
                try {
                    return method.invoke(raw, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
                }
            });
        } catch (Deadline.NoAnswer e) {
            answeredInTime = false;
            throw e;
        } catch (InvocationTargetException e) {
            throw e.getCause(); // an Error thrown by the call
        }
    }

    /** What a call does, for the message when it gets no answer: {@code reading Transition of patch 'p'}. */
    static String describe(Method method, Object[] args) {
        String target = args != null && args.length > 0 && args[0] instanceof ObjectName ? of((ObjectName) args[0]) : "";
        switch (method.getName()) {
            case "getAttribute":
                return "reading " + args[1] + target;
            case "setAttribute":
                return "setting " + ((Attribute) args[1]).getName() + target;
            case "invoke":
                return "calling " + args[1] + target;
            case "isRegistered":
                return "looking up" + (target.isEmpty() ? " an MBean" : target.substring(" of".length()));
            default:
                return "calling " + method.getName() + target;
        }
    }

    private static String of(ObjectName on) {
        String name = on.getKeyProperty("name");
        return name != null ? " of patch '" + Text.clean(name) + "'" : " of jlivepatch";
    }
}
