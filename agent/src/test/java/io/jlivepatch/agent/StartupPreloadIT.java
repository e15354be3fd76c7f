package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The start-up preload ({@link StartupPreload}): its list names classes of the agent JAR and the
 * JDK, never a class the boot loader must define; it still names what a start-up with patches loads
 * (else it has gone stale: regenerate it, as the list's class comment says); and its thread is gone
 * when the application's {@code main} runs, with the patch in effect.
 */
class StartupPreloadIT {

    private static final String LIST = "io/jlivepatch/agent/" + StartupPreload.LIST;
    private static final String REGENERATE = "regenerate it: java -cp benchmarks/target/benchmarks.jar"
            + " io.jlivepatch.bench.StartupClassList agent/target/jlivepatch-agent.jar"
            + " agent/src/main/resources/" + LIST + " <each JDK's bin/java>";

    @TempDir
    Path tmp;

    private static List<String> listed() throws Exception {
        try (JarFile jar = new JarFile(TestJars.AGENT.toFile())) {
            String text = new String(jar.getInputStream(jar.getEntry(LIST)).readAllBytes(), StandardCharsets.UTF_8);
            return List.of(text.strip().split("\n"));
        }
    }

    @Test
    void theListNamesClassesOfTheAgentJarOrTheJdkAndNoBootClass() throws Exception {
        List<String> names = listed();
        assertEquals(names.size(), new LinkedHashSet<>(names).size(), "no name twice");
        try (JarFile jar = new JarFile(TestJars.AGENT.toFile())) {
            for (String name : names) {
                assertTrue(!name.startsWith(StartupPreload.BOOT_PACKAGE), name + ": the boot loader's, never preloaded");
                if (name.startsWith("io.jlivepatch.")) {
                    // A class renamed or removed since the list was written
                    assertTrue(jar.getEntry(name.replace('.', '/') + ".class") != null, name + " is not in the agent"
                            + " JAR: " + REGENERATE);
                } else {
                    assertTrue(name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.")
                            || name.startsWith("sun.") || name.startsWith("com.sun."), name + ": not a JDK class");
                }
            }
        }
    }

    @Test
    void aStartUpWithAPatchLoadsWhatTheListNamesAndItsThreadIsGoneAtMain() throws Exception {
        Path patches = Files.createDirectory(tmp.resolve("patches"));
        TestJars.greeterFixJar(patches);
        Path log = tmp.resolve("class-load.txt");
        List<String> cmd = List.of(TestJars.java(), "-Xlog:class+load:file=" + log,
                "-javaagent:" + TestJars.AGENT + "=patches=" + patches, "-Djava.io.tmpdir=" + tmp,
                "-cp", TestJars.appClasses().toString(), "agentapp.GreetOnce", "threads");
        TestJars.Ran ran = TestJars.runToEnd(cmd, tmp);
        String out = ran.out();
        assertTrue(out.contains("\ngreet=fixed a\n"), "the patch is in effect at main: " + out + ran.err());
        String threads = out.lines().filter(l -> l.startsWith("threads=")).findFirst().orElseThrow();
        assertTrue(!threads.contains(StartupPreload.THREAD_NAME), threads);

        // The agent JAR's classes loaded from premain to main, by whichever thread: the preload's
        // (the list's) and premain's own. Those the list misses were loaded by premain alone.
        Set<String> listed = new HashSet<>(listed());
        List<String> window = new ArrayList<>();
        boolean in = false;
        for (String line : Files.readAllLines(log)) {
            String rest = line.substring(line.lastIndexOf("] ") + 2);
            int space = rest.indexOf(' ');
            if (space < 0) {
                continue;
            }
            String name = rest.substring(0, space);
            if (name.equals(AgentMain.class.getName())) {
                in = true;
            } else if (name.equals("agentapp.GreetOnce")) {
                break;
            }
            if (in && rest.contains("source: file:" + TestJars.AGENT)) {
                window.add(name);
            }
        }
        List<String> missed = new ArrayList<>();
        for (String name : window) {
            if (!listed.contains(name)) {
                missed.add(name);
            }
        }
        assertTrue(window.size() > 50, "the window holds the start-up's classes: " + window);
        assertTrue(missed.size() * 10 <= window.size(), missed.size() + " of the " + window.size() + " classes of the"
                + " agent JAR that a start-up with a patch loads are not in the list " + missed + ": " + REGENERATE);
    }
}
