package io.jlivepatch.soak;

import com.acme.soak.SoakDriver;
import io.jlivepatch.Livepatch;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Load/unload cycles of a patch JAR under load, in a fresh JVM: no call fails, and metaspace,
 * loaded classes and threads stop growing. At least 60 cycles, at most 300, for about 40 seconds.
 */
class SoakTest {

    @Test
    void loadUnloadCyclesUnderLoadFailNoCallAndLeakNothing() throws Exception {
        Path log = Files.createTempFile("soak", ".log");
        try {
            Process p = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading", "-Djdk.attach.allowAttachSelf=true",
                    "-cp", classPath(), SoakDriver.class.getName(), "60", "300", "40")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = p.waitFor(170, TimeUnit.SECONDS); // a hang detector
            if (!ended) {
                p.destroyForcibly().waitFor();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            String tail = out.length() <= 20_000 ? out : out.substring(out.length() - 20_000);
            assertTrue(ended, "the soak driver hung:\n" + tail);
            assertEquals(0, p.exitValue(), "the soak driver failed:\n" + tail);
            assertTrue(out.contains("RESULT ok"), tail);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String classPath() throws URISyntaxException {
        Set<String> entries = new LinkedHashSet<>();
        for (Class<?> c : List.of(Livepatch.class, SoakDriver.class, ClassReader.class, ByteBuddyAgent.class)) {
            entries.add(Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(File.pathSeparator, entries);
    }
}
