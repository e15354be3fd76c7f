package io.jlivepatch.internal.core;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JARs of patches=<dir> not loaded: bounded, oldest dropped and counted, the latest word per JAR kept. */
class StartupJarsTest {

    private static StartupJars.Entry skipped(String jar) {
        return new StartupJars.Entry(jar, "start-up", "skipped", "INVALID_PATCH: bad");
    }

    @Test
    void beyondItsBoundTheOldestAreDroppedAndCounted() {
        StartupJars jars = new StartupJars(3);
        for (int i = 1; i <= 5; i++) {
            jars.put(skipped("/p/" + i + ".jar"));
        }
        StartupJars.Snapshot s = jars.entries();
        assertEquals(List.of(skipped("/p/3.jar"), skipped("/p/4.jar"), skipped("/p/5.jar")), s.entries());
        assertEquals(2, s.notShown());
    }

    @Test
    void aJarSaidAgainOfReplacesItsEntryAndOneThatLoadsLeaves() {
        StartupJars jars = new StartupJars(StartupJars.KEPT);
        jars.put(new StartupJars.Entry("/p/1.jar", "start-up", "waiting", "for a class loader"));
        jars.put(skipped("/p/2.jar"));
        jars.put(skipped("/p/1.jar"));
        assertEquals(List.of(skipped("/p/2.jar"), skipped("/p/1.jar")), jars.entries().entries());
        jars.remove("/p/2.jar");
        assertEquals(List.of(skipped("/p/1.jar")), jars.entries().entries());
        assertEquals(0, jars.entries().notShown());
    }

    @Test
    void anAttachsJarsAreLabelledSoAndALongReasonIsCut() {
        assertEquals("attach", StartupJars.by(Requester.ATTACH));
        assertEquals("start-up", StartupJars.by(Requester.STARTUP));
        String cut = StartupJars.cut("x".repeat(2_000));
        assertTrue(cut.length() < 600 && cut.endsWith("..."), cut);
    }

    private static Provenance loadedFrom(String source, Instant at) {
        return new Provenance(source, "", "", Map.of(), at, "pid 1 user u");
    }

    @Test
    void aJarLoadedFromTheSamePathSinceIsNotShownOneLoadedBeforeOrElsewhereIs() {
        StartupJars jars = new StartupJars(StartupJars.KEPT);
        Instant said = Instant.parse("2026-12-05T10:00:00Z");
        String relative = "patches/20-fix.jar"; // as a relative patches= lists it
        jars.put(new StartupJars.Entry(relative, "start-up", "skipped", "INVALID_PATCH: cut short", said));
        jars.put(new StartupJars.Entry("/p/30-other.jar", "start-up", "skipped", "INVALID_PATCH: bad", said));
        String absolute = Path.of(relative).toAbsolutePath().toString(); // as the command sends it
        String other = "/p/30-other.jar";

        // loaded by hand after the skip, named absolutely and with a detour: no longer listed
        assertEquals(List.of(other), jars(jars.entries(List.of(
                loadedFrom(Path.of(absolute).getParent().resolve("../patches/20-fix.jar").toString(),
                        said.plusSeconds(60))))));
        // a patch registered before the JAR was skipped (an attach's patches= met its name): still listed
        assertEquals(List.of(relative, other), jars(jars.entries(List.of(loadedFrom(absolute, said.minusSeconds(1))))));
        // a patch built in code, or from another file: still listed
        assertEquals(List.of(relative, other), jars(jars.entries(List.of(loadedFrom("", said.plusSeconds(1)),
                loadedFrom("/p/31-other.jar", said.plusSeconds(1))))));
        // what is hidden is not forgotten: with the patch gone it is listed again
        assertEquals(List.of(relative, other), jars(jars.entries(List.of())));
    }

    @Test
    void aSourceThatIsNoPathOfThisFileSystemMatchesOnlyItself() {
        assertFalse(StartupJars.samePath("/p/a.jar", "/p/a\0.jar"));
        assertTrue(StartupJars.samePath("/p/a\0.jar", "/p/a\0.jar"));
    }

    private static List<String> jars(StartupJars.Snapshot s) {
        return s.entries().stream().map(StartupJars.Entry::jar).toList();
    }
}
