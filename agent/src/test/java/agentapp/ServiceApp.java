package agentapp;

import java.io.BufferedReader;
import java.io.InputStreamReader;

/**
 * A long-running application for the command-line tests: it answers each "call" line on stdin
 * with the current result of {@link Greeter#greet}, and ends at "quit" or end of input. "flood"
 * starts a thread that writes 4 MB to standard error in one call (more than any pipe holds: with a
 * reader that reads nothing, the write never ends and holds standard error), "flooded?" says
 * whether that write has ended. "open" opens {@link Gate}; "hold-closing" makes each transition's end wait at it in its
 * closing steps, no callback running (PatchRegistry.holdClosingForTests). "agent" answers once the agent's installation, which without
 * start-up patches runs on a thread of its own after main started, has ended: "agent: installed"
 * (its control socket is open), "agent: failed" or "agent: no outcome in 60 s".
 */
public final class ServiceApp {

    public static void main(String[] args) throws Exception {
        Greeter g = new Greeter();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch flooded = new java.util.concurrent.CountDownLatch(1);
        System.out.println("ready");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit")) {
            if (line.equals("hold")) {
                Thread holder = new Thread(() -> {
                    try {
                        Greeter.hold(release);
                    } catch (InterruptedException ignored) {
                        // ends the thread
                    }
                }, "holder");
                holder.setDaemon(true);
                holder.start();
                while (holder.getState() != Thread.State.WAITING) {
                    Thread.onSpinWait();
                }
                System.out.println("holding");
                System.out.flush();
            } else if (line.equals("flood")) {
                java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
                Thread flood = new Thread(() -> {
                    byte[] block = new byte[4 << 20];
                    java.util.Arrays.fill(block, (byte) 'f');
                    writing.countDown();
                    System.err.write(block, 0, block.length);
                    System.err.flush();
                    flooded.countDown();
                }, "flood");
                flood.setDaemon(true);
                flood.start();
                writing.await();
                System.out.println("flooding");
                System.out.flush();
            } else if (line.equals("flooded?")) {
                System.out.println(flooded.getCount() == 0 ? "flooded" : "still writing");
                System.out.flush();
            } else if (line.equals("agent")) {
                System.out.println("agent: " + agentOutcome());
                System.out.flush();
            } else if (line.equals("release")) {
                release.countDown();
            } else if (line.equals("hold-closing")) {
                // every transition's end waits in its closing steps, no callback running, until "open" (Gate); by
                // reflection, once a load has put the agent on the system class path
                Runnable atGate = () -> {
                    try {
                        Gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
                try {
                    Class.forName("io.jlivepatch.internal.core.PatchRegistry", true, ClassLoader.getSystemClassLoader())
                            .getMethod("holdClosingForTests", Runnable.class).invoke(null, atGate);
                    System.out.println("closing held");
                } catch (ReflectiveOperationException | LinkageError e) {
                    System.out.println("closing not held: " + e);
                }
                System.out.flush();
            } else if (line.equals("open")) {
                Gate.open();
                System.out.println("opened");
                System.out.flush();
            } else if (line.equals("call")) {
                System.out.println("result=" + g.greet(" x ") + "|" + Greeter.shout("y"));
                System.out.flush();
            }
        }
    }

    private static String agentOutcome() throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - deadline < 0) {
            if (System.getProperty("jlivepatch.agent.failure") != null) {
                return "failed";
            }
            if (System.getProperty("jlivepatch.control") != null) {
                return "installed";
            }
            Thread.sleep(5); // a poll, not a measurement: the outcome decides, never the time
        }
        return "no outcome in 60 s";
    }
}
