package io.jlivepatch.agent.cli;

import io.jlivepatch.control.LivepatchMBean;
import io.jlivepatch.control.PatchMBean;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.control.Operations;
import io.jlivepatch.internal.control.SessionCalls;
import io.jlivepatch.internal.control.Wire;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The command's end of the agent's control socket ({@code internal.control.ControlServer}): the
 * published MBean interfaces, called over a UNIX domain socket that only the target's OS user can
 * open. Every call is bounded by the command's {@code --timeout} ({@link Deadline}); once one was
 * not answered in time, the connection is not trusted with another.
 */
final class ControlChannel implements AutoCloseable {

    /** A refusal of the target: its message starts with the reason. Unchecked, to pass through the proxies. */
    static class TargetRefusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TargetRefusal(String message) {
            super(message);
        }
    }

    /**
     * Marks a failure that says the patch a call named is not registered: the target's refusal of a
     * call on it ({@link NotRegisteredRefusal}), or the command's own look at the registered patches
     * ({@code TargetJvm.NoSuchPatch}). After a change of this command, it is another operation's
     * unregister, not an unknown outcome of that change ({@link #unregisteredSince}).
     */
    interface NotRegistered {
    }

    /** The target's refusal of a call on a patch that is not registered ({@link Wire#notRegistered}). */
    static final class NotRegisteredRefusal extends TargetRefusal implements NotRegistered {
        private static final long serialVersionUID = 1L;

        NotRegisteredRefusal(String message) {
            super(message);
        }
    }

    /**
     * The target stopped answering after this command's change had reached it: it may have changed,
     * so the command must not exit as refused (nothing changed); {@link Main} exits 4.
     */
    static final class OutcomeUnknown extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OutcomeUnknown(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The longest byte array the command accepts back; no reply of the interfaces carries one. */
    private static final long MAX_REPLY_BYTES = 0;

    private final long pid;
    private final long timeoutSeconds;
    private final SocketChannel socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final String version;
    // Written by the command's thread when a call times out; read on the same thread.
    private volatile boolean broken;
    /** The first call of this command that changed the target and was answered; the command's thread only. */
    private String changed;

    private ControlChannel(long pid, long timeoutSeconds, SocketChannel socket, DataInputStream in,
                           DataOutputStream out, String version) {
        this.pid = pid;
        this.timeoutSeconds = timeoutSeconds;
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.version = version;
    }

    /**
     * Connects to the socket the target published at {@code path}, a path in the target's own file
     * system: reached through {@code /proc/<pid>/root} where the target runs in another mount
     * namespace (a container), as the JDK's attach mechanism does.
     */
    static ControlChannel connect(long pid, String path, Deadline deadline, long timeoutSeconds) throws Exception {
        Path socketPath = reachable(pid, path);
        SocketChannel socket = deadline.run("connecting to its jlivepatch control socket", () ->
                SocketChannel.open(UnixDomainSocketAddress.of(socketPath)));
        try {
            String stranger = strangerServing(socket, pid);
            if (stranger != null) {
                throw new Refused("pid " + pid + " names " + socketPath + " as its jlivepatch control socket, but "
                        + stranger + ": refused, nothing was sent. A process can name any socket in its system"
                        + " properties; check what runs as pid " + pid);
            }
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(socket)));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(socket)));
            String version = deadline.run("greeting jlivepatch", () -> {
                IOException unsent = null;
                try {
                    out.writeInt(Wire.MAGIC);
                    out.writeLong(ProcessHandle.current().pid());
                    out.flush();
                } catch (IOException e) {
                    // A JVM with every place taken answers BUSY and closes before reading the greeting,
                    // and the greeting's write then fails: its answer is still there to read.
                    unsent = e;
                }
                int magic;
                try {
                    magic = in.readInt();
                } catch (IOException e) {
                    if (unsent != null) {
                        unsent.addSuppressed(e);
                        throw unsent;
                    }
                    throw e;
                }
                if (magic != Wire.MAGIC) {
                    // Another program of the same user (else strangerServing) at the path the JVM names.
                    throw new Refused(socketPath + " is not a jlivepatch control socket: what answers there does not"
                            + " speak jlivepatch's protocol; refused, no command was sent. pid " + pid + " names it"
                            + " as its jlivepatch control socket: check what runs as pid " + pid + " and which"
                            + " program serves " + socketPath);
                }
                String v = Wire.readString(in);
                if (v.isEmpty()) { // turned away before the session started
                    in.readByte();
                    throw new Refused(Text.clean(Wire.readString(in)));
                }
                return v;
            });
            return new ControlChannel(pid, timeoutSeconds, socket, in, out, version);
        } catch (Exception | Error e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Why the process serving {@code socket} cannot be the JVM of {@code pid}: its user, as the kernel
     * reports it ({@code SO_PEERCRED}), is not the user of {@code /proc/<pid>}; {@code null} when it
     * can, or when this system cannot tell. Without it a command run as root would act on whatever
     * JVM a process of another user names in its {@code jlivepatch.control} property.
     */
    static String strangerServing(SocketChannel socket, long pid) {
        String server;
        String owner;
        try {
            server = socket.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
            owner = Files.getOwner(Paths.get("/proc", Long.toString(pid))).getName();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null; // not Linux, or not allowed to look: the socket's private directory is the guard
        }
        return otherUser(server, owner, pid);
    }

    /** The refusal's reason when the socket's server runs as another user than the target, else {@code null}. */
    static String otherUser(String server, String targetOwner, long pid) {
        return server.equals(targetOwner) ? null : "that socket is served by a process of user '" + Text.clean(server)
                + "', and pid " + pid + " runs as '" + Text.clean(targetOwner) + "'";
    }

    /** {@code path} as this process reaches it: through the target's root where that is another file system. */
    static Path reachable(long pid, String path) {
        Path direct = Paths.get(path);
        Path root = Paths.get("/proc", Long.toString(pid), "root");
        try {
            if (Files.isDirectory(root) && !Files.isSameFile(root, Paths.get("/"))) {
                return Paths.get(root.toString(), path);
            }
        } catch (IOException | SecurityException cannotTell) {
            // not allowed to look at the target's root: it shares ours, or the connect says why
        }
        return direct;
    }

    String version() {
        return version;
    }

    LivepatchMBean livepatch() {
        return proxy(LivepatchMBean.class, "");
    }

    /** The calls on this connection itself, of no MBean ({@link SessionCalls}): an agent before them refuses them. */
    SessionCalls session() {
        return proxy(SessionCalls.class, "");
    }

    /** The MBean of patch {@code name}; a call for a patch that is not registered is refused by the target. */
    PatchMBean patch(String name) {
        return proxy(PatchMBean.class, name);
    }

    private <T> T proxy(Class<T> type, String object) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (p, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? type.getSimpleName() + " of pid " + pid
                                : method.getName().equals("hashCode") ? System.identityHashCode(p) : p == args[0];
                    }
                    return call(object, method, args == null ? new Object[0] : args);
                }));
    }

    private Object call(String object, Method method, Object[] args) throws Exception {
        if (broken) {
            throw new Deadline.NoAnswer("pid " + pid + " did not answer an earlier call in time; retry the command");
        }
        Deadline deadline = Deadline.in(pid, timeoutSeconds);
        boolean changing = changes(method);
        String operation = operation(method, args);
        AtomicBoolean sent = new AtomicBoolean();
        Object result;
        try {
            result = deadline.run("calling " + method.getName(), () -> exchange(object, method, args, sent));
        } catch (Deadline.NoAnswer late) {
            broken = true;
            // Closed before asking whether the call went out: its last byte, written only after the
            // mark (exchange), then never goes, and the target runs no call it did not read whole.
            close();
            throw unanswered(changing && sent.get(), operation, late.fact(), ", or may still", late);
        } catch (IOException e) {
            // The target's own words (a refusal, a failure's message) may echo what a client sent: cleaned
            // here, as TargetJvm.refusal cleans them when no change came before.
            throw unanswered(changing && sent.get(), operation, Text.clean(e.getMessage()), "", e);
        } catch (TargetRefusal refused) {
            throw afterChange(Text.clean(refused.getMessage()), refused); // a refusal of this call: it changed nothing
        } catch (Refused interrupted) {
            // Deadline's only refusal: this thread was interrupted while it waited for the answer. As a call not
            // answered in time: closed before the mark is read, so that a change not marked sent never goes; a
            // read after this command's change (the --wait loop's) is an unknown outcome, not exit 1 (nothing
            // changed), which it was before.
            broken = true;
            close();
            throw unanswered(changing && sent.get(), operation, Text.clean(interrupted.getMessage()), ", or may still",
                    interrupted);
        }
        if (changing && changed == null) {
            changed = operation;
        }
        return result;
    }

    /**
     * What a call that got no answer leaves: an {@link OutcomeUnknown} when it was a change that had
     * reached the target ({@code reached}: it may have taken effect{@code still}); else as
     * {@link #afterChange}.
     */
    private <E extends Exception> RuntimeException unanswered(boolean reached, String operation, String why,
                                                               String still, E cause) throws E {
        if (reached) {
            return new OutcomeUnknown(why + "; the " + operation + " had reached it, so it may have taken effect"
                    + still + ": " + lookFirst(), cause);
        }
        return afterChange(why, cause);
    }

    /**
     * {@code cause} as it is, when no earlier call of this command changed the target; else an
     * {@link OutcomeUnknown}: the command changed something, and must not exit as a refusal (which
     * says that nothing changed). Thrown as is by a checked {@code cause} too.
     *
     * @param why what was refused or failed, cleaned ({@link Text#clean}): a target's text may echo
     *            what a client sent, and the command's last guard, CleanWriter, keeps line feeds
     */
    <E extends Exception> RuntimeException afterChange(String why, E cause) throws E {
        if (changed == null) {
            throw cause;
        }
        return new OutcomeUnknown(why + "; this command's " + changed + " had taken effect before: " + lookFirst(),
                cause);
    }

    /**
     * Whether {@code t}, thrown by a call after this command's change had taken effect, says only that
     * the patch the call named is no longer registered: another operation (another operator, a JMX
     * client, a watch's reconcile) unregistered it since. The change's own outcome is known then; any
     * other failure (no answer, a closed connection, another refusal) leaves it unknown.
     */
    static boolean unregisteredSince(Throwable t) {
        Throwable c = t;
        while (c instanceof java.lang.reflect.UndeclaredThrowableException && c.getCause() != null) {
            c = c.getCause();
        }
        return c instanceof OutcomeUnknown && c.getCause() instanceof NotRegistered;
    }

    /**
     * Whether {@code t} (a refusal, after no change of this command) says only that the patch the call
     * named is not registered ({@link NotRegistered}): the target's refusal, or the command's own look.
     */
    static boolean notRegistered(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof NotRegistered) {
                return true;
            }
        }
        return false;
    }

    private String lookFirst() {
        return "run 'jlivepatch status " + pid + "' before anything else (the audit log records what was done)";
    }

    /** Whether {@code method} may change the target: every operation but the attributes' reads and the status. */
    static boolean changes(Method method) {
        return !Operations.reads(method.getName());
    }

    /** The operator's word for a call: {@code enable}, {@code disable}, {@code load}, or the method's name. */
    static String operation(Method method, Object[] args) {
        String operation = Operations.of(method.getName(), args);
        return operation != null ? operation : method.getName();
    }

    /**
     * One call at a time: the command's thread waits for each reply (Deadline) before the next call.
     * The call goes out but for its last byte, then {@code sent} is marked, then the last byte: a
     * call the target can have read whole, and so may run, is always marked (pairs with the close
     * before the mark is read in {@link #call}).
     */
    private synchronized Object exchange(String object, Method method, Object[] args, AtomicBoolean sent)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream call = new DataOutputStream(bytes);
        call.writeByte(Wire.CALL);
        Wire.writeString(call, object);
        Wire.writeString(call, method.getName());
        call.writeInt(args.length);
        Class<?>[] types = method.getParameterTypes();
        for (int i = 0; i < args.length; i++) {
            Wire.writeValue(call, types[i], args[i]);
        }
        byte[] whole = bytes.toByteArray();
        IOException unsent = null;
        try {
            out.write(whole, 0, whole.length - 1);
            out.flush();
            sent.set(true);
            out.write(whole[whole.length - 1]);
            out.flush();
        } catch (IOException e) {
            // A target that refuses a call before reading all of it (an argument a command of another
            // version sends in a form it cannot read) answers and closes, and the rest of the write
            // fails: its answer is still there to read, as the greeting's is (connect).
            unsent = e;
        }
        byte status;
        try {
            status = in.readByte();
        } catch (IOException e) {
            if (unsent != null) {
                // Neither sent nor answered: the target closed the connection (exited, say). The write's
                // own words alone ("Broken pipe") told the operator nothing about the JVM.
                unsent.addSuppressed(e);
                throw new IOException("pid " + pid + " closed the connection while this command was sending "
                        + method.getName() + " (the JVM may have exited, or failed to answer: out of memory, say): "
                        + unsent.getMessage(), unsent);
            }
            if (e instanceof java.nio.channels.ClosedChannelException) {
                throw e; // closed on this side (an interrupt, the command's own close): not the target's doing
            }
            throw new IOException("pid " + pid + " closed the connection without answering " + method.getName()
                    + " (the JVM may have exited, or failed to answer: out of memory, say)"
                    + (e instanceof EOFException ? "" : ": " + e.getMessage()), e);
        }
        if (status == Wire.OK) {
            return Wire.readValue(in, MAX_REPLY_BYTES);
        }
        String message = Wire.readString(in);
        if (status == Wire.REFUSED) {
            // Told apart by the words both ends take from Wire: the reason and the very name this call
            // named, which a patch's name (letters, digits, '_', '.', '-') cannot imitate.
            if (!object.isEmpty() && message.startsWith(Wire.notRegistered(object) + " (")) {
                throw new NotRegisteredRefusal(message);
            }
            throw new TargetRefusal(message);
        }
        throw new TargetFailure("pid " + pid + " failed the call " + method.getName() + ": " + message);
    }

    /**
     * The target answered the call as failed ({@link Wire#FAILED}): it said why, and the connection is still in
     * step. Also how an agent of 2026-12-01 to 2026-12-03 (b56864a2 until 3fe84f4a) answers a call it lacks.
     */
    static final class TargetFailure extends IOException {
        private static final long serialVersionUID = 1L;

        TargetFailure(String message) {
            super(message);
        }
    }

    @Override
    public void close() {
        try {
            socket.close(); // the target's session ends at the end of the stream
        } catch (IOException ignored) {
            // nothing left to close
        }
    }
}
