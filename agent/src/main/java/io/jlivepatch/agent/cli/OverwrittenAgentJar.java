package io.jlivepatch.agent.cli;

import io.jlivepatch.agent.AgentMain;
import io.jlivepatch.internal.Text;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Properties;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

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
 * stamp) reads the same, and passes.
 */
final class OverwrittenAgentJar {

    /** Where a jlivepatch JAR keeps its build stamp (core's OwnBuild.RESOURCE). */
    static final String STAMP = "META-INF/jlivepatch/build-stamp";
    /** A build stamp is a time; more is not a stamp. */
    private static final int STAMP_MAX_BYTES = 256;

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
        String[] parts = recorded.split(" ", 3);
        long size;
        long modified;
        try {
            size = Long.parseLong(parts[0]);
            modified = Long.parseLong(parts[1]);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return null;
        }
        if (parts.length < 3) {
            return null;
        }
        Path open = openFile(pid, parts[2]);
        if (open == null) {
            return null;
        }
        BasicFileAttributes now;
        try {
            now = Files.readAttributes(open, BasicFileAttributes.class);
        } catch (IOException | RuntimeException e) {
            return null; // closed meanwhile
        }
        if (now.size() == size && now.lastModifiedTime().toMillis() == modified) {
            return null;
        }
        String running = stampOf(version);
        String held = stampIn(open);
        if (now.size() == size && held != null && held.equals(running)) {
            return null; // the same build written over itself: every offset is where it was
        }
        return "pid " + pid + " runs jlivepatch " + Text.clean(version) + " from " + pathOf(open) + ", and that file was"
                + " overwritten since the JVM opened it (" + size + " bytes then, " + now.size() + " now; modified "
                + Instant.ofEpochMilli(modified) + " then, " + now.lastModifiedTime().toInstant() + " now; it now holds "
                + (held == null ? "no jlivepatch JAR" : held.equals(running) ? "the same build at other offsets"
                : "build " + Text.clean(held)) + "): the JVM reads jlivepatch's classes from that file as they are first"
                + " used, so a command could stop halfway where it needs one not used yet, and the JVM would not read"
                + " that class again even once the file is put back. Nothing was asked of it. Put back the JAR it started"
                + " with, jlivepatch " + Text.clean(version) + ", at that path, byte for byte, and retry; or restart"
                + " the JVM. Upgrade jlivepatch by writing the new JAR under another name, or to a temporary name renamed"
                + " over the old one (mv), never by copying it into the file in use";
    }

    /** The JVM's open file of {@code fileKey} ({@code /proc/<pid>/fd/<n>}), or null. */
    private static Path openFile(long pid, String fileKey) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    BasicFileAttributes a = Files.readAttributes(fd, BasicFileAttributes.class); // follows the link
                    if (a.isRegularFile() && a.fileKey() != null && a.fileKey().toString().equals(fileKey)) {
                        return fd;
                    }
                } catch (IOException | RuntimeException e) {
                    // closed meanwhile, or not a file: not the JAR
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc, or another user's process: nothing known
        }
        return null;
    }

    /** The stamp in {@link AgentMain#VERSION_PROPERTY}'s value ({@code <version> (build <stamp>)}), or null. */
    static String stampOf(String version) {
        int at = version.lastIndexOf("(build ");
        return at < 0 || !version.endsWith(")") ? null : version.substring(at + "(build ".length(), version.length() - 1);
    }

    /** The build stamp of the JAR open at {@code fd}, or null when it is no jlivepatch JAR (or no zip now). */
    private static String stampIn(Path fd) {
        try (ZipFile zip = new ZipFile(fd.toFile())) {
            ZipEntry e = zip.getEntry(STAMP);
            if (e == null) {
                return null;
            }
            try (InputStream in = zip.getInputStream(e)) {
                byte[] bytes = in.readNBytes(STAMP_MAX_BYTES + 1);
                return bytes.length > STAMP_MAX_BYTES ? null : new String(bytes, StandardCharsets.UTF_8).trim();
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The path the JVM opened the file by, as its fd link says (with " (deleted)" when it was removed since). */
    private static String pathOf(Path fd) {
        try {
            return Text.clean(Files.readSymbolicLink(fd).toString());
        } catch (IOException | RuntimeException e) {
            return "its agent JAR";
        }
    }
}
