package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What load and enable add to "patching complete" when a function of the patch failed. */
class FailedFunctionsTest {

    private static final String FAILED = "com.acme.Greeter.greet(Ljava/lang/String;)Ljava/lang/String; [app@30946e09]:"
            + " failed (the patch class com.acme.fix.ClinitFix failed to initialize (java.lang.RuntimeException: boom))";

    @Test
    void onlyTheLinesWhoseStateIsFailedCount() {
        String[] lines = {
            FAILED,
            "com.acme.Greeter.other(I)I [app@30946e09]: patched",
            "com.acme.Greeter.slow()V [webapp]: failed]: x@1]: patched (a loader whose name holds ']: failed')",
            "com.acme.Later.run()V: pending (class not loaded)",
            "com.acme.Greeter.bare()V [app@1]: failed",
            "com.acme.Greeter.gone()V [app@1]: not patched",
            "com.acme.Greeter.said()V [app@1]: patched (a detail that quotes another line: [x]: failed (y))",
        };
        assertEquals(List.of(FAILED, "com.acme.Greeter.bare()V [app@1]: failed"), PatchCommand.failedFunctions(lines));
    }

    /**
     * A loader's name is the application's: one that holds "]: " still ends at its identity hash, so
     * that the command counts the same lines as the target's FailedFunctions, which counts the states.
     */
    @Test
    void aLoaderNameThatHoldsTheSeparatorNeitherHidesNorFakesAFailedLine() {
        String hidden = "com.acme.Greeter.run()V [plugin]: core@1f]: failed (the class does not declare the method)";
        String[] lines = {
            hidden,
            "com.acme.Greeter.other(I)I [x]: failed (y@2a]: patched",
            "com.acme.Greeter.quoted()V [app@1]: patched (a detail: [x@2]: failed (y))",
            "com.acme.Greeter.boot()V [bootstrap]: failed (why)",
            "com.acme.Greeter.unread()V [a class loader whose name could not be read]: failed (status could not be"
                    + " read: java.lang.InternalError)",
            "com.acme.Greeter.left()V [odd]: not patched@3]: not patched",
        };
        assertEquals(List.of(hidden, lines[3], lines[4]), PatchCommand.failedFunctions(lines));
        assertEquals(List.of(lines[5]), PatchCommand.notPatchedFunctions(lines));
    }

    /**
     * An enabled patch whose transition has ended shows "not patched" only for a class loaded but not
     * hooked (its definition finished after the enable's look at the loaded classes: helper-96's review,
     * 2026-12-05): the method runs its own code, which "patching complete" and exit 0 hid.
     */
    @Test
    void aNotPatchedLineOfAnEnabledPatchIsWarnedOfWithHowToHookIt() {
        String[] lines = {
            FAILED,
            "com.acme.Greeter.other(I)I [app@30946e09]: patched",
            "com.acme.Greeter.gone()V [app@1]: not patched",
            "com.acme.Greeter.said()V [app@1]: patched (a detail that quotes another line: [x]: not patched)",
            "com.acme.Later.run()V: pending (class not loaded)",
        };
        assertEquals(List.of("com.acme.Greeter.gone()V [app@1]: not patched"), PatchCommand.notPatchedFunctions(lines));
        assertNull(PatchCommand.notPatchedWarning(42, "fix", 0, 3));
        String w = PatchCommand.notPatchedWarning(42, "fix-late", 1, 2);
        assertTrue(w.startsWith("warning: 1 of 2 function(s) (per class loader) are not patched though the patch is"
                + " enabled: their class is loaded but not hooked"), w);
        assertTrue(w.contains("runs its own code, not this patch's") && w.endsWith("'jlivepatch unload 42 fix-late' and"
                + " a new load hook it"), w);
        assertTrue(w.contains("is hooked by jlivepatch once it sees it loaded, within about a second") && w.contains(
                "see 'jlivepatch status 42'"), w);
    }

    @Test
    void theWarningSaysWhatRunsInsteadAndHowToTakeThePatchOff() {
        assertNull(PatchCommand.failedWarning(42, "fix", 0, 3));
        String w = PatchCommand.failedWarning(42, "fix-clinit", 1, 1);
        assertTrue(w.startsWith("warning: 1 of 1 function(s) (per class loader) FAILED: there the method runs the version"
                + " below this patch, or its own code, not this patch's"), w);
        assertTrue(w.contains("'jlivepatch status 42'") && w.contains("'jlivepatch unload 42 fix-clinit'"), w);
    }

    /** load and enable print the same warnings from one place: FAILED first, then not patched; none for a sound patch. */
    @Test
    void bothWarningsComeFromOnePlaceFailedFirst() {
        String[] both = {
            "com.acme.Greeter.gone()V [app@1]: not patched",
            FAILED,
            "com.acme.Greeter.other(I)I [app@30946e09]: patched",
        };
        assertEquals(List.of(PatchCommand.failedWarning(42, "fix", 1, 3), PatchCommand.notPatchedWarning(42, "fix", 1, 3)),
                PatchCommand.warnings(42, "fix", both, () -> true));
        assertEquals(List.of(PatchCommand.notPatchedWarning(42, "fix", 1, 2)),
                PatchCommand.warnings(42, "fix", new String[] {both[0], both[2]}, () -> true));
        assertEquals(List.of(), PatchCommand.warnings(42, "fix", new String[] {both[2],
            "com.acme.Later.run()V: pending (class not loaded)"}, () -> true));
    }

    /**
     * The chaos run (benchmarks/chaos, 2026-12-07, JDK 17): 'jlivepatch load cum4.jar' saw its transition
     * end, then the watch disabled and unregistered cum4 before the command read its function lines, which
     * said "not patched" for all three; the command warned that they were not patched though the patch was
     * enabled and exited 5. The lines of a patch taken off since describe no failure of this load: a note
     * says so and the command exits 0 (its change took effect and its transition ended).
     */
    @Test
    void notPatchedLinesOfAPatchTakenOffSinceAreANoteNotAFailure() {
        String[] off = {
            "chaos.Svc.a(I)Ljava/lang/String; [app@1dbd16a6]: not patched",
            "chaos.Svc.b(I)Ljava/lang/String; [app@1dbd16a6]: not patched",
        };
        List<String> taken = PatchCommand.warnings(42, "cum4", off, () -> false);
        assertEquals(List.of("note: another operation has taken 'cum4' off since its transition ended, so these lines"
                + " no longer describe it ('jlivepatch status 42' shows it and the audit log who asked)"), taken);
        assertFalse(PatchCommand.failing(taken), "exit 5 for a patch another operation took off");

        List<String> still = PatchCommand.warnings(42, "cum4", off, () -> true);
        assertEquals(List.of(PatchCommand.notPatchedWarning(42, "cum4", 2, 2)), still);
        assertTrue(PatchCommand.failing(still));
        assertEquals(List.of(), PatchCommand.warnings(42, "cum4", new String[] {"chaos.Svc.a(I)Ljava/lang/String;"
                + " [app@1]: patched"}, () -> {
                    throw new AssertionError("asked whether the patch is still enabled without a warning to check");
                }));
    }
}
