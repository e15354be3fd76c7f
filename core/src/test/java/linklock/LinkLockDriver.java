package linklock;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import linklock.app.Helper;
import linklock.app.Param;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * {@link LinkLockTest}'s JVM (a deadlock would leave the link lock held for the JVM's life). Thread
 * "loading" loads {@code Other} through a parallel-capable loader (a lock per class name, as the
 * JDK's loaders, URLClassLoader and Tomcat's are) and, holding that name's lock, waits until thread
 * "caller", making the first call of a hooked {@code Target.run}, is blocked; then it calls a hooked
 * method not linked yet, {@code Helper.help}. The caller's link reflects on Target, whose
 * signatures name Other: it waits for Other's lock, and must not hold the link lock meanwhile.
 */
public final class LinkLockDriver {

    private LinkLockDriver() {
    }

    public static String run(Param p) {
        return "patched";
    }

    public static String help(String name) {
        return "helped " + name;
    }

    static final class ParallelLoader extends ClassLoader {
        static {
            registerAsParallelCapable();
        }

        private final Thread[] caller;

        ParallelLoader(Thread[] caller) {
            super("lock-per-name", LinkLockDriver.class.getClassLoader());
            this.caller = caller;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals("linklock.app.Target") && !name.equals("linklock.app.Other")) {
                // Param and Helper are the application loader's: the patch names them
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c != null) {
                    return c;
                }
                if (name.endsWith(".Other") && Thread.currentThread().getName().equals("loading")) {
                    while (!waitsFor(caller[0], getClassLoadingLock(name))) {
                        Thread.onSpinWait(); // until the caller, inside its link, waits for this name's lock
                    }
                    String helped = Helper.help(name); // application code the loader runs: hooked, not linked yet
                    if (!helped.equals("helped " + name)) {
                        throw new IllegalStateException("Helper.help not patched: " + helped);
                    }
                }
                try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                    byte[] b = in.readAllBytes();
                    return defineClass(name, b, 0, b.length);
                } catch (java.io.IOException e) {
                    throw new ClassNotFoundException(name, e);
                }
            }
        }
    }

    /** Whether {@code t} is blocked on {@code lock}'s monitor. */
    static boolean waitsFor(Thread t, Object lock) {
        if (t == null || t.getState() != Thread.State.BLOCKED) {
            return false;
        }
        ThreadInfo info = ManagementFactory.getThreadMXBean().getThreadInfo(t.getId());
        return info != null && info.getLockInfo() != null
                && info.getLockInfo().getIdentityHashCode() == System.identityHashCode(lock);
    }

    public static void main(String[] args) throws Exception {
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        Helper.help("loaded"); // Helper loaded, its hook's sites not linked until its first call after enable
        PatchHandle h = lp.register(Patch.builder("link-lock-order")
                // by name: reflecting on Target here would load Other before the test begins
                .replace("linklock.app.Target", "run", "(Llinklock/app/Param;)Ljava/lang/String;",
                        LinkLockDriver.class.getMethod("run", Param.class))
                .replace(Helper.class.getMethod("help", String.class), LinkLockDriver.class.getMethod("help", String.class))
                .build());
        h.enable();
        if (!h.awaitTransition(Duration.ofSeconds(30))) {
            throw new AssertionError("the transition did not end");
        }
        // Target defined after the enable, as a class a patch waits for: hooked as it is defined, and
        // nothing has reflected on it yet (that would load Other before the test begins)
        Thread[] caller = new Thread[1];
        ClassLoader loader = new ParallelLoader(caller);
        @SuppressWarnings("unchecked")
        Supplier<String> target = (Supplier<String>) loader.loadClass("linklock.app.Target")
                .getDeclaredConstructor().newInstance();
        Thread loading = new Thread(() -> {
            try {
                Class.forName("linklock.app.Other", false, loader);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }, "loading");
        loading.setDaemon(true);
        String[] result = new String[1];
        Thread call = new Thread(() -> result[0] = target.get(), "caller");
        call.setDaemon(true);
        caller[0] = call;
        loading.start();
        call.start();
        call.join(20_000);
        loading.join(5_000);
        long[] dead = ManagementFactory.getThreadMXBean().findDeadlockedThreads();
        if (dead != null || call.isAlive() || loading.isAlive()) {
            StringBuilder sb = new StringBuilder();
            for (ThreadInfo ti : ManagementFactory.getThreadMXBean().getThreadInfo(
                    new long[] {call.getId(), loading.getId()}, true, true)) {
                sb.append(ti);
            }
            System.out.println("RESULT deadlock (" + (dead == null ? 0 : dead.length) + " threads):\n" + sb);
            System.exit(1);
        }
        if (!"patched".equals(result[0])) {
            throw new AssertionError("the caller got " + result[0]);
        }
        System.out.println("RESULT ok");
    }
}
