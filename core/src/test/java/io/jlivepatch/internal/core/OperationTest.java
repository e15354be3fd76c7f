package io.jlivepatch.internal.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operation under way and the JVM's exit share its records: each is taken once, by whichever comes
 * first, so that none is written twice nor left, and the exit adds a line for the operation only while
 * its own is missing. The end-to-end cases, in a JVM that exits: ExitingCallbackTest.
 */
class OperationTest {

    private static Object[] record(String outcome) {
        return new Object[] {"transition", "p", outcome, null, "api"};
    }

    @Test
    void anOperationThatEndsWritesWhatItKeptAndTheExitAfterItWritesNothing() {
        Operation op = new Operation("enable", "p", "api", null);
        Object[] kept = record("ok (patching complete)");
        assertTrue(op.keep(kept));
        op.ownLineMade();
        op.end();
        assertSame(kept, op.next());
        assertNull(op.next());
        List<Object[]> atExit = new ArrayList<>();
        assertFalse(op.takeAtExit(atExit), "a line for an operation that ended");
        assertEquals(List.of(), atExit);
        assertFalse(op.keep(record("late")), "kept by an operation that ended: nobody would write it");
    }

    /** The exit while the operation's thread writes what it kept, one by one: the exit takes the rest. */
    @Test
    void anExitWhileTheOperationWritesWhatItKeptTakesWhatIsLeftAndAddsNoLine() {
        Operation op = new Operation("load", "p", "api", null);
        Object[] first = record("ok (patching complete)");
        Object[] second = new Object[] {"unregister", "q", "ok (replaced by 'p', was enabled)", null, "api"};
        op.keep(first);
        op.keep(second);
        op.end(); // no own line: a step that ended without one (a load's checks before preparing)
        assertSame(first, op.next());
        List<Object[]> atExit = new ArrayList<>();
        assertFalse(op.takeAtExit(atExit), "a cut-short line for an operation that ended");
        assertEquals(1, atExit.size());
        assertSame(second, atExit.get(0));
        assertNull(op.next(), "a record the exit took, written again");
    }

    @Test
    void theExitTakesWhatWasKeptAndWritesTheOperationsLineOnceWhatTheOperationKeepsAfterIsItsOwn() {
        Operation op = new Operation("enable", "p", "pid 1 user alice", null);
        Object[] first = record("ok (patching complete)");
        op.keep(first);
        List<Object[]> atExit = new ArrayList<>();
        assertTrue(op.takeAtExit(atExit), "no line for an operation whose own line is missing");
        assertEquals(1, atExit.size());
        assertSame(first, atExit.get(0));
        assertFalse(op.takeAtExit(new ArrayList<>()), "a second line for the same operation");
        // It goes on (another thread's exit): what it keeps after the exit's record is its own to write.
        Object[] second = record("ok (unpatching complete)");
        op.keep(second);
        op.end();
        assertSame(second, op.next());
        assertNull(op.next());
    }

    @Test
    void theExitAddsNoLineForAnOperationWhoseOwnLineIsOnRecord() {
        Operation op = new Operation("disable", "p", "api", null);
        op.ownLineMade();
        Object[] kept = record("ok (unpatching complete)");
        op.keep(kept);
        List<Object[]> atExit = new ArrayList<>();
        assertFalse(op.takeAtExit(atExit));
        assertEquals(1, atExit.size());
        assertSame(kept, atExit.get(0));
    }

    @Test
    void aNestedOperationsLineIsNotTheEnclosingOnes() {
        Operation op = new Operation("enable", "p", "api", null);
        assertTrue(op.isOwnLine("enable", "p"));
        assertFalse(op.isOwnLine("enable", "q"));
        assertFalse(op.isOwnLine("disable", "p"));
        op.enterNested();
        assertFalse(op.isOwnLine("enable", "p"), "a refused call from one of its callbacks");
        op.exitNested();
        assertTrue(op.isOwnLine("enable", "p"));
    }

    @Test
    void theExitsLineSaysHowFarItGotAndWhatItWasDoing() {
        Operation op = new Operation("enable", "p", "api", null);
        assertEquals("cut short: the JVM exited during it (it had not taken effect)", op.outcomeAtExit());
        String before = op.running("its prePatch callback for com.acme.Cache was running");
        assertNull(before);
        assertEquals("cut short: the JVM exited during it (it had not taken effect; its prePatch callback for"
                + " com.acme.Cache was running)", op.outcomeAtExit());
        op.running(before);
        op.effect("patching complete");
        assertEquals("cut short: the JVM exited during it (it had taken effect, patching complete)", op.outcomeAtExit());
    }

    /** Before its lock (a wait for it, a load's preparation) nothing it does changes anything, and the line says so. */
    @Test
    void theExitsLineSaysNothingChangedBeforeTheLock() {
        Operation op = new Operation("unregister", "p", "api", null);
        op.beforeLock(true);
        op.running("it was waiting for jlivepatch's lock");
        assertEquals("cut short: the JVM exited during it (it had not taken effect, nothing changed; it was waiting"
                + " for jlivepatch's lock)", op.outcomeAtExit());
        op.running(null);
        op.beforeLock(false);
        assertEquals("cut short: the JVM exited during it (it had not taken effect)", op.outcomeAtExit());

        Operation load = Operation.preparation("/tmp/fix.jar", "api", null);
        assertTrue(load.preparation);
        assertEquals("cut short: the JVM exited during it (it had not taken effect, nothing changed; its patch JAR was"
                + " being read and checked)", load.outcomeAtExit());
        assertNull(load.provenance());
    }

    /**
     * An entry's stretch before the lock (Operation.before) says nothing changed, naming no step; a preparation
     * that began before its JAR's path was known (a JAR received over the control socket) names it once read.
     */
    @Test
    void anEntrysStretchBeforeTheLockSaysNothingChangedAndAReceivedJarIsNamedOnceItsPathIsKnown() {
        Operation register = Operation.before("register", "p", "api");
        assertTrue(register.preparation, "the operation under the lock takes its place");
        assertEquals("cut short: the JVM exited during it (it had not taken effect, nothing changed)",
                register.outcomeAtExit());

        Operation received = Operation.preparation("(sent content)", "pid 1 user alice", null);
        received.knownAs(new Provenance("/opt/patches/fix.jar", "ab12", "", java.util.Map.of(),
                java.time.Instant.EPOCH, "pid 1 user alice"));
        assertEquals("/opt/patches/fix.jar", received.subject);
        assertEquals("ab12", received.provenance().sha256());
    }

    /**
     * A preparation takes its own JAR's read, the first on its thread, and no later one (a load nested in it,
     * asked for by code its preparation runs); an entry's stretch before the lock takes none.
     */
    @Test
    void aPreparationTakesOnlyItsOwnJarsRead() {
        Operation outer = Operation.preparation("/opt/patches/outer.jar", "api", null);
        outer.knownAs(new Provenance("/opt/patches/outer.jar", "aa", "", java.util.Map.of(), java.time.Instant.EPOCH,
                "api"));
        outer.knownAs(new Provenance("inner.jar", "bb", "", java.util.Map.of(), java.time.Instant.EPOCH, "api"));
        assertEquals("/opt/patches/outer.jar", outer.subject);
        assertEquals("aa", outer.provenance().sha256());

        Operation register = Operation.before("register", "p", "api");
        register.knownAs(new Provenance("inner.jar", "bb", "", java.util.Map.of(), java.time.Instant.EPOCH, "api"));
        assertEquals("p", register.subject);
        assertEquals(null, register.provenance());
    }

    /** The callbacks of a class defined later are jlivepatch's link of the patch, and say which loader's class ran. */
    @Test
    void theCallbacksOfAClassDefinedLaterAreJlivepatchsLinkOfThePatch() {
        Operation late = Operation.late("p", null);
        assertEquals("link", late.name);
        assertEquals("p", late.subject);
        assertEquals("jlivepatch", late.requester);
        assertTrue(late.late);
        assertFalse(late.preparation, "no operation under the lock takes its place");
        assertEquals("cut short: the JVM exited during it (it had not taken effect)", late.outcomeAtExit());
    }
}
