package io.jlivepatch.jar;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link SecurityManagerTransitionTest}'s JVM: args are the application's class directory (no
 * permission), the patch JAR and where to write the policy ({@link SecurityManagerDriver#grantTheClassPathAlone}).
 * A thread holds the patch's transition inside the old {@code quote}; another, held there too when the
 * transition began, leaves it and calls {@code quote} again through the application's caller under the
 * SecurityManager, and moves itself to the patch at the hook: its stack walk must be jlivepatch's to
 * make, not the application's.
 */
public final class SecurityManagerTransitionDriver {

    private SecurityManagerTransitionDriver() {
    }

    /** {@code c.name(x)}'s result, or what it threw. */
    private static Object call(Class<?> c, String name, int x) {
        try {
            return c.getMethod(name, int.class).invoke(null, x);
        } catch (java.lang.reflect.InvocationTargetException e) {
            return e.getCause();
        } catch (ReflectiveOperationException e) {
            return e;
        }
    }

    @SuppressWarnings("removal") // the SecurityManager under test
    public static void main(String[] args) throws Exception {
        Path app = Path.of(args[0]);
        SecurityManagerDriver.grantTheClassPathAlone(Path.of(args[2]));

        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        URLClassLoader loader = new URLClassLoader("smhold", new URL[] {app.toUri().toURL()},
                ClassLoader.getPlatformClassLoader());
        Class<?> slow = loader.loadClass("smhold.Slow");
        Class<?> caller = loader.loadClass("smhold.Caller");
        CountDownLatch holderInside = (CountDownLatch) slow.getField("HOLDER_INSIDE").get(null);
        CountDownLatch holderGo = (CountDownLatch) slow.getField("HOLDER_GO").get(null);
        CountDownLatch moverInside = (CountDownLatch) slow.getField("MOVER_INSIDE").get(null);
        CountDownLatch moverGo = (CountDownLatch) slow.getField("MOVER_GO").get(null);

        // Two threads inside the old quote when the transition begins, so that the worker's stack checks
        // move neither: the holder stays there; the mover leaves, then calls quote again through the
        // application's caller, and at its hook, its own stack clean, moves itself to the patch.
        Thread holder = new Thread(() -> call(slow, "quote", -1), "holder");
        holder.setDaemon(true); // a failure below ends the JVM, with the holder still inside
        holder.start();
        AtomicReference<Object> result = new AtomicReference<>();
        Thread mover = new Thread(() -> {
            call(slow, "quote", -2);
            result.set(call(caller, "run", 7));
        }, "mover");
        mover.setDaemon(true);
        mover.start();
        if (!holderInside.await(10, TimeUnit.SECONDS) || !moverInside.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the threads never entered quote");
        }

        PatchHandle h = lp.load(Path.of(args[1]));
        h.enable();
        // Held a while: the worker's looks are then hundreds of milliseconds apart (its back-off), so
        // the mover's second call, right after it leaves quote, meets its hook before any look moves it.
        if (h.awaitTransition(Duration.ofMillis(1500)) || !h.inTransition()) {
            throw new AssertionError("the two threads did not hold the transition");
        }
        System.setSecurityManager(new SecurityManager());
        moverGo.countDown();
        mover.join(TimeUnit.SECONDS.toMillis(30));
        Object r = result.get();
        if (!Integer.valueOf(70).equals(r)) {
            if (r instanceof Throwable) {
                throw new AssertionError("the patched method's call failed: " + r, (Throwable) r);
            }
            throw new AssertionError("expected the patch's 70, got " + r);
        }
        holderGo.countDown();
        holder.join(TimeUnit.SECONDS.toMillis(30));
        if (!h.awaitTransition(Duration.ofSeconds(30))) {
            throw new AssertionError("the transition did not end once the holder left quote");
        }
        System.out.println("RESULT ok");
    }
}
