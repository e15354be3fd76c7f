package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code jlivepatch list}'s table: its columns line up whatever the entries' lengths. */
class ListTableTest {

    @Test
    void shortEntriesKeepTheUsualWidths() {
        // the layout the command always had for these
        assertEquals(String.format("%-8s %-22s %s%n", "PID", "JLIVEPATCH", "MAIN CLASS").replace(System.lineSeparator(), "\n")
                        + String.format("%-8s %-22s %s%n", "4242", "not loaded", "com.acme.Main").replace(System.lineSeparator(), "\n"),
                ListCommand.table(List.<String[]>of(new String[] {"4242", "not loaded", "com.acme.Main"}))
                        .replace(System.lineSeparator(), "\n"));
    }

    @Test
    void aLongBuildVersionWidensItsColumnForEveryRow() {
        String version = "loaded 0.1.0-SNAPSHOT+2026-12-03T07:30:00Z";
        String table = ListCommand.table(List.of(
                new String[] {"4242", version, "com.acme.Main"},
                new String[] {"123456789", "not loaded", "other.jar arg"})).replace(System.lineSeparator(), "\n");
        String[] lines = table.split("\n");
        assertEquals(3, lines.length, table);
        int mainClassColumn = lines[0].indexOf("MAIN CLASS");
        assertEquals(mainClassColumn, lines[1].indexOf("com.acme.Main"), table);
        assertEquals(mainClassColumn, lines[2].indexOf("other.jar arg"), table);
        assertEquals(lines[0].indexOf("JLIVEPATCH"), lines[2].indexOf("not loaded"), table);
        assertEquals(version.length() + 1, mainClassColumn - lines[0].indexOf("JLIVEPATCH"), table);
    }
}
