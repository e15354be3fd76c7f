package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The warning of a load whose --agent-options a JVM running jlivepatch already ignores names the options,
 * never a value, and never what follows a password: a password with a comma made its end an "option",
 * named on the operator's terminal ({@code truststore-password=hunter,audit} showed "audit").
 */
class IgnoredOptionsWarningTest {

    private static final String HINT = " (a JVM without a trust store takes one from an attach of the agent with it:"
            + " jcmd 42 JVMTI.agent_load <jlivepatch-agent.jar> '\"truststore=<file>\"'; README 'Signed patches')";

    private static String names(String warning) {
        int from = warning.indexOf("--agent-options (") + "--agent-options (".length();
        return warning.substring(from, warning.indexOf(") were ignored: ", from));
    }

    @Test
    void whatFollowsAPasswordIsNeverNamedWhateverItIs() {
        String audit = LoadCommand.ignoredOptionsWarning(42, "truststore=/t.p12,truststore-password=hunter,audit");
        assertEquals("truststore, truststore-password and what follows it, not named: a password may hold a comma",
                names(audit), audit);
        assertFalse(audit.contains("hunter"), audit);
        // Its end or options: the same words, whatever the end is, so the warning tells nothing of it.
        for (String end : new String[] {"truststore", "patches", "audit=/a.jsonl", "2secret", "watch=true,audit"}) {
            assertEquals(audit, LoadCommand.ignoredOptionsWarning(42, "truststore=/t.p12,truststore-password=hunter,"
                    + end), end);
        }
        assertTrue(audit.endsWith(HINT), "a trust store may be among what is not named: " + audit);
    }

    @Test
    void aMisspeltPasswordsEndIsNotNamedEither() {
        String w = LoadCommand.ignoredOptionsWarning(42, "audit=/a.jsonl, TrustStore-Pasword=hunter,2secret");
        assertEquals("audit, TrustStore-Pasword and what follows it, not named: a password may hold a comma",
                names(w), w);
        assertFalse(w.contains("hunter") || w.contains("2secret"), w);
    }

    @Test
    void optionsWithoutAPasswordAfterThemAreNamedAsBefore() {
        String last = LoadCommand.ignoredOptionsWarning(42, "audit=/a.jsonl,truststore-password=s3cret");
        assertEquals("jlivepatch: warning: jlivepatch runs in pid 42 already, so --agent-options (audit,"
                + " truststore-password) were ignored: the agent's options are set when it is loaded ('jlivepatch"
                + " status 42' shows its trust policy and audit file); to change them, restart the JVM with"
                + " -javaagent:jlivepatch-agent.jar=<options>", last);
        String trust = LoadCommand.ignoredOptionsWarning(42, "patches=/p, truststore=/t.jks,max-classes=9");
        assertEquals("patches, truststore, max-classes", names(trust), trust);
        assertTrue(trust.endsWith(HINT), trust);
    }
}
