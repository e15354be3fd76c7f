package io.jlivepatch.internal;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import testapp.Stacked;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operation's log lines come out from jlivepatch's log thread while the operation goes on: it
 * waits for them once, at its end, not for each line where it logs it (a third of a one-method
 * change's time was that wait, BENCHMARKS.md section 2), and returns only once they are out.
 */
class OperationLinesTest {

    private final Logger jul = Logger.getLogger("io.jlivepatch");
    private final List<String> messages = new CopyOnWriteArrayList<>();
    private final Handler collecting = new Handler() {
        @Override
        public void publish(LogRecord r) {
            messages.add(r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private Level levelBefore;
    private boolean parentsBefore;
    private long stuckBefore;

    public static int two(Stacked s) {
        return 2;
    }

    @BeforeEach
    void listen() {
        levelBefore = jul.getLevel();
        parentsBefore = jul.getUseParentHandlers();
        jul.setLevel(Level.INFO);
        jul.setUseParentHandlers(false);
        // A held output must look held for the whole test, not stuck after a second (when callers stop waiting).
        stuckBefore = LogPublisher.stuckAfterNanos;
        LogPublisher.stuckAfterNanos = TimeUnit.MINUTES.toNanos(5);
    }

    @AfterEach
    void stopListening() throws Exception {
        LogPublisher.stuckAfterNanos = stuckBefore;
        jul.removeHandler(collecting);
        jul.setUseParentHandlers(parentsBefore);
        jul.setLevel(levelBefore);
        for (PatchHandle h : new ArrayList<>(livepatch().patches())) {
            if (h.name().equals("lines-aside")) {
                if (h.isEnabled()) {
                    h.disable();
                }
                h.unregister();
            }
        }
    }

    private static Livepatch livepatch() {
        return Livepatch.install(ByteBuddyAgent.install());
    }

    @Test
    void anEnableGetsToItsEndWhileItsFirstLineIsHeldAndReturnsOnceItsLinesAreOut() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("lines-aside")
                .replace(Stacked.class.getDeclaredMethod("value"), OperationLinesTest.class.getDeclaredMethod("two", Stacked.class))
                .build()); // its line makes the logger, if no test before did
        StuckLogHandler held = new StuckLogHandler();
        jul.addHandler(held); // ahead of the collecting handler: it sees nothing while the output is held
        jul.addHandler(collecting);
        Throwable[] failed = new Throwable[1];
        Thread enabling = new Thread(() -> {
            try {
                h.enable();
            } catch (Throwable e) {
                failed[0] = e;
            }
        }, "enabling");
        try {
            enabling.start();
            assertTrue(held.inside.await(30, TimeUnit.SECONDS), "the enable logged a line");
            String waitsIn = waitingFrames(enabling);
            assertTrue(waitsIn.contains("endOperation") && !waitsIn.contains(".offer"),
                    "the enable waits for its lines at its end only, not where it logs one: " + waitsIn);
            assertTrue(h.isEnabled(), "it got to its end while its first line was held");
            assertEquals(List.of(), messages, "nothing was out meanwhile");
        } finally {
            held.release.countDown();
            enabling.join(TimeUnit.SECONDS.toMillis(30));
            jul.removeHandler(held);
        }
        assertFalse(enabling.isAlive());
        assertEquals(null, failed[0]);
        assertEquals(List.of("enabling patch 'lines-aside'", "'lines-aside': starting patching transition",
                "'lines-aside': patching complete"), messages.subList(0, Math.min(3, messages.size())),
                "its lines, in order, all out once enable returned: " + messages);
    }

    @Test
    void aCallbackRunsOnceTheLinesLoggedBeforeItAreOut() throws Exception {
        jul.addHandler(collecting);
        List<String> outAtPrePatch = new ArrayList<>();
        List<String> outAtPostPatch = new ArrayList<>();
        PatchHandle h = livepatch().register(Patch.builder("lines-aside")
                .replace(Stacked.class.getDeclaredMethod("value"), OperationLinesTest.class.getDeclaredMethod("two", Stacked.class))
                .callbacks(Stacked.class.getName(), new io.jlivepatch.Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        outAtPrePatch.addAll(messages); // what the application would have seen printed by now
                    }

                    @Override
                    public void postPatch(Class<?> target) {
                        outAtPostPatch.addAll(messages);
                    }
                })
                .build());
        h.enable();
        assertTrue(outAtPrePatch.contains("enabling patch 'lines-aside'"),
                "the enable's first line came out before its prePatch callback ran: " + outAtPrePatch);
        // As in the kernel, postPatch runs before "patching complete" is logged.
        assertTrue(outAtPostPatch.contains("'lines-aside': starting patching transition"),
                "the transition's first line came out before the postPatch callback ran: " + outAtPostPatch);
    }

    /** Waits until {@code t} waits for jlivepatch's log thread; its frames then, or where it ended. */
    private static String waitingFrames(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // ends a failing run only
        String frames = "";
        while (System.nanoTime() < deadline && t.isAlive()) {
            frames = Arrays.toString(t.getStackTrace());
            if (frames.contains("LogPublisher.awaitPublished")) {
                return frames;
            }
            Thread.sleep(5);
        }
        return "(never waited for the log thread) " + frames;
    }
}
