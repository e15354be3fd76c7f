package com.acme.selectstall;

import com.acme.selectstall.fix.StallingSelect;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.LocalChannel;
import io.jlivepatch.jar.Jars;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Main class of a fresh JVM: enables {@link StallingSelect}, so that the control socket's accepting
 * thread, woken once, stays in its select for good holding the selector's lock, then exits. Prints the
 * socket's path ({@code SOCKET <path>}) and {@code EXITING} before {@code System.exit(0)}: the test
 * looks at whether the JVM ended, and at the socket's file after.
 */
public final class StalledSelectExitDriver {

    /** Held strongly: java.util.logging forgets the level of a logger that is collected. */
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger("io.jlivepatch");

    private StalledSelectExitDriver() {
    }

    public static void main(String[] args) throws Exception {
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        Jars.classes(StallingSelect.class.getName()); // Jars' class initializer quiets jlivepatch: first
        LOG.setLevel(java.util.logging.Level.INFO);
        String socket = null;
        for (int i = 0; i < 3000 && (socket = System.getProperty(LocalChannel.PROPERTY)) == null; i++) {
            Thread.sleep(10); // the socket opens from a thread of jlivepatch's own
        }
        check(socket != null, "the control socket was never published");
        Path dir = Files.createTempDirectory("selectstall");
        Path jar = Jars.write(dir.resolve("stall.jar"), Jars.manifest("stall", StallingSelect.class.getName()),
                Jars.classes(StallingSelect.class.getName()));
        PatchHandle h = lp.load(jar);
        h.enable();
        System.setProperty(StallingSelect.STALL, "on");
        Thread accepting = null;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("jlivepatch-control")) {
                accepting = t;
            }
        }
        check(accepting != null, "no accepting thread");
        // Its select now is the original's: woken (an interrupt), it selects again, in the replacement
        for (int i = 0; i < 3000 && System.getProperty(StallingSelect.STALLED) == null; i++) {
            accepting.interrupt();
            Thread.sleep(10);
        }
        check(System.getProperty(StallingSelect.STALLED) != null, "the replacement never held the accepting thread");
        check(h.awaitTransition(Duration.ofSeconds(20)), "the enable's transition did not end");
        System.out.println("SOCKET " + socket);
        System.out.println("EXITING");
        System.out.flush();
        System.exit(0); // its hook closes the socket: before, it waited for the stalled select for good
    }

    private static void check(boolean ok, String failure) {
        if (!ok) {
            System.out.println("RESULT fail: " + failure);
            System.exit(1);
        }
    }
}
