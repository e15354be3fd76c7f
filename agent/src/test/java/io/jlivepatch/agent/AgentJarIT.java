package io.jlivepatch.agent;

import com.sun.tools.attach.VirtualMachine;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.zip.ZipEntry;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged agent JAR, used the way operators use it: in a JVM of its own. */
class AgentJarIT {

    private static final Path AGENT = Paths.get(System.getProperty("jlivepatch.agent.jar"));
    private static final Path TEST_CLASSES = Paths.get(System.getProperty("jlivepatch.test.classes"));

    @Test
    void agentJarHoldsOnlyJlivepatchAndRelocatedDependencies() throws IOException {
        List<String> outside = new ArrayList<>();
        try (JarFile jar = new JarFile(AGENT.toFile())) {
            jar.stream().map(e -> e.getName()).filter(n -> !n.endsWith("/"))
                    .filter(n -> !n.startsWith("io/jlivepatch/") && !n.startsWith("META-INF/"))
                    .forEach(outside::add);
            assertTrue(jar.getEntry("io/jlivepatch/internal/shaded/asm/ClassReader.class") != null,
                    "ASM is relocated under io.jlivepatch.internal.shaded");
            assertTrue(jar.getEntry("io/jlivepatch/Livepatch.class") != null, "the API is not relocated");
            assertEquals("true", jar.getManifest().getMainAttributes().getValue("Can-Retransform-Classes"));
        }
        assertEquals(List.of(), outside, "entries outside io/jlivepatch/ and META-INF/");
    }

    @Test
    void agentJarStoresItsEntriesWithTheManifestFirst() throws IOException {
        // Stored, not deflated: a JVM with -javaagent reads its classes cold at every start (issue 14).
        List<String> deflated = new ArrayList<>();
        try (JarFile jar = new JarFile(AGENT.toFile())) {
            jar.stream().filter(e -> e.getMethod() != ZipEntry.STORED).map(ZipEntry::getName).forEach(deflated::add);
        }
        assertEquals(List.of(), deflated, "entries the build deflated");
        // The repacking keeps what reads the JAR as a stream working: the manifest comes first.
        try (JarInputStream in = new JarInputStream(Files.newInputStream(AGENT))) {
            assertTrue(in.getManifest() != null, "JarInputStream finds the manifest");
            assertEquals("io.jlivepatch.agent.AgentMain", in.getManifest().getMainAttributes().getValue("Premain-Class"));
        }
    }

    @Test
    void javaagentInstallsBeforeMainWithOnlyTheApplicationOnTheClassPath() throws Exception {
        Path app = appClasses();
        List<String> out = run(List.of(java(), "-javaagent:" + AGENT, "-cp", app.toString(), "agentapp.PatchedApp"));
        assertEquals(List.of("before=hello  a ", "patched=HELLO a", "state=PATCHED", "after=hello  a "),
                out.stream().filter(l -> l.contains("=")).collect(Collectors.toList()), String.join("\n", out));
    }

    @Test
    void agentmainInstallsIntoARunningJvm() throws Exception {
        Path app = appClasses();
        Process p = new ProcessBuilder(java(), "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading",
                "-cp", app.toString(), "agentapp.WaitingApp").redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("ready", r.readLine());
            VirtualMachine vm = VirtualMachine.attach(Long.toString(p.pid()));
            try {
                vm.loadAgent(AGENT.toString());
            } finally {
                vm.detach();
            }
            List<String> rest = r.lines().collect(Collectors.toList());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the application did not end");
            assertTrue(rest.contains("installed=true"), String.join("\n", rest));
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    /** A directory with the application classes only: no jlivepatch, no JUnit. */
    private static Path appClasses() throws IOException {
        Path dir = Files.createTempDirectory(TEST_CLASSES.getParent(), "it-app-classes"); // under target/, not /tmp
        Files.createDirectories(dir.resolve("agentapp"));
        try (Stream<Path> s = Files.list(TEST_CLASSES.resolve("agentapp"))) {
            for (Path c : (Iterable<Path>) s::iterator) {
                Files.copy(c, dir.resolve("agentapp").resolve(c.getFileName()));
            }
        }
        return dir;
    }

    private static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static List<String> run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            lines = r.lines().collect(Collectors.toList());
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the JVM did not end");
        assertEquals(0, p.exitValue(), String.join("\n", lines));
        return Collections.unmodifiableList(lines);
    }
}
