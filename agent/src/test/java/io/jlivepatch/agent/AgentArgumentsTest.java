package io.jlivepatch.agent;

import io.jlivepatch.internal.jar.JarLimits;
import org.junit.jupiter.api.Test;

import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's options: the patch directory and the patch JAR limits. */
class AgentArgumentsTest {

    @Test
    void eachLimitIsAnOptionBesideThePatchDirectory() {
        AgentArguments a = AgentArguments.parse("patches=/etc/app/patches, max-jar-bytes=128m,max-entries=20000,"
                + "max-entry-bytes=32m,max-total-bytes=256m,max-description-chars=4000,max-manifest-value-chars=100000",
                JarLimits.DEFAULTS);
        assertEquals(Paths.get("/etc/app/patches"), a.patchDirectory());
        assertEquals(new JarLimits(128L << 20, 20_000, 32L << 20, 256L << 20, 4_000, 100_000), a.jarLimits());
    }

    @Test
    void optionsChangeOnlyTheLimitsTheyName() {
        JarLimits before = JarLimits.DEFAULTS.with(JarLimits.MAX_ENTRIES, "50");
        AgentArguments a = AgentArguments.parse("max-entry-bytes=1k", before);
        assertNull(a.patchDirectory());
        assertEquals(before.with(JarLimits.MAX_ENTRY_BYTES, "1024"), a.jarLimits());
        assertSame(before, AgentArguments.parse("", before).jarLimits(), "an attach without options keeps them");
        assertSame(before, AgentArguments.parse(null, before).jarLimits());
    }

    @Test
    void unknownOptionsAndBadValuesAreRefusedSayingWhatIsTaken() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AgentArguments.parse("max-jar-size=1m", JarLimits.DEFAULTS));
        assertTrue(e.getMessage().contains("unknown option 'max-jar-size=1m'"), e.getMessage());
        assertTrue(e.getMessage().contains("patches=<dir>") && e.getMessage().contains("max-jar-bytes=<n>")
                && e.getMessage().contains("max-manifest-value-chars=<n>"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AgentArguments.parse("max-entries=many", JarLimits.DEFAULTS));
        assertTrue(e.getMessage().contains("max-entries=many is not a positive count"), e.getMessage());
    }
}
