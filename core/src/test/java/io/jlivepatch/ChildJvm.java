package io.jlivepatch;

import net.bytebuddy.agent.ByteBuddyAgent;
import org.objectweb.asm.ClassReader;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs a test driver's {@code main} in a fresh JVM of this JDK, with jlivepatch, the test classes,
 * ASM and Byte Buddy's agent installer on its class path: for tests whose failure could take down
 * the JVM they run in, or that must start from a JVM jlivepatch has never touched.
 */
public final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * Runs {@code main} with {@code jvmArgs} and {@code args}; asserts that it ended within
     * {@code hangSeconds} (a hang detector, not a measurement), exited 0 and printed {@code RESULT ok}.
     *
     * @return what it printed
     */
    public static String runOk(Class<?> main, List<String> jvmArgs, List<String> args, long hangSeconds)
            throws Exception {
        Ended e = run(main, jvmArgs, args, hangSeconds);
        assertEquals(0, e.exitCode(), main.getSimpleName() + " failed:\n" + e.tail());
        assertTrue(e.output().contains("RESULT ok"), e.tail());
        return e.output();
    }

    /** How a child JVM ended: its exit code, and what it printed. */
    public record Ended(int exitCode, String output) {
        /** The output's last 20,000 characters, for a failure's message. */
        public String tail() {
            return output.length() <= 20_000 ? output : "..." + output.substring(output.length() - 20_000);
        }
    }

    /**
     * Runs {@code main} as {@link #runOk} does and asserts only that it ended within
     * {@code hangSeconds}, for a driver whose exit code is what the test looks at.
     */
    public static Ended run(Class<?> main, List<String> jvmArgs, List<String> args, long hangSeconds)
            throws Exception {
        Path log = Files.createTempFile(main.getSimpleName(), ".log");
        try {
            List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading", "-Djdk.attach.allowAttachSelf=true"));
            cmd.addAll(jvmArgs);
            cmd.addAll(List.of("-cp", classPath(main), main.getName()));
            cmd.addAll(args);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = p.waitFor(hangSeconds, TimeUnit.SECONDS);
            String threads = "";
            if (!ended) {
                threads = threadDump(p.pid());
                p.destroyForcibly().waitFor();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            String tail = out.length() <= 20_000 ? out : "..." + out.substring(out.length() - 20_000);
            if (!ended) {
                tail = tail + "\n--- its threads when it was stopped (jcmd Thread.print) ---\n" + threads;
            }
            assertTrue(ended, main.getSimpleName() + " hung:\n" + tail);
            return new Ended(p.exitValue(), out);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** What a hung child's threads are doing, for the failure's message: a hang must say where it hangs. */
    private static String threadDump(long pid) {
        try {
            Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
            Process d = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print")
                    .redirectErrorStream(true).start();
            byte[] out = d.getInputStream().readAllBytes(); // ends when jcmd does
            d.waitFor(30, TimeUnit.SECONDS);
            String dump = new String(out, StandardCharsets.UTF_8);
            return dump.length() <= 60_000 ? dump : dump.substring(0, 60_000) + "...";
        } catch (Exception e) {
            return "(no thread dump: " + e + ")";
        }
    }

    private static String classPath(Class<?> main) throws URISyntaxException {
        Set<String> entries = new LinkedHashSet<>();
        for (Class<?> c : List.of(Livepatch.class, main, ClassReader.class, ByteBuddyAgent.class)) {
            entries.add(Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(File.pathSeparator, entries);
    }
}
