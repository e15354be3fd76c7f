package io.jlivepatch.agent.cli;

import io.jlivepatch.control.WaitingThread;
import io.jlivepatch.internal.control.Json;
import io.jlivepatch.internal.control.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The status reads a change command makes around its change, for the note of a force by another operation
 * and the warning of a failed callback (CallbackFailures). A status lists every function of every patch,
 * and each read before the change is one more that can fail and refuse a change that would have worked:
 * enable, disable and unload read it twice before their change and twice after (once per mark); unload of a
 * patch disabled already, which runs no callback, read it twice and was refused (exit 1) by a status that
 * could not be read; force, the command for a transition that will not end, was refused by it too, and
 * exited 4 (unknown outcome) after "transition forced" when the read after it failed. A stand-in agent
 * ({@link TargetJvm#standInSocketForTests}) answers as the agent does and counts the reads.
 */
class ChangeStatusReadsTest {

    private static final String FAILURE = "postPatch of a.B in class loader app threw"
            + " java.lang.IllegalStateException: x";
    private static final String WARNING = "  warning: a callback of the patch failed: " + FAILURE;

    @TempDir
    Path dir;

    private ServerSocketChannel server;
    private final long pid = ProcessHandle.current().pid();
    private int started;

    @AfterEach
    void release() throws IOException {
        TargetJvm.standInSocketForTests = null;
        if (server != null) {
            server.close();
        }
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Patch fix's status: its callbacks have failed {@code failures} times, the last {@link #FAILURE}. */
    private static String status(long failures) {
        return "{\"pid\":1,\"patches\":[{\"name\":\"fix\",\"description\":\"d\",\"stackOrder\":1,\"enabled\":true,"
                + "\"transition\":false,\"forced\":false,\"cumulative\":false,\"states\":[],\"callbacks\":[\"a.B\"],"
                + "\"lastCallbackFailure\":" + (failures == 0 ? "null" : Json.string(FAILURE))
                + ",\"callbackFailures\":" + failures + ",\"provenance\":{}}]}";
    }

    /**
     * A stand-in for jlivepatch in a target with one patch, {@code fix}; its transitions end at once, and
     * its status says a callback failed once a change has come (the change's postPatch or postUnpatch).
     */
    private final class StandIn {
        final List<String> registered = new ArrayList<>();
        boolean enabled;
        /** The target's refusal of every status read, or null. */
        String statusRefusal;
        /** Which status read the target closes the connection at without answering (1: the first), or 0. */
        int closeAtStatus;
        /** Whether a change (load, setEnabled, force) has come: the callback failed in it. */
        boolean changed;
        private final List<String> calls = new ArrayList<>();

        void start() throws IOException {
            Path socket = dir.resolve("agent" + (++started) + ".sock");
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread t = new Thread(this::serve, "stand-in agent");
            t.setDaemon(true);
            t.start();
            TargetJvm.standInSocketForTests = socket.toString();
        }

        private void serve() {
            try (SocketChannel c = server.accept()) {
                DataInputStream in = new DataInputStream(Channels.newInputStream(c));
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
                in.readInt();
                in.readLong();
                out.writeInt(Wire.MAGIC);
                Wire.writeString(out, "stand-in (build " + io.jlivepatch.internal.OwnBuild.stamp() + ")");
                out.flush();
                while (in.readByte() == Wire.CALL) {
                    String object = Wire.readString(in);
                    String method = Wire.readString(in);
                    int n = in.readInt();
                    Object[] args = new Object[n];
                    for (int i = 0; i < n; i++) {
                        args[i] = Wire.readValue(in, Long.MAX_VALUE);
                    }
                    int reads;
                    synchronized (this) { // read by the test's thread after the command has ended
                        calls.add(method);
                        reads = Collections.frequency(calls, "statusJson");
                    }
                    if (method.equals("statusJson") && reads == closeAtStatus) {
                        return; // closes without an answer
                    }
                    if (method.equals("statusJson") && statusRefusal != null) {
                        out.writeByte(Wire.REFUSED);
                        Wire.writeString(out, statusRefusal);
                    } else {
                        answer(object, method, args, reads, out);
                    }
                    out.flush();
                }
            } catch (IOException ended) {
                // the command closed the connection: the test is over
            }
        }

        private void answer(String object, String method, Object[] args, int reads, DataOutputStream out)
                throws IOException {
            if (!object.isEmpty() && !registered.contains(object)) {
                out.writeByte(Wire.REFUSED);
                Wire.writeString(out, Wire.notRegistered(object) + " (registered: none)");
                return;
            }
            out.writeByte(Wire.OK);
            switch (method) {
                case "getWatchedDirectory" -> Wire.writeValue(out, String.class, "");
                case "statusJson" -> Wire.writeValue(out, String.class, status(changed ? 1 : 0));
                case "loadContent" -> {
                    registered.add("fix");
                    enabled = (Boolean) args[3];
                    changed = true;
                    Wire.writeValue(out, String.class, "fix");
                }
                case "getPatches" -> Wire.writeValue(out, String[].class, registered.toArray(new String[0]));
                case "isTransition" -> Wire.writeValue(out, boolean.class, false);
                case "isEnabled" -> Wire.writeValue(out, boolean.class, enabled);
                case "setEnabled" -> {
                    enabled = (Boolean) args[0];
                    changed = true;
                    Wire.writeValue(out, void.class, null);
                }
                case "force" -> {
                    changed = true;
                    Wire.writeValue(out, void.class, null);
                }
                case "unregister" -> {
                    registered.remove(object);
                    Wire.writeValue(out, void.class, null);
                }
                case "getPendingClasses" -> Wire.writeValue(out, String[].class, new String[0]);
                case "getFunctions" -> Wire.writeValue(out, String[].class, new String[] {"a.B.c()V [app@1]: patched"});
                case "getWaiting" -> Wire.writeValue(out, WaitingThread[].class, new WaitingThread[0]);
                default -> throw new IOException("the stand-in has no answer to " + method);
            }
        }

        synchronized int statusReads() {
            return Collections.frequency(calls, "statusJson");
        }

        synchronized List<String> calls() {
            return new ArrayList<>(calls);
        }
    }

    private Path patchJar() throws IOException {
        Path jar = dir.resolve("fix.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "fix");
        m.getMainAttributes().putValue("Livepatch-Class", "a.Fix");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
            out.flush();
        }
        return jar;
    }

    /** One read before the change (none for load: a new registration) and one after, with the warning. */
    @Test
    void eachChangeReadsTheStatusOnceBeforeAndOnceAfterAndWarnsOfTheFailedCallback() throws Exception {
        String[][] commands = {
            {"enable", "enabled in pid " + pid + ", patching complete"},
            {"disable", "disabled in pid " + pid + ", unpatching complete"},
            {"unload", "disabled and unregistered in pid " + pid + ", unpatching complete"},
            {"force", "transition forced in pid " + pid},
        };
        for (String[] c : commands) {
            StandIn agent = new StandIn();
            agent.registered.add("fix");
            agent.enabled = !c[0].equals("enable");
            agent.start();
            Run r = run(c[0], Long.toString(pid), "fix");
            String what = c[0] + ": " + r.out() + r.err() + agent.calls();
            assertEquals(Main.DONE, r.code(), what);
            assertTrue(r.out().startsWith("'fix': " + c[1]), what);
            assertTrue(r.out().contains(WARNING), what);
            assertEquals(2, agent.statusReads(), what);
            release();
        }
        StandIn agent = new StandIn();
        agent.start();
        Run r = run("load", Long.toString(pid), patchJar().toString());
        String what = "load: " + r.out() + r.err() + agent.calls();
        assertEquals(Main.DONE, r.code(), what);
        assertTrue(r.out().contains(WARNING), what); // a new registration: every failure counted is the load's
        assertEquals(1, agent.statusReads(), what);
    }

    /** A patch disabled already: unload runs none of its callbacks, and no status read may refuse it. */
    @Test
    void anUnloadOfADisabledPatchReadsNoStatusSoAnUnreadableOneCannotRefuseIt() throws Exception {
        StandIn agent = new StandIn();
        agent.registered.add("fix");
        agent.statusRefusal = "ILLEGAL_STATE: status could not be read";
        agent.start();
        Run r = run("unload", Long.toString(pid), "fix");
        String what = r.out() + r.err() + agent.calls();
        assertEquals(Main.DONE, r.code(), what);
        assertTrue(r.out().startsWith("'fix': unregistered in pid " + pid + ", done in "), what);
        assertEquals(0, agent.statusReads(), what);
        assertFalse(agent.registered.contains("fix"), what);
    }

    /** force is made whether or not the status around it can be read, says it, and exits 0 with a note. */
    @Test
    void aForceIsMadeAndExits0WhenTheStatusBeforeOrAfterItCannotBeRead() throws Exception {
        for (int at : new int[] {0, 2}) { // 0: every read refused; 2: the read after the force, no answer
            StandIn agent = new StandIn();
            agent.registered.add("fix");
            agent.enabled = true;
            if (at == 0) {
                agent.statusRefusal = "ILLEGAL_STATE: status could not be read";
            } else {
                agent.closeAtStatus = at;
            }
            agent.start();
            Run r = run("force", Long.toString(pid), "fix");
            String what = at + ": " + r.out() + r.err() + agent.calls();
            assertEquals(Main.DONE, r.code(), what);
            assertTrue(agent.calls().contains("force"), what);
            assertEquals("'fix': transition forced in pid " + pid + System.lineSeparator(), r.out(), what);
            assertTrue(r.err().startsWith("jlivepatch: note: whether a callback of the patch failed in the force was"
                    + " not read (" + (at == 0 ? "ILLEGAL_STATE: status could not be read" : "pid " + pid
                    + " closed the connection without answering statusJson")), what);
            assertTrue(r.err().endsWith("'jlivepatch status " + pid + "' shows its last callback failure"
                    + System.lineSeparator()), what);
            release();
        }
    }
}
