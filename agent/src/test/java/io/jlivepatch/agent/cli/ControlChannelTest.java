package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.control.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command's end of the control socket against a stand-in agent: every call is bounded by the
 * timeout, and refusals and failures come back as what they are.
 */
class ControlChannelTest {

    @TempDir
    Path dir;

    private final CountDownLatch never = new CountDownLatch(1);
    private ServerSocketChannel server;

    @AfterEach
    void release() throws IOException {
        never.countDown();
        if (server != null) {
            server.close();
        }
    }

    /** The stand-in's answer to each call: it reads the call, then writes what this does. */
    @FunctionalInterface
    interface Answer {
        void reply(String method, DataOutputStream out) throws Exception;
    }

    private String serve(Answer answer) throws IOException {
        return serve(answer, "c.sock");
    }

    /** A second stand-in, after the first has closed. */
    private String serveAgain(Answer answer) throws IOException {
        server.close();
        return serve(answer, "c2.sock");
    }

    private String serve(Answer answer, String name) throws IOException {
        Path socket = dir.resolve(name);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(() -> {
            try (SocketChannel c = server.accept()) {
                DataInputStream in = new DataInputStream(Channels.newInputStream(c));
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
                assertEquals(Wire.MAGIC, in.readInt());
                in.readLong();
                out.writeInt(Wire.MAGIC);
                Wire.writeString(out, "test-version");
                out.flush();
                while (in.readByte() == Wire.CALL) {
                    Wire.readString(in);
                    String method = Wire.readString(in);
                    int n = in.readInt();
                    for (int i = 0; i < n; i++) {
                        Wire.readValue(in, Long.MAX_VALUE);
                    }
                    answer.reply(method, out);
                    out.flush();
                }
            } catch (Exception ended) {
                // the test is over
            }
        }, "stand-in agent");
        t.setDaemon(true);
        t.start();
        return socket.toString();
    }

    private ControlChannel connect(String socket, long timeoutSeconds) throws Exception {
        long self = ProcessHandle.current().pid();
        return ControlChannel.connect(self, socket, Deadline.in(self, timeoutSeconds), timeoutSeconds);
    }

    @Test
    void aSocketServedByAnotherUserThanTheTargetsIsRefused() throws Exception {
        assertEquals(null, ControlChannel.otherUser("alice", "alice", 7));
        String why = ControlChannel.otherUser("root", "nobody", 7);
        assertTrue(why.contains("served by a process of user 'root'") && why.contains("pid 7 runs as 'nobody'"), why);
        // this process serving, this process the target: the same user, so not refused
        Path path = dir.resolve("peer.sock");
        try (ServerSocketChannel listening = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listening.bind(UnixDomainSocketAddress.of(path));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path));
                 SocketChannel accepted = listening.accept()) {
                assertEquals(null, ControlChannel.strangerServing(client, ProcessHandle.current().pid()));
            }
        }
    }

    @Test
    void answersRefusalsAndFailuresComeBackAsWhatTheyAre() throws Exception {
        String socket = serve((method, out) -> {
            switch (method) {
                case "getPatches":
                    out.writeByte(Wire.OK);
                    Wire.writeValue(out, String[].class, new String[] {"fix-a", "fix-b"});
                    break;
                case "load":
                    out.writeByte(Wire.REFUSED);
                    Wire.writeString(out, "UNTRUSTED: patch JAR /x.jar is not signed");
                    break;
                default:
                    out.writeByte(Wire.FAILED);
                    Wire.writeString(out, "java.lang.NullPointerException");
            }
        });
        try (ControlChannel channel = connect(socket, 30)) {
            assertEquals("test-version", channel.version());
            assertArrayEquals(new String[] {"fix-a", "fix-b"}, channel.livepatch().getPatches());
            ControlChannel.TargetRefusal refused = assertThrows(ControlChannel.TargetRefusal.class,
                    () -> channel.livepatch().load("/x.jar", true));
            assertEquals("UNTRUSTED: patch JAR /x.jar is not signed", refused.getMessage());
            UndeclaredThrowableException failed = assertThrows(UndeclaredThrowableException.class,
                    () -> channel.livepatch().statusText());
            assertInstanceOf(IOException.class, failed.getCause());
            assertTrue(failed.getCause().getMessage().contains("failed the call statusText:"
                    + " java.lang.NullPointerException"), failed.getCause().getMessage());
        }
    }

    /**
     * A target that refuses a call before it has read all of it (an argument a command of another
     * version sends in a form it cannot read) answers and closes: the rest of the call's write then
     * fails, and the answer, already sent, is what the command reports, not the broken pipe.
     */
    @Test
    void aRefusalSentBeforeTheWholeCallWasReadIsReportedNotTheFailedWrite() throws Exception {
        Path path = dir.resolve("r.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        String why = "UNSUPPORTED: an argument of a type this agent does not know; refused, nothing was run";
        Thread t = new Thread(() -> {
            try (SocketChannel c = server.accept()) {
                DataInputStream in = new DataInputStream(Channels.newInputStream(c));
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
                in.readInt();
                in.readLong();
                out.writeInt(Wire.MAGIC);
                Wire.writeString(out, "test-version");
                out.flush();
                in.readByte(); // CALL
                Wire.readString(in);
                Wire.readString(in);
                in.readInt(); // and not the arguments: refused here, and closed with them unread
                out.writeByte(Wire.REFUSED);
                Wire.writeString(out, why);
                out.flush();
            } catch (IOException ended) {
                // the test is over
            }
        }, "stand-in agent");
        t.setDaemon(true);
        t.start();
        byte[] content = new byte[32 << 20]; // far more than the socket's buffers: the write is still going on
        try (ControlChannel channel = connect(path.toString(), 30)) {
            ControlChannel.TargetRefusal refused = assertThrows(ControlChannel.TargetRefusal.class,
                    () -> channel.livepatch().loadContent(content, "00", "/x.jar", true, false));
            assertEquals(why, refused.getMessage());
        }
    }

    @Test
    void aCallThatIsNeverAnsweredEndsAtTheTimeoutAndTheConnectionIsNotUsedAgain() throws Exception {
        String socket = serve((method, out) -> never.await());
        try (ControlChannel channel = connect(socket, 1)) {
            Deadline.NoAnswer late = assertThrows(Deadline.NoAnswer.class, () -> channel.livepatch().getPatches());
            assertTrue(late.getMessage().endsWith("did not answer within 1 s (while calling getPatches); the JVM may be"
                    + " stopped or overloaded; retry with a larger --timeout"), late.getMessage());
            Deadline.NoAnswer again = assertThrows(Deadline.NoAnswer.class, () -> channel.livepatch().getVersion());
            assertTrue(again.getMessage().contains("did not answer an earlier call in time"), again.getMessage());
        }
    }

    /**
     * A change that reached the target and got no answer, in time or at all, may have taken effect:
     * not a refusal (which says nothing changed) but an unknown outcome that says to look first.
     */
    @Test
    void aChangeThatReachedTheTargetButGotNoAnswerHasAnUnknownOutcome() throws Exception {
        String socket = serve((method, out) -> never.await());
        try (ControlChannel channel = connect(socket, 1)) {
            ControlChannel.OutcomeUnknown late = assertThrows(ControlChannel.OutcomeUnknown.class,
                    () -> channel.patch("fix-a").setEnabled(false));
            assertTrue(late.getMessage().contains("did not answer within 1 s (while calling setEnabled)")
                    && late.getMessage().contains("the disable had reached it, so it may have taken effect, or may"
                    + " still: run 'jlivepatch status " + ProcessHandle.current().pid() + "' before anything else")
                    && !late.getMessage().contains("retry"), late.getMessage());
        }
    }

    @Test
    void aChangeWhoseConnectionClosesBeforeItsAnswerHasAnUnknownOutcomeAReadIsAFailure() throws Exception {
        String socket = serve((method, out) -> {
            throw new IOException("the stand-in closes without answering " + method);
        });
        try (ControlChannel channel = connect(socket, 30)) {
            ControlChannel.OutcomeUnknown closed = assertThrows(ControlChannel.OutcomeUnknown.class,
                    () -> channel.livepatch().load("/x.jar", true));
            assertTrue(closed.getMessage().contains("closed the connection without answering load (the JVM may have"
                    + " exited, or failed to answer: out of memory, say)")
                    && closed.getMessage().contains("the load had reached it, so it may have taken effect: run"),
                    closed.getMessage());
        }
        try (ControlChannel channel = connect(serveAgain((method, out) -> {
            throw new IOException("closes");
        }), 30)) {
            UndeclaredThrowableException read = assertThrows(UndeclaredThrowableException.class,
                    () -> channel.livepatch().statusText());
            assertTrue(read.getCause().getMessage().contains("closed the connection without answering statusText"),
                    read.getCause().getMessage());
        }
    }

    /**
     * A change answered, then the target exits (closes its end) before the command's next call: the
     * write fails ("Broken pipe"), and the command says that the JVM closed the connection, not only
     * the write's own words (a kill -9 during 'load --wait' printed "unknown outcome: Broken pipe; ...").
     */
    @Test
    void aCallWhoseWriteFailsBecauseTheTargetClosedSaysSo() throws Exception {
        Path path = dir.resolve("gone.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        CountDownLatch closed = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try (SocketChannel c = server.accept()) {
                DataInputStream in = new DataInputStream(Channels.newInputStream(c));
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
                in.readInt();
                in.readLong();
                out.writeInt(Wire.MAGIC);
                Wire.writeString(out, "test-version");
                out.flush();
                in.readByte(); // CALL
                Wire.readString(in);
                Wire.readString(in);
                int n = in.readInt();
                for (int i = 0; i < n; i++) {
                    Wire.readValue(in, Long.MAX_VALUE);
                }
                out.writeByte(Wire.OK);
                Wire.writeValue(out, void.class, null);
                out.flush();
            } catch (IOException ended) {
                // the test is over
            } finally {
                closed.countDown(); // the stand-in "exits": its end of the connection is closed
            }
        }, "stand-in agent");
        t.setDaemon(true);
        t.start();
        byte[] content = new byte[8 << 20]; // more than the socket's buffers: the write cannot end in them
        try (ControlChannel channel = connect(path.toString(), 30)) {
            channel.patch("fix-a").setEnabled(true);
            assertTrue(closed.await(10, java.util.concurrent.TimeUnit.SECONDS));
            ControlChannel.OutcomeUnknown gone = assertThrows(ControlChannel.OutcomeUnknown.class,
                    () -> channel.livepatch().loadContent(content, "00", "/x.jar", true, false));
            assertTrue(gone.getMessage().startsWith("pid " + ProcessHandle.current().pid() + " closed the connection"
                    + " while this command was sending loadContent (the JVM may have exited")
                    && gone.getMessage().contains("this command's enable had taken effect before"), gone.getMessage());
        }
    }

    /** A change answered, then a read that gets no answer: the command changed the target already. */
    @Test
    void aReadThatGetsNoAnswerAfterAnAnsweredChangeHasAnUnknownOutcome() throws Exception {
        String socket = serve((method, out) -> {
            if (method.equals("setEnabled")) {
                out.writeByte(Wire.OK);
                Wire.writeValue(out, void.class, null);
            } else {
                never.await();
            }
        });
        try (ControlChannel channel = connect(socket, 1)) {
            channel.patch("fix-a").setEnabled(false);
            ControlChannel.OutcomeUnknown late = assertThrows(ControlChannel.OutcomeUnknown.class,
                    () -> channel.patch("fix-a").isTransition());
            assertTrue(late.getMessage().contains("(while calling isTransition)")
                    && late.getMessage().contains("this command's disable had taken effect before"), late.getMessage());
        }
        // a refusal after an answered change (unregistered meanwhile by another, say): not exit 1 either
        try (ControlChannel channel = connect(serveAgain((method, out) -> {
            if (method.equals("setEnabled")) {
                out.writeByte(Wire.OK);
                Wire.writeValue(out, void.class, null);
            } else {
                out.writeByte(Wire.REFUSED);
                Wire.writeString(out, "ILLEGAL_STATE: patch 'fix-a' is enabled: disable it before unregistering it");
            }
        }), 30)) {
            channel.patch("fix-a").setEnabled(false);
            ControlChannel.OutcomeUnknown refused = assertThrows(ControlChannel.OutcomeUnknown.class,
                    () -> channel.patch("fix-a").unregister());
            assertTrue(refused.getMessage().startsWith("ILLEGAL_STATE: patch 'fix-a' is enabled")
                    && refused.getMessage().contains("this command's disable had taken effect before"),
                    refused.getMessage());
        }
        assertTrue(ControlChannel.changes(io.jlivepatch.control.PatchMBean.class.getMethod("force")));
        assertTrue(ControlChannel.changes(io.jlivepatch.control.LivepatchMBean.class.getMethod("watch", String.class,
                long.class, long.class)));
        assertTrue(!ControlChannel.changes(io.jlivepatch.control.LivepatchMBean.class.getMethod("statusJson")));
        assertTrue(!ControlChannel.changes(io.jlivepatch.control.PatchMBean.class.getMethod("getWaiting")));
    }

    /**
     * A target's refusal or failure echoes what a client sent (a patch name, a path): once an earlier
     * change of the command makes it an unknown outcome, its text is escaped as every refusal the
     * command prints is (TargetJvm.refusal), line feeds included, which the last guard (CleanWriter)
     * keeps as line ends: a forged line, an escape sequence or a bidi override would reach the
     * operator's terminal as it came.
     */
    @Test
    void aTargetsTextInAnUnknownOutcomeIsEscaped() throws Exception {
        String hostile = "x\n2030-01-01T00:00:00Z jlivepatch: done\u001b[2J\u202etxt";
        String socket = serve((method, out) -> {
            if (method.equals("setEnabled")) {
                out.writeByte(Wire.OK);
                Wire.writeValue(out, void.class, null);
            } else if (method.equals("unregister")) {
                out.writeByte(Wire.REFUSED);
                Wire.writeString(out, "ILLEGAL_STATE: no patch '" + hostile + "' is registered");
            } else {
                out.writeByte(Wire.FAILED);
                Wire.writeString(out, "java.lang.IllegalStateException: " + hostile);
            }
        });
        try (ControlChannel channel = connect(socket, 30)) {
            channel.patch("fix-a").setEnabled(false);
            ControlChannel.OutcomeUnknown refused = assertThrows(ControlChannel.OutcomeUnknown.class,
                    () -> channel.patch(hostile).unregister());
            assertTrue(refused.getMessage().startsWith("ILLEGAL_STATE: no patch 'x\\n2030-01-01T00:00:00Z jlivepatch:"
                    + " done\\e[2J\\u202etxt' is registered; this command's disable had taken effect before"),
                    refused.getMessage());
            ControlChannel.OutcomeUnknown failed = assertThrows(ControlChannel.OutcomeUnknown.class,
                    () -> channel.livepatch().statusText());
            assertTrue(failed.getMessage().contains("failed the call statusText: java.lang.IllegalStateException:"
                    + " x\\n2030-01-01T00:00:00Z jlivepatch: done\\e[2J\\u202etxt; this command's disable had"
                    + " taken effect before"), failed.getMessage());
            for (String said : new String[] {refused.getMessage(), failed.getMessage()}) {
                assertTrue(said.chars().noneMatch(c -> Character.isISOControl(c) || c == '\u202e'), said);
            }
        }
    }

    @Test
    void aSocketThatIsNotJlivepatchsIsRefused() throws Exception {
        Path socket = dir.resolve("other.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(() -> {
            try (SocketChannel c = server.accept()) {
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
                out.writeInt(0x48545450); // "HTTP"
                out.flush();
                never.await();
            } catch (Exception ended) {
                // the test is over
            }
        });
        t.setDaemon(true);
        t.start();
        Refused e = assertThrows(Refused.class, () -> connect(socket.toString(), 30));
        assertTrue(e.getMessage().contains(socket + " is not a jlivepatch control socket: what answers there does not"
                + " speak jlivepatch's protocol; refused, no command was sent. pid "), e.getMessage());
        assertTrue(e.getMessage().endsWith(": check what runs as pid " + ProcessHandle.current().pid()
                + " and which program serves " + socket), e.getMessage());
    }
}
