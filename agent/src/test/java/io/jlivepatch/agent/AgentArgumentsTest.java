package io.jlivepatch.agent;

import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.watch.WatchOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's options: the patch directory, its watch and the patch JAR limits. */
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
        assertTrue(e.getMessage().contains("unknown option 'max-jar-size'"), e.getMessage());
        assertTrue(e.getMessage().contains("patches=<dir>") && e.getMessage().contains("max-jar-bytes=<n>")
                && e.getMessage().contains("max-manifest-value-chars=<n>"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AgentArguments.parse("max-entries=many", JarLimits.DEFAULTS));
        assertTrue(e.getMessage().contains("max-entries=many is not a positive count"), e.getMessage());
    }

    /**
     * jcmd's JVMTI.agent_load keeps an unquoted argument up to its '=' only: the agent got 'truststore' and said
     * "unknown option 'truststore'", as if the option did not exist (an operator's walk of README, JDK 17).
     */
    @Test
    void aKnownOptionWithoutItsValueSaysSoAndHowToQuoteItForJcmd() {
        for (String key : new String[] {"truststore", "patches", "audit"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AgentArguments.parse(key, JarLimits.DEFAULTS));
            assertTrue(e.getMessage().startsWith("option '" + key + "' has no value: give " + key + "=")
                    && e.getMessage().contains("JVMTI.agent_load <jlivepatch-agent.jar> '\"" + key + "=...\"'"),
                    e.getMessage());
        }
        assertTrue(AgentArguments.nameATrustStore("truststore"), "fails closed as before");
    }

    /**
     * A password whose end after a comma is a known option's name ("hunter,audit") makes that end a known option
     * without its value: "option 'audit' has no value" named the password's end, which the unknown option's
     * message never does while the arguments hold a truststore-password.
     */
    @Test
    void aPasswordsEndThatIsAKnownOptionsNameIsNotNamed() {
        for (String end : new String[] {"truststore", "patches", "audit"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentArguments.parse(
                    "truststore=/t.p12,truststore-password=hunter," + end, JarLimits.DEFAULTS));
            assertTrue(e.getMessage().startsWith("unknown option number 3 (not named: the arguments hold a"
                    + " truststore-password") && !e.getMessage().contains("'" + end + "'"), e.getMessage());
        }
    }

    @Test
    void anUnknownOptionsValueIsNeverRepeatedForItMayBeASecret() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AgentArguments.parse("truststore=/t.p12,truststore-pasword=s3cret", JarLimits.DEFAULTS));
        assertTrue(e.getMessage().startsWith("unknown option 'truststore-pasword':")
                && !e.getMessage().contains("s3cret"), e.getMessage());
        // A password's comma would make its end an option of its own: not named at all then.
        e = assertThrows(IllegalArgumentException.class,
                () -> AgentArguments.parse("truststore=/t.p12,truststore-password=hunter,2secret", JarLimits.DEFAULTS));
        assertTrue(e.getMessage().startsWith("unknown option number 3 (not named: the arguments hold a"
                + " truststore-password") && !e.getMessage().contains("2secret"), e.getMessage());
    }

    @Test
    void argumentsNameATrustStoreByAnOptionsNameNotByAPathThatHoldsTheWord() {
        assertTrue(AgentArguments.nameATrustStore("patches=/p,truststore=/t.p12"));
        assertTrue(AgentArguments.nameATrustStore(" TrustStore-Pasword=x"), "misspelt: fail closed");
        assertTrue(!AgentArguments.nameATrustStore("patches=/srv/truststore-fixes,bogus=1"));
        assertTrue(AgentArguments.nameATrustStore("ssl-truststore=/t.p12"), "a truststore option of another name");
        assertTrue(!AgentArguments.nameATrustStore(null));
    }

    @Test
    void aPathThisJvmCannotUseIsRefusedSayingWhyAndWhatToDo() {
        // Under LANG=C a UTF-8 name is such a path; a NUL is one under every encoding.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AgentArguments.parse("patches=/etc/patches,audit=/var/log/a\u0000b.jsonl", JarLimits.DEFAULTS));
        assertTrue(e.getMessage().startsWith("audit=<path>: this JVM cannot use the path (") && e.getMessage()
                .contains("its file name encoding is " + System.getProperty("sun.jnu.encoding") + "; start it under a"
                + " UTF-8 locale (LANG=C.UTF-8) or give a path of ASCII characters"), e.getMessage());
    }

    @Test
    void watchTakesTheDirectoryAnIntervalAndATimeout() {
        AgentArguments plain = AgentArguments.parse("patches=/etc/patches", JarLimits.DEFAULTS);
        assertNull(plain.watch(), "read once at start-up, as before");
        AgentArguments w = AgentArguments.parse("patches=/etc/patches,watch=true", JarLimits.DEFAULTS);
        assertEquals(new WatchOptions(Path.of("/etc/patches"), Duration.ofSeconds(30), Duration.ofSeconds(30)),
                w.watch());
        AgentArguments set = AgentArguments.parse("watch=true,interval=5,timeout=120,patches=/p", JarLimits.DEFAULTS);
        assertEquals(new WatchOptions(Path.of("/p"), Duration.ofSeconds(5), Duration.ofSeconds(120)), set.watch());
        assertNull(AgentArguments.parse("patches=/p,watch=false", JarLimits.DEFAULTS).watch());
    }

    @Test
    void watchOptionsThatCannotBeHonouredAreRefusedSayingWhatToGive() {
        assertEquals("watch=true watches the patch directory: give patches=<dir> too", assertThrows(
                IllegalArgumentException.class, () -> AgentArguments.parse("watch=true", JarLimits.DEFAULTS))
                .getMessage());
        assertEquals("watch=yes: give watch=true or watch=false", assertThrows(IllegalArgumentException.class,
                () -> AgentArguments.parse("patches=/p,watch=yes", JarLimits.DEFAULTS)).getMessage());
        assertEquals("interval= applies to a watched patch directory: add watch=true (and patches=<dir>)",
                assertThrows(IllegalArgumentException.class,
                        () -> AgentArguments.parse("patches=/p,interval=5", JarLimits.DEFAULTS)).getMessage());
        assertEquals("'interval=5s': give a whole number of seconds", assertThrows(IllegalArgumentException.class,
                () -> AgentArguments.parse("patches=/p,watch=true,interval=5s", JarLimits.DEFAULTS)).getMessage());
        assertEquals("interval=0: give 1 to 86400 seconds", assertThrows(IllegalArgumentException.class,
                () -> AgentArguments.parse("patches=/p,watch=true,interval=0", JarLimits.DEFAULTS)).getMessage());
        assertEquals("timeout=7200: give 1 to 3600 seconds", assertThrows(IllegalArgumentException.class,
                () -> AgentArguments.parse("patches=/p,watch=true,timeout=7200", JarLimits.DEFAULTS)).getMessage());
    }
    /**
     * premain decides with the option names alone whether it installs before main (patches to load)
     * or on a thread of its own: the same answer as the full parse for every options string that
     * parses, and the installation before main for any that names either option and does not.
     */
    @Test
    void premainsLookAtTheOptionNamesAgreesWithTheParse() {
        String[] parsing = {null, "", "  ", "audit=/tmp/a.jsonl", "max-entries=50, audit=/tmp/a.jsonl",
                "truststore=/etc/t.p12,truststore-password=x=y", "patches=/srv/p", " patches = /srv/p ,max-entries=5",
                "patches=/srv/p,watch=true", "watch=false,patches=/srv/p", "patches=/srv/p,watch=true,interval=2,timeout=9",
                "audit=/srv/patches=x"};
        for (String args : parsing) {
            AgentArguments a = AgentArguments.parse(args, JarLimits.DEFAULTS);
            assertEquals(a.patchDirectory() != null || a.watch() != null, AgentMain.loadBeforeMain(args),
                    "options '" + args + "'");
        }
        // Refused by the parse: premain installs itself when they name either option, so that the
        // refusal comes before main, as it always did; the others are refused on the installing thread.
        assertTrue(AgentMain.loadBeforeMain("patches="));
        assertTrue(AgentMain.loadBeforeMain("watch=true"));
        assertTrue(AgentMain.loadBeforeMain("watch=maybe,patches=/srv/p"));
        assertEquals(false, AgentMain.loadBeforeMain("patch=/srv/p"));
        assertEquals(false, AgentMain.loadBeforeMain("truststore-password=patches"));
    }
}
