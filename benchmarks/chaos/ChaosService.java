package chaos;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.management.Attribute;
import javax.management.InstanceNotFoundException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The chaos run's service: 8 callers check every answer of Svc against the versions the patches
 * may give, and a JMX client drives the MBeans at random. Runs until the file 'stop' appears in
 * its directory, then prints one summary line and exits 0 when nothing was wrong, 1 otherwise. The JMX
 * client stops earlier, at the file 'quiet', so that the end state is read with every actor stopped.
 */
public final class ChaosService {
    // Versions per function: 0 the original, 1 fix-a1, 2 fix-b2, 3 fix-ac3, 4 cum4 (cumulative);
    // the stack's order is the operators', so any of a function's versions may answer.
    private static final Set<String> A = Set.of("0", "1", "3", "4");
    private static final Set<String> B = Set.of("0", "2", "4");
    private static final Set<String> C = Set.of("0", "3", "4");

    private static final AtomicLong CALLS = new AtomicLong();
    private static final AtomicLong WRONG = new AtomicLong();
    private static final AtomicLong MIXED = new AtomicLong();
    private static final AtomicLong JMX_OK = new AtomicLong();
    private static final AtomicLong JMX_REFUSED = new AtomicLong();
    private static final AtomicLong JMX_GONE = new AtomicLong();
    private static final AtomicLong JMX_BAD = new AtomicLong();
    private static volatile boolean stop;

    private ChaosService() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Thread[] callers = new Thread[8];
        for (int i = 0; i < callers.length; i++) {
            callers[i] = new Thread(ChaosService::call, "caller-" + i);
            callers[i].start();
        }
        Thread jmx = new Thread(() -> jmx(dir.resolve("jars")), "jmx-client");
        jmx.start();
        Files.writeString(dir.resolve("ready"), ProcessHandle.current().pid() + "\n");
        while (!Files.exists(dir.resolve("stop"))) {
            Thread.sleep(200);
        }
        stop = true;
        for (Thread t : callers) {
            t.join();
        }
        jmx.join();
        boolean clean = WRONG.get() == 0 && JMX_BAD.get() == 0;
        System.out.println("summary: calls=" + CALLS + " wrong=" + WRONG + " mixed=" + MIXED + " jmxOk=" + JMX_OK
                + " jmxRefused=" + JMX_REFUSED + " jmxGone=" + JMX_GONE + " jmxBad=" + JMX_BAD);
        System.exit(clean ? 0 : 1);
    }

    private static void call() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        while (!stop) {
            int x = r.nextInt(1000);
            int m = r.nextInt(4);
            if (r.nextInt(100_000) == 0) {   // about one slow ac every 20 s per caller
                x = -1 - r.nextInt(1000);
                m = 3;
            }
            try {
                switch (m) {
                    case 0 -> check(Svc.a(x), "a", A, x);
                    case 1 -> check(Svc.b(x), "b", B, x);
                    case 2 -> check(Svc.c(x), "c", C, x);
                    default -> {
                        String s = Svc.ac(x);
                        String[] p = s.split("\\|", -1);
                        if (p.length != 4) {
                            wrong("ac(" + x + ") = " + s);
                            break;
                        }
                        String a1 = check(p[0], "a", A, x);
                        String c1 = check(p[1], "c", C, x);
                        String a2 = check(p[2], "a", A, x);
                        String c2 = check(p[3], "c", C, x);
                        if (!a1.equals(a2) || !c1.equals(c2)) {
                            // Allowed only after a forced transition: the verdict compares with the audit.
                            if (MIXED.incrementAndGet() <= 20) {
                                System.err.println("MIXED: ac(" + x + ") = " + s + " at " + java.time.Instant.now());
                            }
                        }
                    }
                }
            } catch (Throwable t) {
                wrong("call threw " + t);
                t.printStackTrace();
            }
            CALLS.incrementAndGet();
            LockSupport.parkNanos(200_000);
        }
    }

    private static String check(String answer, String f, Set<String> versions, int x) {
        String[] p = answer.split(":", -1);
        if (p.length != 3 || !p[0].equals(f) || !versions.contains(p[1]) || !p[2].equals(Integer.toString(x))) {
            wrong(f + "(" + x + ") = " + answer);
            return "?";
        }
        return p[1];
    }

    private static void wrong(String what) {
        WRONG.incrementAndGet();
        System.err.println("VIOLATION: " + what);
    }

    private static void jmx(Path jars) {
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        Random r = new Random();
        List<String> names = List.of("fix-a1", "fix-b2", "fix-ac3", "cum4");
        List<String> files = List.of("fix-a1.jar", "fix-b2.jar", "fix-ac3.jar", "cum4.jar", "bad.jar");
        Path quiet = jars.resolveSibling("quiet");
        while (!stop && !Files.exists(quiet)) {
            LockSupport.parkNanos(300_000_000L + r.nextInt(700) * 1_000_000L);
            String name = names.get(r.nextInt(names.size()));
            int op = r.nextInt(6);
            String what = "";
            try {
                ObjectName lp = new ObjectName("io.jlivepatch:type=Livepatch");
                ObjectName p = new ObjectName("io.jlivepatch:type=Patch,name=" + name);
                switch (op) {
                    case 0 -> {
                        String f = files.get(r.nextInt(files.size()));
                        what = "load " + f;
                        mbs.invoke(lp, "load", new Object[] {jars.resolve(f).toString(), true},
                                new String[] {"java.lang.String", "boolean"});
                    }
                    case 1, 2 -> {
                        boolean on = op == 1;
                        what = "Enabled=" + on + " " + name;
                        mbs.setAttribute(p, new Attribute("Enabled", on));
                    }
                    case 3 -> {
                        what = "unregister " + name;
                        mbs.invoke(p, "unregister", new Object[0], new String[0]);
                    }
                    case 4 -> {
                        what = "force " + name;
                        mbs.invoke(p, "force", new Object[0], new String[0]);
                    }
                    default -> {
                        what = "statusJson";
                        mbs.invoke(lp, "statusJson", new Object[0], new String[0]);
                    }
                }
                JMX_OK.incrementAndGet();
            } catch (InstanceNotFoundException e) {
                JMX_GONE.incrementAndGet();
            } catch (Exception e) {
                Throwable c = e;
                while (c.getCause() != null && !(c instanceof IllegalStateException)) {
                    c = c.getCause();
                }
                String msg = String.valueOf(c.getMessage());
                if (c instanceof IllegalStateException && msg.matches("(?s)[A-Z_]+: .*")) {
                    JMX_REFUSED.incrementAndGet();
                    System.out.println("jmx " + what + ": " + msg.lines().findFirst().orElse(""));
                } else {
                    JMX_BAD.incrementAndGet();
                    System.err.println("VIOLATION: jmx " + what + " failed: " + e);
                    e.printStackTrace();
                }
            }
        }
        try {
            Files.writeString(jars.resolveSibling("jmx-stopped"), JMX_OK + "\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
