package agentapp.fix;

import agentapp.Greeter;
import io.jlivepatch.PrePatch;
import io.jlivepatch.Replaces;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Livepatch-Class whose {@code prePatch} waits (at most a minute) until its JVM's gate file
 * exists: an enable whose answer comes only when the test lets it.
 */
public final class SlowPrepareFix {

    private SlowPrepareFix() {
    }

    /** The gate file of the JVM of {@code pid}. */
    public static Path gate(long pid) {
        return Path.of(System.getProperty("java.io.tmpdir"), "jlivepatch-slow-prepare-" + pid);
    }

    @Replaces(target = "agentapp.Greeter", method = "greet")
    public static String greet(Greeter self, String name) {
        return "fixed " + name.trim();
    }

    @PrePatch("agentapp.Greeter")
    public static void prepare(Class<?> target) throws InterruptedException {
        Path gate = gate(ProcessHandle.current().pid());
        for (int i = 0; i < 6000 && !Files.exists(gate); i++) {
            Thread.sleep(10);
        }
    }
}
