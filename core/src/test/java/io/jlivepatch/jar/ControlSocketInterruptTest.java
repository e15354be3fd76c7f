package io.jlivepatch.jar;

import io.jlivepatch.control.LocalChannel;
import io.jlivepatch.internal.control.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control socket's accepting thread interrupted again and again while commands connect
 * (application code that interrupts every thread): every command is greeted, the socket stays the
 * one at its path, and no descriptor is left open. Before, the accept was a blocking one, which an
 * interrupt closes (the socket was opened again at a new path each time), and a connection the JDK
 * accepted in the instant of the interrupt was neither returned nor closed: its command waited for a
 * hello until its timeout, and its descriptor stayed open in the JVM.
 */
class ControlSocketInterruptTest {

    private static final int CLIENTS = 200;
    /** A liveness bound only: a greeted command is answered at once. */
    private static final long HELLO_SECONDS = 30;

    @Test
    @Timeout(600)
    void commandsConnectingWhileTheAcceptingThreadIsInterruptedAreAllGreetedAndLeaveNoDescriptor() throws Exception {
        Jars.lp();
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Logger log = Logger.getLogger("io.jlivepatch");
        Level level = log.getLevel();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        log.setLevel(Level.ALL);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        Semaphore go = new Semaphore(0);
        Semaphore done = new Semaphore(0);
        Thread interrupter = null;
        try {
            String path = publishedPath();
            greet(reader, path, 0); // listening, and what a greeting uses loaded and open
            Thread accepting = acceptingThread();
            Random random = new Random(156);
            interrupter = new Thread(() -> {
                try {
                    while (true) {
                        go.acquire();
                        // Around the connect that follows each release: before it, in the accept of
                        // it, as the session starts, while the loop waits again (random spins).
                        spin(random.nextInt(4000));
                        accepting.interrupt();
                        spin(random.nextInt(4000));
                        accepting.interrupt();
                        done.release();
                    }
                } catch (InterruptedException end) {
                    // the test is over
                }
            }, "test-interrupter");
            interrupter.start();

            greet(reader, path, 1); // the threads above started, their descriptors (if any) open
            awaitNoSessions();
            long before = openDescriptors();
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < CLIENTS && failures.size() < 5; i++) {
                go.release();
                String failed = greetOrSay(reader, path, 1000 + i);
                if (failed != null) {
                    failures.add("client " + i + ": " + failed);
                }
                assertTrue(done.tryAcquire(HELLO_SECONDS, TimeUnit.SECONDS), "the interrupter ran");
                String now = System.getProperty(LocalChannel.PROPERTY);
                if (!path.equals(now)) {
                    failures.add("client " + i + ": the socket is at " + now + " now, not at " + path);
                    path = now;
                }
            }
            assertEquals(List.of(), failures, "every command greeted, on the one socket");

            // Every connection closed by both ends: the descriptors come back to their level.
            awaitNoSessions();
            long after = openDescriptors();
            for (int i = 0; i < 3000 && after > before; i++) {
                Thread.sleep(10);
                after = openDescriptors();
            }
            assertTrue(after <= before, "descriptors open: " + before + " before the commands, " + after
                    + " after they all ended");

            // A session's line, logged after everything the storm made anyone log, published in order.
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(UnixDomainSocketAddress.of(path));
            }
            awaitRecord(records, "closed before a command's hello");
            for (LogRecord r : records) {
                String m = String.valueOf(r.getMessage());
                boolean warned = r.getLevel().intValue() >= Level.WARNING.intValue()
                        && (m.contains("control socket") || m.contains("command's connection"));
                assertTrue(!m.contains("closed by an interrupt") && !warned, () -> "logged: " + r.getLevel() + " " + m);
            }
            assertTrue(Files.exists(Path.of(path)), "the socket's file is in place");
        } finally {
            if (interrupter != null) {
                interrupter.interrupt();
                interrupter.join(TimeUnit.SECONDS.toMillis(HELLO_SECONDS));
            }
            reader.shutdownNow();
            log.removeHandler(handler);
            log.setLevel(level);
        }
    }

    private static void spin(int n) {
        for (int i = 0; i < n; i++) {
            Thread.onSpinWait();
        }
    }

    private static String publishedPath() throws InterruptedException {
        String path = null;
        for (int i = 0; i < 3000 && (path = System.getProperty(LocalChannel.PROPERTY)) == null; i++) {
            Thread.sleep(10); // the socket opens from a thread of jlivepatch's own
        }
        assertTrue(path != null, "the control socket is published in " + LocalChannel.PROPERTY);
        return path;
    }

    private static Thread acceptingThread() {
        List<Thread> found = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("jlivepatch-control")) {
                found.add(t);
            }
        }
        assertEquals(1, found.size(), "one thread accepts: " + found);
        return found.get(0);
    }

    private static void greet(ExecutorService reader, String path, long pid) throws Exception {
        String failed = greetOrSay(reader, path, pid);
        assertTrue(failed == null, failed);
    }

    /**
     * Connects as a command does, sends its hello and reads the answer's (on {@code reader}, within
     * {@link #HELLO_SECONDS}), then closes; null when greeted, else what happened.
     */
    private static String greetOrSay(ExecutorService reader, String path, long pid) throws Exception {
        SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX);
        try (s) {
            try {
                s.connect(UnixDomainSocketAddress.of(path));
            } catch (IOException e) {
                return "could not connect (" + e + ")";
            }
            Future<String> hello = reader.submit(() -> {
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(s));
                out.writeInt(Wire.MAGIC);
                out.writeLong(pid);
                out.flush();
                DataInputStream in = new DataInputStream(Channels.newInputStream(s));
                if (in.readInt() != Wire.MAGIC) {
                    return "an answer that is not a hello";
                }
                String version = Wire.readString(in);
                return version.isEmpty() ? "refused: " + Wire.readString(in) : null;
            });
            try {
                return hello.get(HELLO_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                return "no hello within " + HELLO_SECONDS + " s";
            } catch (java.util.concurrent.ExecutionException e) {
                return "no hello: " + e.getCause();
            }
        } // the close also ends a read still waiting
    }

    /** The sessions' threads have ended, and with them their connections' descriptors. */
    private static void awaitNoSessions() throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            boolean any = false;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                any |= t.getName().equals("jlivepatch-control-session");
            }
            if (!any) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("a session of the control socket still runs after 30 s");
    }

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static void awaitRecord(List<LogRecord> records, String part) throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            for (LogRecord r : records) {
                if (String.valueOf(r.getMessage()).contains(part)) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no log record with '" + part + "' in 10 s");
    }
}
