package io.jlivepatch.internal.patch;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.jar.Jars;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A patch class's first call asks, inside the patched method's hook, for a thread that relinks the
 * hooks. When no thread can be started (a JVM out of native threads), the application's call must
 * not fail for it: it runs the patch, the gate stays (one check more a call), and a warning says so once.
 */
class RelinkThreadRefusedTest {

    private static final String FIX = "jarapp.fix.CounterFix";

    @TempDir
    Path dir;

    private final WarningsLogged capture = new WarningsLogged();
    private final List<String> warnings = capture.lines;

    @AfterEach
    void restore() throws Exception {
        HookManager.relinkStartFailureForTests = null;
        capture.stop();
        Jars.removeAll();
    }

    @Test
    void aFirstCallWhoseRelinkThreadCannotStartStillRunsThePatchAndSaysSoOnce() throws Exception {
        capture.start();
        // First, a first call at the edge of its thread's stack, which overflows starting the thread: no
        // shortage of threads, neither said as one nor taking the one warning a real shortage gets (the
        // warning is once per JVM, so both are in this one test).
        HookManager.relinkStartFailureForTests = new StackOverflowError();
        PatchHandle overflowed = enabled("relink-overflow");
        assertEquals(-1, new Counter().next(), "the application's call goes on, and runs the patch");
        assertTrue(warnings.stream().noneMatch(w -> w.contains("could not start")), warnings.toString());
        overflowed.disable();
        assertTrue(overflowed.awaitTransition(Duration.ofSeconds(30)));
        overflowed.unregister();

        HookManager.relinkStartFailureForTests = new OutOfMemoryError("unable to create native thread: possibly out"
                + " of memory or process/resource limits reached");
        PatchHandle h = enabled("relink-refused");

        // The first calls settle the patch class's initialization and ask for the relink, which fails.
        assertEquals(-1, new Counter().next(), "the application's call goes on, and runs the patch");
        assertEquals("label 7", Counter.label(7), "so does the first call of the patch's other method");
        for (int i = 0; i < 1000; i++) {
            assertEquals(-1, new Counter().next(), "through the gate that stays");
        }
        // A second patch class (the same fix, stacked on top in a JAR of its own) asks again, and fails again.
        PatchHandle top = enabled("relink-refused-top");
        assertEquals(-1, new Counter().next(), "the top patch runs");
        List<String> refused = warnings.stream().filter(w -> w.contains("could not start")).toList();
        assertEquals(1, refused.size(), "two refusals, said once: " + warnings);
        assertTrue(refused.get(0).contains("unable to create native thread")
                && refused.get(0).contains("the application's call went on")
                && refused.get(0).contains("until the next change relinks them")
                && refused.get(0).contains("'ulimit -u'"), refused.get(0));

        // Threads again: the next change relinks, and the patches come off and on as ever.
        HookManager.relinkStartFailureForTests = null;
        top.disable();
        assertTrue(top.awaitTransition(Duration.ofSeconds(30)));
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, new Counter().next());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(-1, new Counter().next());
        assertEquals("label 8", Counter.label(8));
    }

    private PatchHandle enabled(String name) throws Exception {
        Path jar = Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, FIX), Jars.classes(FIX));
        PatchHandle h = Jars.lp().load(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        return h;
    }
}
