package com.acme.tripwire.fix;

import io.jlivepatch.Next;
import io.jlivepatch.Replaces;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;

/**
 * A hostile patch of JDK methods that jlivepatch itself runs on its own paths (its log, its audit
 * file, its control socket's accept loop and sessions, the transition worker's bookkeeping): each
 * replacement runs the method's own code for the application, but throws wherever it finds itself
 * run by jlivepatch, on one of jlivepatch's threads or on the application's thread while it is
 * inside a call of jlivepatch's API (the driver names that thread in the system property
 * {@link #API}). Where it throws, it first notes where in a system property {@code tripwire.hit.<method>}
 * (its class loader is the boot loader's child: a system property is what both sides see).
 */
public final class TripwireFix {

    /** The system property (an object, not a string) that holds the thread inside a call of the API. */
    public static final String API = "tripwire.api";

    /**
     * The thread {@link #check} notes a hit on, while it does: the note's own calls of the patched
     * methods pass (not a ThreadLocal, whose methods are replaced too). Under TripwireFix.class.
     */
    private static Thread noting;

    private TripwireFix() {
    }

    /**
     * Throws where jlivepatch runs this replacement, after noting it as {@code key} with the stack;
     * as {@code key + ".inSelect"} where the control socket's accept loop waits for a command, in its
     * selector's select, which runs unmarked by design (ControlServer.next; OwnPathsTest).
     */
    private static void check(String key) {
        Thread t = Thread.currentThread();
        if (!t.getName().startsWith("jlivepatch") && System.getProperties().get(API) != t) {
            return;
        }
        synchronized (TripwireFix.class) {
            if (noting == t) {
                return;
            }
            if (inThreadExit()) {
                // The JDK's end of a thread, after jlivepatch's code has returned (Thread.exit's
                // TerminatingThreadLocal clean-up): the patch's on every thread, not jlivepatch's code.
                return;
            }
            noting = t;
            try {
                StringBuilder where = new StringBuilder(t.getName());
                for (StackTraceElement e : new Throwable().getStackTrace()) {
                    where.append("\n    at ").append(e);
                }
                System.getProperties().putIfAbsent(inSelect() ? key + ".inSelect" : key, where.toString());
            } finally {
                noting = null;
            }
        }
        throw new IllegalStateException(key);
    }

    private static boolean inSelect() {
        for (StackTraceElement e : new Throwable().getStackTrace()) {
            if (e.getClassName().equals("sun.nio.ch.SelectorImpl") && e.getMethodName().equals("lockAndDoSelect")) {
                return true;
            }
        }
        return false;
    }

    private static boolean inThreadExit() {
        for (StackTraceElement e : new Throwable().getStackTrace()) {
            if (e.getClassName().equals("java.lang.Thread") && e.getMethodName().equals("exit")) {
                return true;
            }
        }
        return false;
    }

    private static RuntimeException rethrown(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    @Replaces(target = "sun.nio.ch.ServerSocketChannelImpl", method = "accept",
            descriptor = "()Ljava/nio/channels/SocketChannel;")
    public static SocketChannel accept(ServerSocketChannel self, @Next MethodHandle next) throws java.io.IOException {
        check("tripwire.hit.ServerSocketChannelImpl.accept");
        try {
            return (SocketChannel) next.invokeExact(self);
        } catch (java.io.IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "sun.nio.ch.SocketChannelImpl", method = "read", descriptor = "(Ljava/nio/ByteBuffer;)I")
    public static int read(SocketChannel self, ByteBuffer b, @Next MethodHandle next) throws java.io.IOException {
        check("tripwire.hit.SocketChannelImpl.read");
        try {
            return (int) next.invokeExact(self, b);
        } catch (java.io.IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "sun.nio.ch.SocketChannelImpl", method = "write", descriptor = "(Ljava/nio/ByteBuffer;)I")
    public static int write(SocketChannel self, ByteBuffer b, @Next MethodHandle next) throws java.io.IOException {
        check("tripwire.hit.SocketChannelImpl.write");
        try {
            return (int) next.invokeExact(self, b);
        } catch (java.io.IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "sun.nio.ch.FileChannelImpl", method = "write", descriptor = "(Ljava/nio/ByteBuffer;)I")
    public static int write(FileChannel self, ByteBuffer b, @Next MethodHandle next) throws java.io.IOException {
        check("tripwire.hit.FileChannelImpl.write");
        try {
            return (int) next.invokeExact(self, b);
        } catch (java.io.IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.io.PrintStream", method = "write", descriptor = "([BII)V")
    public static void write(PrintStream self, byte[] b, int off, int len, @Next MethodHandle next) {
        check("tripwire.hit.PrintStream.write");
        try {
            next.invokeExact(self, b, off, len);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.util.logging.StreamHandler", method = "publish",
            descriptor = "(Ljava/util/logging/LogRecord;)V")
    public static void publish(StreamHandler self, LogRecord r, @Next MethodHandle next) {
        check("tripwire.hit.StreamHandler.publish");
        try {
            next.invokeExact(self, r);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.util.logging.SimpleFormatter", method = "format",
            descriptor = "(Ljava/util/logging/LogRecord;)Ljava/lang/String;")
    public static String format(SimpleFormatter self, LogRecord r, @Next MethodHandle next) {
        check("tripwire.hit.SimpleFormatter.format");
        try {
            return (String) next.invokeExact(self, r);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.io.DataOutputStream", method = "writeInt", descriptor = "(I)V")
    public static void writeInt(DataOutputStream self, int v, @Next MethodHandle next) throws java.io.IOException {
        check("tripwire.hit.DataOutputStream.writeInt");
        try {
            next.invokeExact(self, v);
        } catch (java.io.IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.io.DataInputStream", method = "readInt", descriptor = "()I")
    public static int readInt(DataInputStream self, @Next MethodHandle next) throws java.io.IOException {
        check("tripwire.hit.DataInputStream.readInt");
        try {
            return (int) next.invokeExact(self);
        } catch (java.io.IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.time.Instant", method = "toString", descriptor = "()Ljava/lang/String;")
    public static String toString(Instant self, @Next MethodHandle next) {
        check("tripwire.hit.Instant.toString");
        try {
            return (String) next.invokeExact(self);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.util.HashMap", method = "get", descriptor = "(Ljava/lang/Object;)Ljava/lang/Object;")
    public static Object get(HashMap<?, ?> self, Object key, @Next MethodHandle next) {
        check("tripwire.hit.HashMap.get");
        try {
            return (Object) next.invokeExact(self, key);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.util.ArrayList", method = "add", descriptor = "(Ljava/lang/Object;)Z")
    public static boolean add(ArrayList<?> self, Object e, @Next MethodHandle next) {
        check("tripwire.hit.ArrayList.add");
        try {
            return (boolean) next.invokeExact(self, e);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.lang.StringBuilder", method = "append",
            descriptor = "(Ljava/lang/String;)Ljava/lang/StringBuilder;")
    public static StringBuilder append(StringBuilder self, String s, @Next MethodHandle next) {
        check("tripwire.hit.StringBuilder.append");
        try {
            return (StringBuilder) next.invokeExact(self, s);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.lang.ThreadLocal", method = "get", descriptor = "()Ljava/lang/Object;")
    public static Object get(ThreadLocal<?> self, @Next MethodHandle next) {
        check("tripwire.hit.ThreadLocal.get");
        try {
            return (Object) next.invokeExact(self);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.lang.ThreadLocal", method = "set", descriptor = "(Ljava/lang/Object;)V")
    public static void set(ThreadLocal<?> self, Object value, @Next MethodHandle next) {
        check("tripwire.hit.ThreadLocal.set");
        try {
            next.invokeExact(self, value);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "java.util.HashMap", method = "put",
            descriptor = "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;")
    public static Object put(HashMap<?, ?> self, Object key, Object value, @Next MethodHandle next) {
        check("tripwire.hit.HashMap.put");
        try {
            return (Object) next.invokeExact(self, key, value);
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }

    @Replaces(target = "sun.nio.fs.AbstractWatchService", method = "poll",
            descriptor = "(JLjava/util/concurrent/TimeUnit;)Ljava/nio/file/WatchKey;")
    public static java.nio.file.WatchKey poll(java.nio.file.WatchService self, long timeout,
                                              java.util.concurrent.TimeUnit unit, @Next MethodHandle next)
            throws InterruptedException {
        check("tripwire.hit.AbstractWatchService.poll");
        try {
            return (java.nio.file.WatchKey) next.invokeExact(self, timeout, unit);
        } catch (InterruptedException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw rethrown(t);
        }
    }
}
