package io.jlivepatch.agent;

import io.jlivepatch.internal.OwnThread;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Loads the classes that a start-up with patches loads before {@code main}, on a thread of its own
 * while premain's thread installs jlivepatch and loads the patches: jlivepatch's, ASM's and the
 * JDK's classes outside the CDS archive, read, parsed and defined about as fast as premain reaches
 * them, so that on a second CPU their loading overlaps premain's other work instead of adding to it
 * (BENCHMARKS.md section 4, session 27: 13 to 19 ms of a start-up with patches).
 *
 * <p>Loads only, never initializes: every class's initializer runs when premain first uses the class,
 * in the order it did without this thread, and nothing else of the class is observable earlier. The
 * names are the ones premain's own run loads ({@value #LIST}, written by the benchmarks'
 * {@code StartupClassList}); a name this JVM does not have (a class of another JDK release) is
 * skipped, and a class the list misses is loaded by premain as before. The boot loader's classes of
 * jlivepatch ({@code io.jlivepatch.internal.bootstrap}) are never loaded here: the agent JAR holds
 * them too, and a copy defined by the application's loader before premain puts them on the boot
 * class path would split the dispatch in two.
 */
final class StartupPreload extends OwnThread {

    /** The thread's name: jlivepatch's, and gone when premain returns (StartupPreloadIT). */
    static final String THREAD_NAME = "jlivepatch-preload";
    /** The resource beside this class that names the classes, one binary name a line, in load order. */
    static final String LIST = "startup-classes.txt";
    /** The package whose classes the boot loader must define (HookManager's boot JAR), never this thread. */
    static final String BOOT_PACKAGE = "io.jlivepatch.internal.bootstrap.";
    /** How long premain's end waits for the class being loaded when it ends: one class, far less in practice. */
    private static final long END_WAIT_MILLIS = 1_000;

    /** Set by premain's thread when it no longer needs the classes; read here between two classes. */
    private volatile boolean ended;

    private StartupPreload() {
        super(null, THREAD_NAME);
    }

    /**
     * Starts the thread; {@code null} when it cannot start (no native thread left, say): premain then
     * loads every class itself, as without it.
     */
    static StartupPreload begin() {
        try {
            StartupPreload preload = new StartupPreload();
            preload.start();
            return preload;
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            return null;
        }
    }

    /**
     * Ends the thread, once premain's installation has ended: the classes still to come are not
     * needed before {@code main}, and the application's {@code main} gets the CPU. Waits for the class
     * being loaded, so that no thread of jlivepatch's start-up runs on into the application's.
     */
    void end() {
        ended = true; // read by run() before each class
        boolean interrupted = false;
        long deadline = System.nanoTime() + END_WAIT_MILLIS * 1_000_000L;
        while (isAlive()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break; // a class load that does not end: the daemon thread ends with it, premain does not wait
            }
            try {
                join(Math.max(1, left / 1_000_000L));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt(); // premain's caller asked for it; not ours to swallow
        }
    }

    @Override
    public void run() {
        // Nothing here may fail the start-up or print: a class that does not load here is loaded by
        // premain, which reports whatever is wrong with it.
        try {
            String names = read();
            ClassLoader loader = StartupPreload.class.getClassLoader();
            int from = 0;
            while (from < names.length() && !ended) {
                int end = names.indexOf('\n', from);
                if (end < 0) {
                    end = names.length();
                }
                String name = names.substring(from, end).trim();
                from = end + 1;
                if (name.isEmpty() || name.startsWith(BOOT_PACKAGE)) {
                    continue;
                }
                try {
                    Class.forName(name, false, loader);
                } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
                    // another JDK release's class, one a security manager keeps from this thread, or
                    // one premain will report when it needs it
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            // no list (a JAR built without it), or out of memory: premain loads the classes itself
        }
    }

    private static String read() throws IOException {
        try (InputStream in = StartupPreload.class.getResourceAsStream(LIST)) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
