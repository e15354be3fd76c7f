package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operator upgrades jlivepatch by copying the new JAR over the one running JVMs were started with
 * (cp, curl -o: the same file, written in place). Each JVM keeps that file open and reads jlivepatch's
 * classes from it as they are first used: before, the next command's first class not used yet failed
 * to load (ZipException, invalid LOC header) and the JVM kept that failure for good: {@code status}
 * said only "cannot reach jlivepatch ... (Broken pipe)", {@code load} "unknown outcome ... closed the
 * connection", a stack trace went to the application's standard error, and putting the JAR back did
 * not help. Now every command refuses before it asks the JVM anything, saying why and what to do, and
 * the JAR put back works again (hostile trial).
 */
class OverwrittenAgentJarIT {

    @TempDir
    Path dir;

    @Test
    void aJvmWhoseAgentJarWasOverwrittenInPlaceIsAskedNothingUntilTheJarIsPutBack() throws Exception {
        Path jar = dir.resolve("jlivepatch-agent.jar");
        Files.copy(TestJars.AGENT, jar);
        byte[] started = Files.readAllBytes(jar);
        try (ServiceProcess service = new ServiceProcess("-javaagent:" + jar)) {
            Cli first = Cli.run("status", service.pid());
            assertEquals(0, first.exitCode(), first.toString());
            FileTime startedModified = Files.getLastModifiedTime(jar);

            Files.write(jar, withStamp(started, "20991231T000000.000Z")); // in place: the same inode
            Cli status = Cli.run("status", service.pid());
            assertEquals(1, status.exitCode(), status.toString());
            assertTrue(status.err().contains("from " + jar + ", and that file was overwritten since the JVM opened it ("
                    + started.length + " bytes then"), status.toString());
            assertTrue(status.err().contains("it now holds build 20991231T000000.000Z)"), status.toString());
            assertTrue(status.err().contains("Nothing was asked of it. Put back the JAR it started with"), status.toString());
            assertTrue(status.err().contains("never by copying it into the file in use"), status.toString());
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("was overwritten since the JVM opened it"), load.toString());
            assertEquals(ORIGINAL, service.call());
            String listed = lineOf(Cli.run("list").out(), service.pid());
            assertTrue(listed.contains("but its agent JAR was overwritten since it started ('jlivepatch status "
                    + service.pid() + "' says what to do)"), listed);

            Files.write(jar, "not a JAR".getBytes(StandardCharsets.US_ASCII));
            Cli notJar = Cli.run("status", service.pid());
            assertEquals(1, notJar.exitCode(), notJar.toString());
            assertTrue(notJar.err().contains("it now holds no jlivepatch JAR)"), notJar.toString());

            // Put back byte for byte (a later modification time: the same build copied over itself):
            // nothing was asked of the JVM meanwhile, so nothing failed there for good.
            Files.write(jar, started);
            Files.setLastModifiedTime(jar, FileTime.fromMillis(startedModified.toMillis() + 60_000));
            Cli back = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, back.exitCode(), back.toString());
            assertEquals(GREET_FIXED, service.call());

            // Renamed over the path, another build is another file: the JVM reads its own on.
            Path next = dir.resolve("jlivepatch-agent.jar.new");
            Files.write(next, withStamp(started, "20991231T000000.000Z"));
            Files.move(next, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Cli unload = Cli.run("unload", service.pid(), "fix-greet");
            assertEquals(0, unload.exitCode(), unload.toString());
            assertEquals(ORIGINAL, service.call());
            assertTrue(lineOf(Cli.run("list").out(), service.pid()).contains("loaded "), "listed as loaded");
        }
    }

    /**
     * A JVM whose control socket was deleted (a clean-up of the temporary directory) is asked to open
     * it again by an attach of the agent, which runs jlivepatch's code there: while its JAR is
     * overwritten that attach is not made either, the refusal comes first, and the socket stays gone
     * until a command after the JAR is put back asks for it.
     */
    @Test
    void aJvmWhoseSocketWasDeletedIsNotAttachedToWhileItsAgentJarIsOverwritten() throws Exception {
        Path jar = dir.resolve("jlivepatch-agent.jar");
        Files.copy(TestJars.AGENT, jar);
        byte[] started = Files.readAllBytes(jar);
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        try (ServiceProcess service = new ServiceProcess("-Djava.io.tmpdir=" + tmp, "-javaagent:" + jar)) {
            Cli first = Cli.run("status", service.pid());
            assertEquals(0, first.exitCode(), first.toString());
            java.util.List<Path> sockets = sockets(tmp);
            assertEquals(1, sockets.size(), sockets.toString());
            Files.delete(sockets.get(0));

            Files.write(jar, withStamp(started, "20991231T000000.000Z"));
            Cli status = Cli.run("status", service.pid());
            assertEquals(1, status.exitCode(), status.toString());
            assertTrue(status.err().contains("was overwritten since the JVM opened it") && status.err().contains(
                    "Nothing was asked of it."), status.toString());
            assertEquals(java.util.List.of(), sockets(tmp), "nothing asked: no attach opened the socket again");

            Files.write(jar, started);
            Cli back = Cli.run("status", service.pid());
            assertEquals(0, back.exitCode(), back.toString());
            assertEquals(1, sockets(tmp).size(), "opened again once the JAR is back");
        }
    }

    /**
     * A write that keeps the file's size and modification time (cp --preserve=timestamps of a file of
     * the same size, images whose files all have one time): the change time, which no copy sets back,
     * still moved, and the command refuses; the JAR put back works.
     */
    @Test
    void anOverwriteThatKeepsTheSizeAndTheTimeIsRefused() throws Exception {
        Path jar = dir.resolve("jlivepatch-agent.jar");
        Files.copy(TestJars.AGENT, jar);
        byte[] started = Files.readAllBytes(jar);
        try (ServiceProcess service = new ServiceProcess("-javaagent:" + jar)) {
            Cli first = Cli.run("status", service.pid());
            assertEquals(0, first.exitCode(), first.toString());
            FileTime modified = Files.getLastModifiedTime(jar);

            byte[] other = started.clone();
            other[stampData(other)] ^= 0x5a; // the same size: another file, not this build's
            Files.write(jar, other);
            Files.setLastModifiedTime(jar, modified);
            Cli status = Cli.run("status", service.pid());
            assertEquals(1, status.exitCode(), status.toString());
            assertTrue(status.err().contains("(" + started.length + " bytes then, " + started.length + " now; modified ")
                    && status.err().contains(" then and now: written since, its time kept; it now holds "),
                    status.toString());

            Files.write(jar, started);
            Files.setLastModifiedTime(jar, modified);
            Cli back = Cli.run("status", service.pid());
            assertEquals(0, back.exitCode(), "the same bytes back: " + back);
        }
    }

    /** Where the build stamp's data begins in {@code jar}: after its local header's name and extra field. */
    private static int stampData(byte[] jar) {
        byte[] name = "META-INF/jlivepatch/build-stamp".getBytes(StandardCharsets.US_ASCII);
        for (int i = 30; i + name.length <= jar.length; i++) {
            if (java.util.Arrays.equals(jar, i, i + name.length, name, 0, name.length)
                    && jar[i - 30] == 'P' && jar[i - 29] == 'K' && jar[i - 28] == 3 && jar[i - 27] == 4) {
                int extra = (jar[i - 2] & 0xff) | (jar[i - 1] & 0xff) << 8;
                return i + name.length + extra;
            }
        }
        throw new AssertionError("no build stamp in the agent JAR");
    }

    private static java.util.List<Path> sockets(Path tmp) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.walk(tmp)) {
            return files.filter(p -> p.getFileName().toString().startsWith("control-")
                    && p.getFileName().toString().endsWith(".sock")).toList();
        }
    }

    /**
     * A watched directory applies patches by itself, with nobody to read a refusal: while the JAR is
     * overwritten, a reconcile that would change something applies nothing and says why in the log (and
     * the audit log), and once the JAR is put back the next retry applies it.
     */
    @Test
    void aWatchedDirectoryAppliesNothingWhileTheAgentJarIsOverwrittenAndGoesOnOnceItIsPutBack() throws Exception {
        Path jar = dir.resolve("jlivepatch-agent.jar");
        Files.copy(TestJars.AGENT, jar);
        byte[] started = Files.readAllBytes(jar);
        Path patches = Files.createDirectory(dir.resolve("patches"));
        Path made = Files.createDirectory(dir.resolve("made"));
        Path log = dir.resolve("stderr.txt");
        try (ServiceProcess service = new ServiceProcess(ProcessBuilder.Redirect.to(log.toFile()),
                "-javaagent:" + jar + "=patches=" + patches + ",watch=true,interval=1")) {
            assertEquals("installed", service.awaitAgent());
            Files.write(jar, withStamp(started, "20991231T000000.000Z"));
            Files.move(TestJars.greeterFixJar(made), patches.resolve("fix-greet.jar"), StandardCopyOption.ATOMIC_MOVE);
            String said = awaitLine(log, "nothing applied: jlivepatch's JAR " + jar + " was overwritten since this JVM"
                    + " opened it");
            assertTrue(said.contains("it now holds build 20991231T000000.000Z") && said.contains("Put back the JAR it"
                    + " started with"), said);
            assertEquals(ORIGINAL, service.call());

            Files.write(jar, started);
            long deadline = System.nanoTime() + 60_000_000_000L; // a bound against a hang, not a timing
            while (!GREET_FIXED.equals(service.call()) && System.nanoTime() - deadline < 0) {
                Thread.sleep(100);
            }
            assertEquals(GREET_FIXED, service.call(), "applied once the JAR was put back");
        }
    }

    /**
     * jlivepatch's MBeans, registered by a JVM that ran a command before its JAR was overwritten: a
     * change through JMX is refused before it runs anything (its mark would install the hooks), and
     * goes through once the JAR is put back; attribute reads (a metrics exporter) go on.
     */
    @Test
    void aChangeThroughJmxIsRefusedWhileTheAgentJarIsOverwritten() throws Exception {
        Path jar = dir.resolve("jlivepatch-agent.jar");
        Files.copy(TestJars.AGENT, jar);
        byte[] started = Files.readAllBytes(jar);
        try (ServiceProcess service = new ServiceProcess("-javaagent:" + jar)) {
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(GREET_FIXED, service.call()); // the hook's first call links it
            com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(Long.toString(service.pid()));
            String address;
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
            try (javax.management.remote.JMXConnector c = javax.management.remote.JMXConnectorFactory.connect(
                    new javax.management.remote.JMXServiceURL(address))) {
                javax.management.MBeanServerConnection mbs = c.getMBeanServerConnection();
                javax.management.ObjectName patch = new javax.management.ObjectName("io.jlivepatch:type=Patch,name=fix-greet");
                for (int i = 0; i < 6000 && !mbs.isRegistered(patch); i++) {
                    Thread.sleep(10); // registered by a thread of jlivepatch's once the server exists: a hang bound
                }
                assertEquals(true, mbs.getAttribute(patch, "Enabled"));

                Files.write(jar, withStamp(started, "20991231T000000.000Z"));
                javax.management.Attribute off = new javax.management.Attribute("Enabled", false);
                Exception refused = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                        () -> mbs.setAttribute(patch, off));
                String why = String.valueOf(refused.getCause() != null ? refused.getCause().getMessage() : refused.getMessage());
                assertTrue(why.startsWith("ILLEGAL_STATE: jlivepatch's JAR " + jar + " was overwritten since this JVM"
                        + " opened it") && why.endsWith("; nothing was done"), refused.toString());
                assertEquals(true, mbs.getAttribute(patch, "Enabled"), "a read goes on");
                assertEquals(GREET_FIXED, service.call());

                Files.write(jar, started);
                mbs.setAttribute(patch, off);
                assertEquals(ORIGINAL, service.call());
            }
        }
    }

    /**
     * A patch loaded, then the JAR overwritten before the patched method's first call: that call links the
     * hook with classes of jlivepatch's that nothing loaded before (the linker's site, the relink thread).
     * Before, it found them gone, ran the method's own code for good and its function said FAILED; they
     * are loaded with the hooks now, so the replacement runs.
     */
    @Test
    void aPatchedMethodFirstCalledOnlyAfterTheJarIsOverwrittenRunsItsReplacement() throws Exception {
        Path jar = dir.resolve("jlivepatch-agent.jar");
        Files.copy(TestJars.AGENT, jar);
        byte[] started = Files.readAllBytes(jar);
        try (ServiceProcess service = new ServiceProcess("-javaagent:" + jar)) {
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            Files.write(jar, withStamp(started, "20991231T000000.000Z"));
            assertEquals(GREET_FIXED, service.call());
            Files.write(jar, started);
            Cli status = Cli.run("status", service.pid());
            assertTrue(status.exitCode() == 0 && status.out().contains("]: patched") && !status.out().contains("FAILED"),
                    status.toString());
        }
    }

    /** The first line of {@code log} that contains {@code text}, waited for (at most a minute: a bound against a hang). */
    private static String awaitLine(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            for (String line : Files.readAllLines(log)) {
                if (line.contains(text)) {
                    return line;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                return String.join("\n", Files.readAllLines(log));
            }
            Thread.sleep(100);
        }
    }

    /** {@code jar} with another build stamp, written again (deflated): every entry at other offsets. */
    private static byte[] withStamp(byte[] jar, String stamp) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipInputStream in = new ZipInputStream(new java.io.ByteArrayInputStream(jar));
             ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                out.putNextEntry(new ZipEntry(e.getName()));
                if (e.getName().equals("META-INF/jlivepatch/build-stamp")) {
                    out.write((stamp + "\n").getBytes(StandardCharsets.US_ASCII));
                } else {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static String lineOf(String listing, long pid) {
        for (String line : listing.split("\n")) {
            if (line.startsWith(pid + " ")) {
                return line;
            }
        }
        return "(no line for pid " + pid + " in:\n" + listing + ")";
    }
}
