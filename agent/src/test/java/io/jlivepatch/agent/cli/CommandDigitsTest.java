package io.jlivepatch.agent.cli;

import io.jlivepatch.agent.cli.StandInAgent.Run;
import io.jlivepatch.control.WaitingThread;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

import static io.jlivepatch.agent.cli.StandInAgent.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command's lines write a pid and a count in ASCII digits whatever the default locale it runs under: its
 * {@code printf}s formatted {@code %d} with it, so that under ar-EG or th-TH-u-nu-thai {@code 'fix': registered in
 * pid ٤٨١١ (not enabled)} stood next to {@code 'fix': enabled in pid 4811, ...} (built by concatenation), and the
 * commands it offers to run next ({@code 'jlivepatch force <pid> fix'}, {@code 'jcmd <pid> Thread.print'}) named
 * a pid that way too. The default locale is this JVM's, set for each test and put back after it (a test's JVM:
 * the product never sets it).
 */
class CommandDigitsTest {

    @TempDir
    Path dir;

    private StandInAgent running;
    private final long pid = ProcessHandle.current().pid();
    private Locale before;
    private Locale display;
    private Locale format;

    @BeforeEach
    void keepLocale() {
        before = Locale.getDefault();
        display = Locale.getDefault(Locale.Category.DISPLAY);
        format = Locale.getDefault(Locale.Category.FORMAT);
    }

    @AfterEach
    void release() throws IOException {
        Locale.setDefault(before);
        Locale.setDefault(Locale.Category.DISPLAY, display);
        Locale.setDefault(Locale.Category.FORMAT, format);
        stop();
    }

    private void stop() throws IOException {
        if (running != null) {
            running.close();
            running = null;
        }
    }

    private void standIn(boolean registered, boolean enabled, boolean transitionRuns, WaitingThread... waiting)
            throws IOException {
        stop();
        StandInAgent agent = new StandInAgent();
        if (registered) {
            agent.registered.add("fix");
        }
        agent.enabled = enabled;
        agent.transitionRuns = transitionRuns;
        agent.waiting = waiting;
        agent.status = a -> "{\"patches\":[{\"name\":\"fix\",\"description\":\"\",\"stackOrder\":1,\"enabled\":"
                + a.enabled + ",\"transition\":" + transitionRuns + ",\"forced\":false,\"lastCallbackFailure\":null,"
                + "\"callbackFailures\":0,\"functions\":[]}]}";
        running = agent;
        agent.start(dir);
    }

    /** Every digit of {@code text} ASCII, and the pid written as {@code Long.toString} writes it. */
    private void asciiDigits(String what, Run r) {
        String text = r.out() + r.err();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            assertTrue(!Character.isDigit(c) || c >= '0' && c <= '9', () -> what + " under " + Locale.getDefault(
                    Locale.Category.FORMAT) + " writes a digit '" + c + "' (U+" + Integer.toHexString(c) + "): " + text);
        }
        assertTrue(text.contains(Long.toString(pid)), () -> what + " names pid " + pid + ": " + text);
    }

    private void eachLocale(Check check) throws Exception {
        for (String tag : new String[] {"ar-EG", "ar-SA", "th-TH-u-nu-thai", "hi-IN", "de-DE", "tr-TR"}) {
            Locale.setDefault(Locale.forLanguageTag(tag));
            check.run();
        }
    }

    private interface Check {
        void run() throws Exception;
    }

    @Test
    void aLoadWithoutEnableNamesThePidInAsciiDigits() throws Exception {
        eachLocale(() -> {
            standIn(false, false, false);
            Run r = run("load", "--no-enable", Long.toString(pid), StandInAgent.patchJar(dir).toString());
            assertEquals(Main.DONE, r.code(), r.out() + r.err());
            assertTrue(r.out().startsWith("'fix': registered in pid " + pid + " (not enabled)"), r.out());
            asciiDigits("load --no-enable", r);
        });
    }

    @Test
    void aTransitionStillRunningNamesThePidAndTheSecondsInAsciiDigits() throws Exception {
        eachLocale(() -> {
            standIn(true, true, true, new WaitingThread("w-1", 42, "com.acme.Caller.roundTrip", ""));
            Run r = run("disable", "--wait", "0", Long.toString(pid), "fix");
            assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
            assertTrue(r.out().contains("in pid " + pid + ", transition still running after 0 s; waiting for:\n"
                    + "  thread 'w-1' (id 42) in com.acme.Caller.roundTrip\n  ('jlivepatch status " + pid
                    + "' follows it; 'jlivepatch force " + pid + " fix' ends it at once)"), r.out());
            asciiDigits("disable --wait 0", r);
        });
    }

    @Test
    void aForceNamesThePidInAsciiDigits() throws Exception {
        eachLocale(() -> {
            standIn(true, true, true, new WaitingThread("w-1", 42, "com.acme.Caller.roundTrip", ""));
            Run r = run("force", Long.toString(pid), "fix");
            assertEquals(Main.DONE, r.code(), r.out() + r.err());
            assertTrue(r.out().contains("('jcmd " + pid + " Thread.print' shows where they are now)"), r.out());
            asciiDigits("force", r);
        });
    }
}
