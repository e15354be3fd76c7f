package io.jlivepatch.internal.control;

import io.jlivepatch.internal.core.StartupJars;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The status lines of the JARs of patches=<dir> not loaded: cleaned, and saying when some are not shown. */
class StatusReportNotLoadedTest {

    @Test
    void theLinesSayHowManyAreNotShownAndCleanEachJarAndReason() {
        StartupJars.Snapshot s = new StartupJars.Snapshot(List.of(
                new StartupJars.Entry("/p/20-trunc\n.jar", "start-up", "skipped", "INVALID_PATCH: cut\rshort"),
                new StartupJars.Entry("/p/30-fat.jar", "attach", "waiting", "for a class loader that can load its classes")),
                7);
        assertEquals(List.of(
                "not loaded: 7 more JARs of patches=<dir> not shown (the last 2 are; the log has every one)",
                "start-up: skipped /p/20-trunc\\n.jar: INVALID_PATCH: cut\\rshort",
                "attach: waiting /p/30-fat.jar: for a class loader that can load its classes"),
                StatusReport.notLoadedLines(s));
    }

    @Test
    void nothingNotLoadedMakesNoLine() {
        assertEquals(List.of(), StatusReport.notLoadedLines(new StartupJars.Snapshot(List.of(), 0)));
    }
}
