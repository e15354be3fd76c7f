package io.jlivepatch.internal.core;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
