package launcher;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link LateLauncher} with jlivepatch's wait for start-up patches shortened to {@code args[1]} seconds
 * (the agent JAR is on the class path, so the attach's classes are these), and a thread that sits in
 * {@link #sit} for good from before the attach: a patch that holds that method never ends its transition.
 */
public final class ShortWaitLauncher {

    private ShortWaitLauncher() {
    }

    public static void main(String[] args) throws Exception {
        Method wait = Class.forName("io.jlivepatch.agent.WaitingStartupPatches")
                .getDeclaredMethod("waitForTests", Duration.class);
        wait.setAccessible(true);
        wait.invoke(null, Duration.ofSeconds(Long.parseLong(args[1])));
        CountDownLatch sitting = new CountDownLatch(1);
        Thread sitter = new Thread(() -> sit(sitting), "sitter");
        sitter.setDaemon(true);
        sitter.start();
        sitting.await(); // in sit() before anything is attached: on its stack for every transition to come
        LateLauncher.main(new String[] {args[0]});
    }

    static void sit(CountDownLatch sitting) {
        sitting.countDown();
        while (true) {
            LockSupport.park();
        }
    }
}
