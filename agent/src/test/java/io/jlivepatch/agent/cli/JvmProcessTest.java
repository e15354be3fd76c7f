package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Reading who this command runs as, from /proc, for the other-user check. */
class JvmProcessTest {

    /**
     * The command's own uid is read from its own /proc directory, not from the /proc/self link, whose
     * owner (read without following it) is root: every user then read as root, and a JVM of another user
     * was refused as "cannot be inspected (/proc/N/maps)" instead of "runs as another user (uid N): run
     * jlivepatch as that user" (seen running the command as an unprivileged user against root's JVM).
     */
    @Test
    void theOwnUidIsReadFromTheOwnProcDirectoryNotTheSelfLink() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "a /proc file system");
        Path self = JvmProcess.selfDir();
        assertFalse(Files.isSymbolicLink(self), self + " is a link: its owner is not the process's");
        assertTrue(Files.isDirectory(self, LinkOption.NOFOLLOW_LINKS), self.toString());
        assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"),
                Files.getAttribute(self, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    }

    /**
     * A JVM of another user is refused with that user's name, not only the uid, and what to do: run the
     * command as that user (an operator's trial: "uid 1001" sent them to /etc/passwd first).
     */
    @Test
    void anotherUsersJvmIsRefusedWithTheUsersNameAndTheSudoToRunAsThem() {
        assertEquals("pid 4242 (java -jar app.jar) runs as another user, 'alice' (uid 1001): run jlivepatch as that"
                + " user (sudo -u alice ...)", JvmProcess.otherUser(4242, "java -jar app.jar", 1001, "alice"));
    }

    /** A uid without a name (no entry in the user database, a container's user): the uid alone, and sudo's #uid. */
    @Test
    void aUidWithoutANameIsRefusedWithTheUidAlone() {
        assertEquals("pid 4242 (java -jar app.jar) runs as another user (uid 1001): run jlivepatch as that user"
                + " (sudo -u '#1001' ...)", JvmProcess.otherUser(4242, "java -jar app.jar", 1001, null));
        // the JDK's principal of such a uid is named by its number: no name is known then
        assertEquals(null, JvmProcess.knownName("1001", 1001));
        assertEquals(null, JvmProcess.knownName(null, 1001));
        assertEquals("alice", JvmProcess.knownName("alice", 1001));
    }

    /** The name is read from the owner of the process's /proc directory, as the uid is. */
    @Test
    void theOwnersNameIsReadFromTheProcDirectory() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "a /proc file system");
        Path self = JvmProcess.selfDir();
        Object uid = Files.getAttribute(self, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        String expected = JvmProcess.knownName(Files.getOwner(self).getName(), uid);
        assumeTrue(expected != null, "this user has a name");
        assertEquals(System.getProperty("user.name"), JvmProcess.ownerName(self, uid));
    }

    /**
     * Files of options the JVM's command line names are read in its working directory (a relative
     * name) or file system (an absolute one); a name that is not a regular file (an application's
     * argument naming a pipe) is passed over unread, so that it cannot hold the command.
     */
    @Test
    void optionFilesAreReadFromTheJvmsDirectoryAndAPipeIsNotOpened(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Files.createSymbolicLink(proc.resolve("cwd"), cwd);
        Files.createSymbolicLink(proc.resolve("root"), Path.of("/"));
        Files.writeString(cwd.resolve("app.args"), "-Xmx1g\n-XX:+DisableAttachMechanism\n");
        Path absolute = Files.writeString(dir.resolve("vm.options"), "-XX:+DisableAttachMechanism");
        Path fifo = dir.resolve("pipe");
        assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");

        Files.writeString(proc.resolve("cmdline"), "java\0@" + fifo + "\0@app.args\0Main\0");
        assertEquals("app.args", JvmOptions.attachingDisabledBy(proc, null));
        Files.writeString(proc.resolve("cmdline"), "java\0-XX:VMOptionsFile=" + absolute + "\0Main\0");
        assertEquals(absolute.toString(), JvmOptions.attachingDisabledBy(proc, null));
        Files.writeString(proc.resolve("cmdline"), "java\0-XX:Flags=" + fifo + "\0@\0Main\0@missing\0");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
    }

    /**
     * Why the JDK's list leaves out a JVM that allows attaching, where its options say so: no
     * performance data ({@code -XX:-UsePerfData}) or none in a file ({@code -XX:+PerfDisableSharedMem}),
     * read as the JVM read them (the last word wins; an argument file named). Nothing is said otherwise:
     * it may be starting, or keep its data where this command does not look. Before, {@code list} said
     * "no performance data" of every such JVM, a guess.
     */
    @Test
    void noPerformanceDataFileIsSaidOnlyWhereTheOptionsSayIt(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path proc = proc(dir, "java\0-XX:-UsePerfData\0Main\0", "");
        assertEquals("-XX:-UsePerfData", JvmOptions.noPerfDataFileBy(proc, null));
        proc = proc(dir, "java\0-XX:-UsePerfData\0-XX:+UsePerfData\0Main\0", "");
        assertEquals(null, JvmOptions.noPerfDataFileBy(proc, null), "the last word wins");
        proc = proc(dir, "java\0Main\0", "JAVA_TOOL_OPTIONS=-XX:+PerfDisableSharedMem\0");
        assertEquals("-XX:+PerfDisableSharedMem", JvmOptions.noPerfDataFileBy(proc, null));
        Files.writeString(dir.resolve("cwd/app.args"), "-XX:-UsePerfData\n");
        proc = proc(dir, "java\0@app.args\0Main\0", "");
        assertEquals("-XX:-UsePerfData (in app.args)", JvmOptions.noPerfDataFileBy(proc, null));
        proc = proc(dir, "java\0Main\0-XX:-UsePerfData\0", "");
        assertEquals(null, JvmOptions.noPerfDataFileBy(proc, null), "the application's argument");

        assertEquals("unknown (not in the JDK's list of JVMs: it runs with -XX:-UsePerfData (in app.args); not"
                + " asked: 'jlivepatch status 4242' asks it)", ListCommand.notListed(4242,
                "-XX:-UsePerfData (in app.args)"));
        String unknown = ListCommand.notListed(4242, null);
        assertEquals("unknown (not in the JDK's list of JVMs; not asked: 'jlivepatch status 4242' asks it)", unknown);
        assertFalse(unknown.contains("performance data"), "no cause that was not checked: " + unknown);
    }

    /** A fake /proc/N of a JVM started in {@code cwd}, with {@code cmdline} and {@code environ} (NUL-separated). */
    private static Path proc(Path dir, String cmdline, String environ) throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        if (!Files.exists(proc.resolve("cwd"), LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(proc.resolve("cwd"), cwd);
            Files.createSymbolicLink(proc.resolve("root"), Path.of("/"));
        }
        Files.writeString(proc.resolve("cmdline"), cmdline);
        Files.writeString(proc.resolve("environ"), environ);
        return proc;
    }

    /**
     * The last setting wins, as in the JVM: -XX:-DisableAttachMechanism after a + (on the command line,
     * or after an argument file's) leaves attaching on, and such a JVM was refused ("runs with
     * -XX:+DisableAttachMechanism") though jcmd attaches to it (tried: java -XX:+DisableAttachMechanism
     * -XX:-DisableAttachMechanism). A + after a - still disables it.
     */
    @Test
    void aMinusAfterAPlusLeavesAttachingOn(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path proc = proc(dir, "java\0-XX:+DisableAttachMechanism\0-XX:-DisableAttachMechanism\0Main\0", "");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
        Files.writeString(dir.resolve("cwd/off.args"), "-XX:+DisableAttachMechanism\n");
        proc(dir, "java\0@off.args\0-XX:-DisableAttachMechanism\0Main\0", "");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
        proc(dir, "java\0-XX:-DisableAttachMechanism\0@off.args\0Main\0", "");
        assertEquals("off.args", JvmOptions.attachingDisabledBy(proc, null));
        proc(dir, "java\0-XX:-DisableAttachMechanism\0-XX:+DisableAttachMechanism\0Main\0", "");
        assertEquals("", JvmOptions.attachingDisabledBy(proc, null));
    }

    /**
     * An argument file is split as the java launcher splits it: a comment that mentions the option sets
     * nothing (such a JVM was refused; jcmd attaches to it, tried), a quoted one does set it.
     */
    @Test
    void anArgumentFileIsReadByTheLaunchersRules(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path proc = proc(dir, "java\0@app.args\0Main\0", "");
        Files.writeString(dir.resolve("cwd/app.args"), "# -XX:+DisableAttachMechanism was needed before 2.0\n-Xmx1g\n");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
        Files.writeString(dir.resolve("cwd/app.args"), "-Dnote=\"-XX:+DisableAttachMechanism is not set\" -Xmx1g\n");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null), "inside another argument");
        Files.writeString(dir.resolve("cwd/app.args"), "-Xmx1g -XX:\"+DisableAttachMechanism\" # off\n");
        assertEquals("app.args", JvmOptions.attachingDisabledBy(proc, null));
        assertEquals(java.util.List.of("a b", "c\td", "joined"),
                OptionTokens.argumentFile("'a b' \"c\\td\"\n#x y\n\"join\\\n    ed\""));
    }

    /**
     * A -XX:Flags= file holds +Name and -Name lines (a -XX: line there stops the JVM from starting), and
     * is read before the command line, which overrides it: it disabled attaching without a refusal,
     * and a comment in it was taken for the option.
     */
    @Test
    void aFlagsFileIsReadAsHotSpotReadsItAndFirst(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path proc = proc(dir, "java\0-XX:Flags=vm.flags\0Main\0", "");
        Files.writeString(dir.resolve("cwd/vm.flags"), "+DisableAttachMechanism\n");
        assertEquals("vm.flags", JvmOptions.attachingDisabledBy(proc, null));
        proc(dir, "java\0-XX:-DisableAttachMechanism\0-XX:Flags=vm.flags\0Main\0", "");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null), "the command line overrides it");
        // no -XX:Flags=: a product JVM only warns of a .hotspotrc in its directory (tried, JDK 17 and 25)
        Files.writeString(dir.resolve("cwd/.hotspotrc"), "+DisableAttachMechanism\n");
        proc(dir, "java\0Main\0", "");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null), ".hotspotrc is not read");
        proc(dir, "java\0-XX:Flags=vm.flags\0Main\0", "");
        Files.writeString(dir.resolve("cwd/vm.flags"), "# -XX:+DisableAttachMechanism\n+UseSerialGC\n");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
    }

    /**
     * Only the variables the JVM reads set options (JAVA_TOOL_OPTIONS first, _JAVA_OPTIONS last): another
     * that mentions the option was taken for a setting, and JAVA_TOOL_OPTIONS' + for the last word.
     */
    @Test
    void onlyTheJvmsOwnVariablesSetOptionsInTheirOrder(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path proc = proc(dir, "java\0Main\0", "OLD_OPTS=-XX:+DisableAttachMechanism\0");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
        proc(dir, "java\0Main\0", "JAVA_TOOL_OPTIONS=-Xmx1g -XX:+DisableAttachMechanism\0");
        assertEquals("", JvmOptions.attachingDisabledBy(proc, null));
        proc(dir, "java\0-XX:-DisableAttachMechanism\0Main\0", "JAVA_TOOL_OPTIONS=-XX:+DisableAttachMechanism\0");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
        proc(dir, "java\0-XX:-DisableAttachMechanism\0Main\0", "_JAVA_OPTIONS=-XX:+DisableAttachMechanism\0");
        assertEquals("", JvmOptions.attachingDisabledBy(proc, null));
    }

    /**
     * A file written since the JVM started, or one that cannot be read, may not say what the JVM read:
     * no refusal rests on it (the attach API says what it finds), and the command does not fail.
     * /proc/self/mem stands for a file that cannot be read: a regular file whose first byte fails with EIO.
     */
    @Test
    void aFileChangedSinceTheStartOrUnreadableRefusesNothing(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path proc = proc(dir, "java\0@app.args\0Main\0", "");
        Path file = Files.writeString(dir.resolve("cwd/app.args"), "-XX:+DisableAttachMechanism\n");
        java.time.Instant started = Files.getLastModifiedTime(file).toInstant();
        assertEquals("app.args", JvmOptions.attachingDisabledBy(proc, started));
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(started.plusSeconds(3600)));
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, started));
        assertEquals("", JvmOptions.attachingDisabledBy(proc(dir, "java\0@app.args\0-XX:+DisableAttachMechanism\0M\0",
                ""), started), "a later setting on the command line is known");

        Path mem = Path.of("/proc/self/mem");
        assumeTrue(Files.isRegularFile(mem), "a /proc file system");
        proc(dir, "java\0-XX:+DisableAttachMechanism\0@" + mem + "\0Main\0", "");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
    }

    /**
     * A file whose name cannot be looked up here (a directory of the JVM's user this command may not
     * search; as root, a name longer than NAME_MAX stands for it: ENAMETOOLONG, not "absent") is not
     * known to be absent: no refusal rests on it. Files.isSymbolicLink said false for it, the walk went
     * on, and the file read as empty: the + before it refused a JVM whose file may say -.
     */
    @Test
    void aFileWhoseNameCannotBeLookedUpRefusesNothing(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String tooLong = "d".repeat(256) + "/jvm.args";
        Path proc = proc(dir, "java\0-XX:+DisableAttachMechanism\0@" + tooLong + "\0Main\0", "");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
        proc(dir, "java\0-XX:+DisableAttachMechanism\0@absent/jvm.args\0Main\0", "");
        assertEquals("", JvmOptions.attachingDisabledBy(proc, null), "a file known to be absent says nothing");
    }

    /**
     * A file of options is read in the JVM's file system, its absolute links followed from its root: a
     * container's /etc/app/jvm.args linking to /config/jvm.args, which takes back the command line's +,
     * was looked for in this command's /config, found missing, and the JVM refused.
     */
    @Test
    void anOptionFilesAbsoluteLinksAreFollowedInTheJvmsFileSystem(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Path root = Files.createDirectories(dir.resolve("container"));
        String config = "/config-" + ProcessHandle.current().pid() + "-h121"; // no such directory on this host
        assumeFalse(Files.exists(Path.of(config)));
        Files.createDirectories(root.resolve(config.substring(1)));
        Files.writeString(root.resolve(config.substring(1)).resolve("jvm.args"), "-XX:-DisableAttachMechanism\n");
        Files.createDirectories(root.resolve("etc/app"));
        Files.createSymbolicLink(root.resolve("etc/app/jvm.args"), Path.of(config + "/jvm.args"));
        Files.createSymbolicLink(proc.resolve("root"), root);
        Files.createSymbolicLink(proc.resolve("cwd"), root.resolve("etc"));
        Files.writeString(proc.resolve("environ"), "");
        Files.writeString(proc.resolve("cmdline"), "java\0-XX:+DisableAttachMechanism\0@/etc/app/jvm.args\0Main\0");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
        Files.writeString(proc.resolve("cmdline"), "java\0-XX:+DisableAttachMechanism\0@app/jvm.args\0Main\0");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null), "relative to its working directory");
    }

    /**
     * What follows the main class (-jar's, -m's) is the application's: the launcher neither takes an
     * option there nor reads an @file. An application given -XX:+DisableAttachMechanism or @app.config
     * (holding it) as its own argument was refused, though jcmd attaches to it.
     */
    @Test
    void theApplicationsArgumentsAreNotTheJvmsOptions(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path proc = proc(dir, "java\0-cp\0app\0Main\0-XX:+DisableAttachMechanism\0", "");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
        Files.writeString(dir.resolve("cwd/app.config"), "-XX:+DisableAttachMechanism\n");
        proc(dir, "java\0-jar\0app.jar\0@app.config\0", "");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
        proc(dir, "java\0-m\0app/app.Main\0@app.config\0", "");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null));
        // before the main class, after options that take a value: the JVM's
        proc(dir, "java\0--add-opens\0java.base/java.lang=ALL-UNNAMED\0-cp\0app\0@app.config\0Main\0", "");
        assertEquals("app.config", JvmOptions.attachingDisabledBy(proc, null));
        Files.writeString(dir.resolve("cwd/main.args"), "-cp app Main -XX:+DisableAttachMechanism\n");
        proc(dir, "java\0@main.args\0", "");
        assertEquals(null, JvmOptions.attachingDisabledBy(proc, null), "the main class in an argument file");
    }
}
