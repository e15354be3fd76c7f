package io.jlivepatch.agent.cli;

import io.jlivepatch.agent.AgentMain;
import io.jlivepatch.internal.OwnBuild;
import io.jlivepatch.internal.Text;

import java.nio.file.Path;
import java.util.Properties;

/**
 * Whether the agent JAR a JVM runs jlivepatch from was overwritten in place since jlivepatch's first
 * installation there ({@link AgentMain#JAR_PROPERTY}). The JVM keeps that file open and reads each of
 * jlivepatch's classes from it when the class is first used, at the offsets its central directory
 * gave when it was opened: after a copy of another build into the same file (cp, curl -o) those reads
 * fail, and the JVM remembers a failed resolution for good (JVMS 5.4.3), so a command would stop
 * halfway through the first code path it needs that was not used before, and the same path fails
 * even once the file is put back. Hence the check comes before anything is asked of the JVM: a JAR
 * put back byte for byte then works again. A file renamed over the path (mv, a package manager) is
 * another file: the JVM goes on reading its own, and nothing is said.
 *
 * <p>The file looked at is the JVM's open one (its {@code /proc/<pid>/fd} entry of the recorded file
 * key), whatever its path says now. The same build copied over it again (same size, same build
 * stamp) reads the same, and passes. Another build of the same size with the times kept is told by the
 * change time, and where that does not move, by the CRC-32 of the central directory
 * ({@link AgentMain#DIRECTORY_PROPERTY}). The decision is core's (OwnBuild.overwrite), the one the JVM
 * makes before its watch's rounds and its MBeans' changes, so both say the same facts.
 */
final class OverwrittenAgentJar {

    private OverwrittenAgentJar() {
    }

    /**
     * Why nothing may be asked of {@code pid}, whose system properties are {@code props}, or null: the
     * JAR is as it was, or the JVM recorded nothing (a jlivepatch before this check, one run from
     * classes), or its open file cannot be found or read here (nothing known; not refused).
     */
    static String refusal(long pid, Properties props) {
        String recorded = props.getProperty(AgentMain.JAR_PROPERTY);
        String version = props.getProperty(AgentMain.VERSION_PROPERTY);
        if (recorded == null || version == null) {
            return null;
        }
        String[] parts = recorded.split(" ", 4);
        long size;
        long modified;
        long changed;
        try {
            size = Long.parseLong(parts[0]);
            modified = Long.parseLong(parts[1]);
            // a record without a change time (a file system without one): size and time alone
            changed = parts.length > 3 ? Long.parseLong(parts[3]) : OwnBuild.UNKNOWN;
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return null;
        }
        if (parts.length < 3) {
            return null;
        }
        long directory; // a JVM of a jlivepatch before this record has none: size and times alone
        try {
            String d = props.getProperty(AgentMain.DIRECTORY_PROPERTY);
            directory = d == null ? OwnBuild.UNKNOWN : Long.parseLong(d);
        } catch (NumberFormatException e) {
            directory = OwnBuild.UNKNOWN;
        }
        // core's decision, the JVM's own (OwnBuild.overwritten), run here on the file the JVM holds
        // open: nothing of jlivepatch's runs in the JVM for it
        String[] o = OwnBuild.overwrite(Path.of("/proc", Long.toString(pid), "fd"), null, size, modified,
                changed, directory, parts[2], stampOf(version));
        if (o == null) {
            return null;
        }
        return "pid " + pid + " runs jlivepatch " + Text.clean(version) + " from " + Text.clean(o[0]) + ", and that file was"
                + " overwritten since the JVM opened it (" + Text.clean(o[1]) + "): the JVM reads jlivepatch's classes from"
                + " that file as they are first used, so a command could stop halfway where it needs one not used yet,"
                + " and the JVM would not read that class again even once the file is put back. Nothing was asked of"
                + " it. Put back the JAR it started with, jlivepatch " + Text.clean(version) + ", at that path, byte for"
                + " byte, and retry; or restart the JVM. Upgrade jlivepatch by writing the new JAR under another name,"
                + " or to a temporary name renamed over the old one (mv), never by copying it into the file in use";
    }

    /** The stamp in {@link AgentMain#VERSION_PROPERTY}'s value ({@code <version> (build <stamp>)}), or null. */
    static String stampOf(String version) {
        int at = version.lastIndexOf("(build ");
        return at < 0 || !version.endsWith(")") ? null : version.substring(at + "(build ".length(), version.length() - 1);
    }
}
