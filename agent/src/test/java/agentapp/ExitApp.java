package agentapp;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ends its {@code main} once jlivepatch's threads that wait in native code are up (the control
 * socket's accept; with {@code watch}, the JDK's file-watch poller; with {@code session}, the thread
 * of a connection that sends nothing), and tells from a shutdown hook
 * of its own whether they ended during the JVM's shutdown: a thread still in native code when the
 * hooks are done holds the JVM's exit for 0.3 s (ExitIT).
 */
public final class ExitApp {

    private ExitApp() {
    }

    /** With {@code session}: a connection to the control socket, open to the end, that sends nothing. */
    private static java.nio.channels.SocketChannel idle;

    public static void main(String[] args) throws Exception {
        boolean watch = List.of(args).contains("watch");
        boolean session = List.of(args).contains("session");
        int expected = 1 + (watch ? 1 : 0) + (session ? 1 : 0);
        List<Thread> waiting = new ArrayList<>();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - until < 0) {
            waiting.clear();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                String name = t.getName();
                if (name.equals("jlivepatch-control") || (watch && name.startsWith("FileSystemWatch"))
                        || (session && name.equals("jlivepatch-control-session"))) {
                    waiting.add(t);
                }
            }
            // the control thread listens once the socket's path is published
            String socket = System.getProperty("jlivepatch.control");
            if (session && idle == null && socket != null) {
                idle = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket));
            }
            if (socket != null && waiting.size() == expected) {
                break;
            }
            Thread.sleep(10);
        }
        System.out.println("waiting threads: " + waiting.size());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // A liveness bound only: with jlivepatch's own hook they end at once.
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (Thread t : waiting) {
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                System.out.println((t.isAlive() ? "still running: " : "ended: ") + t.getName());
            }
        }));
    }
}
