package nojmx;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;

import net.bytebuddy.agent.ByteBuddyAgent;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** {@link NoJmxTest}'s JVM, started without {@code java.management}: installs, patches, and watches for dying threads. */
public final class NoJmxDriver {

    private NoJmxDriver() {
    }

    public static final class Target {
        public static int value() {
            return 1;
        }
    }

    public static final class Fix {
        public static int value() {
            return 2;
        }
    }

    public static void main(String[] args) throws Exception {
        if (ModuleLayer.boot().findModule("java.management").isPresent()) {
            throw new AssertionError("java.management is in this runtime: the test runs nothing");
        }
        List<String> died = new CopyOnWriteArrayList<>();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            died.add(t.getName() + ": " + e);
            System.out.println("uncaught in " + t.getName() + ": " + e);
        });
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        PatchHandle h = lp.register(Patch.builder("no-jmx")
                .replace(Target.class.getMethod("value"), Fix.class.getMethod("value")).build());
        h.enable();
        if (!h.awaitTransition(Duration.ofSeconds(10)) || Target.value() != 2) {
            throw new AssertionError("not patched");
        }
        Thread.sleep(500); // a thread started at install has had its time
        if (!died.isEmpty()) {
            throw new AssertionError("threads died: " + died);
        }
        System.out.println("RESULT ok");
    }
}
