package io.jlivepatch.agent.cli;

import io.jlivepatch.control.WaitingThread;
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
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A transition whose every thread has moved but whose closing callback (postPatch, postUnpatch) still runs is
 * still running, as in the kernel: the target's Transition stays true until the callback returns. A command
 * whose --wait runs out then exits 3 and names the callback, where before it listed no thread at all and
 * offered a force, which cannot end a callback. A stand-in agent ({@link TargetJvm#standInSocketForTests})
 * answers as jlivepatch does while a postPatch blocks.
 */
class ClosingCallbackWaitTest {

    private static final String RUNNING = "postPatch of agentapp.Greeter in class loader app"
            + " (thread 'jlivepatch-transition' (id 31), running for 4 s)";

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

    /** Patch {@code fix}, whose transition never ends: its closing callback {@code closing} runs ("null": none). */
    private void standIn(boolean registered, boolean enabled, String closing) throws IOException {
        Path socket = dir.resolve("agent" + (++started) + ".sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        boolean[] state = {registered, enabled};
        Thread t = new Thread(() -> serve(state, closing), "stand-in agent");
        t.setDaemon(true);
        t.start();
        TargetJvm.standInSocketForTests = socket.toString();
    }

    private void serve(boolean[] state, String closing) {
        try (SocketChannel c = server.accept()) {
            DataInputStream in = new DataInputStream(Channels.newInputStream(c));
            DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
            in.readInt();
            in.readLong();
            out.writeInt(Wire.MAGIC);
            Wire.writeString(out, "stand-in (build " + io.jlivepatch.internal.OwnBuild.stamp() + ")");
            out.flush();
            while (in.readByte() == Wire.CALL) {
                Wire.readString(in);
                String method = Wire.readString(in);
                int n = in.readInt();
                Object[] args = new Object[n];
                for (int i = 0; i < n; i++) {
                    args[i] = Wire.readValue(in, Long.MAX_VALUE);
                }
                out.writeByte(Wire.OK);
                switch (method) {
                    case "getWatchedDirectory" -> Wire.writeValue(out, String.class, "");
                    case "statusJson" -> Wire.writeValue(out, String.class, "{\"patches\":[{\"name\":\"fix\","
                            + "\"description\":\"\",\"stackOrder\":1,\"enabled\":" + state[1] + ",\"transition\":true,"
                            + "\"lastCallbackFailure\":null,\"callbackFailures\":0,\"waiting\":[],"
                            + "\"transitionEndFailure\":null,\"closingCallback\":" + closing + ",\"functions\":[]}]}");
                    case "loadContent" -> {
                        state[0] = true;
                        state[1] = (Boolean) args[3];
                        Wire.writeValue(out, String.class, "fix");
                    }
                    case "getPatches" -> Wire.writeValue(out, String[].class,
                            state[0] ? new String[] {"fix"} : new String[0]);
                    case "isTransition" -> Wire.writeValue(out, boolean.class, true);
                    case "isEnabled" -> Wire.writeValue(out, boolean.class, state[1]);
                    case "setEnabled" -> {
                        state[1] = (Boolean) args[0];
                        Wire.writeValue(out, void.class, null);
                    }
                    case "getPendingClasses" -> Wire.writeValue(out, String[].class, new String[0]);
                    case "getFunctions" -> Wire.writeValue(out, String[].class,
                            new String[] {"a.B.c()V [app@1]: patched"});
                    case "getWaiting" -> Wire.writeValue(out, WaitingThread[].class, new WaitingThread[0]);
                    default -> throw new IOException("the stand-in has no answer to " + method);
                }
                out.flush();
            }
        } catch (IOException ended) {
            // the command closed the connection: the test is over
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

    @Test
    void aLoadWhosePostPatchStillRunsAtTheEndOfItsWaitExits3AndNamesTheCallback() throws Exception {
        standIn(false, false, io.jlivepatch.internal.control.Json.string(RUNNING));
        Run r = run("load", "--wait", "1", Long.toString(pid), patchJar().toString());
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", transition still running after 1 s;"
                + " waiting for:\n  the closing callback of 'fix': " + RUNNING + ": every thread has moved; the"
                + " transition ends when it returns\n  ('jlivepatch status " + pid + "' follows it; force cannot end a"
                + " callback)\n"), r.out());
        assertFalse(r.out().contains("complete") || r.out().contains("jlivepatch force"), r.out());
    }

    @Test
    void eachCommandThatWaitsNamesTheClosingCallbackThatHoldsItsTransition() throws Exception {
        String[][] commands = {
            {"enable", "--wait", "0", Long.toString(pid), "fix"},
            {"disable", "--wait", "0", Long.toString(pid), "fix"},
            {"unload", "--wait", "0", Long.toString(pid), "fix"},
        };
        for (String[] c : commands) {
            standIn(true, !c[0].equals("enable"), io.jlivepatch.internal.control.Json.string(RUNNING));
            Run r = run(c);
            assertEquals(Main.TRANSITION_RUNNING, r.code(), c[0] + ": " + r.out() + r.err());
            assertTrue(r.out().contains("transition still running after 0 s; waiting for:\n  the closing callback of"
                    + " 'fix': " + RUNNING + ": every thread has moved"), c[0] + ": " + r.out());
            release();
        }
    }

    /** No callback runs (or an agent before the field): the force the command offers, as before. */
    @Test
    void withoutAClosingCallbackTheCommandOffersForceAsBefore() throws Exception {
        standIn(true, true, "null");
        Run r = run("disable", "--wait", "0", Long.toString(pid), "fix");
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("waiting for:\n  ('jlivepatch status " + pid + "' follows it; 'jlivepatch force "
                + pid + " fix' ends it at once)"), r.out());
        assertNull(Transitions.closingCallback("{\"patches\":[{\"name\":\"fix\",\"description\":\"\","
                + "\"stackOrder\":1}]}", "fix"), "an agent before the field");
        assertNull(Transitions.closingCallback("{}", "fix"));
    }
}
