package io.jlivepatch.recursion;

import com.acme.recursion.RecursionDriver;
import io.jlivepatch.Livepatch;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.objectweb.asm.ClassReader;

import java.io.File;
import java.io.IOException;
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
 * The kernel's ftrace recursion protection: patches of JDK methods that jlivepatch itself uses on
 * the hook path (routing, stack checks, transition bookkeeping, logging) work under load, through
 * transitions, a reversal and a force, and can be removed. Each runs in a fresh JVM, since a
 * failure here used to kill every thread of the JVM it ran in.
 */
class RecursionTest {

    @ParameterizedTest
    @ValueSource(strings = {"hash", "arraylist", "threadlocal", "stringbuilder", "logger"})
    void aPatchOfAJdkMethodJlivepatchUsesWorksAndComesOff(String target) throws Exception {
        Path log = Files.createTempFile("recursion-" + target, ".log");
        try {
            List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading", "-Djdk.attach.allowAttachSelf=true",
                    "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                    "-cp", classPath(), RecursionDriver.class.getName(), target));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = p.waitFor(150, TimeUnit.SECONDS); // a hang detector, not a measurement
            if (!ended) {
                p.destroyForcibly().waitFor();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(ended, "the driver hung:\n" + tail(out));
            assertEquals(0, p.exitValue(), "the driver failed:\n" + tail(out));
            assertTrue(out.contains("RESULT ok"), tail(out));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String tail(String s) {
        return s.length() <= 20_000 ? s : "..." + s.substring(s.length() - 20_000);
    }

    /** jlivepatch's classes, this test's, ASM's and Byte Buddy's agent installer. */
    private static String classPath() throws URISyntaxException {
        Set<String> entries = new LinkedHashSet<>();
        for (Class<?> c : List.of(Livepatch.class, RecursionDriver.class, ClassReader.class, ByteBuddyAgent.class)) {
            entries.add(Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(File.pathSeparator, entries);
    }
}
