package io.jlivepatch.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Writes the agent's {@code startup-classes.txt} (the classes its start-up preload loads aside of
 * premain, {@code io.jlivepatch.agent.StartupPreload}): from {@link StartupCost}'s
 * {@code agentOnePatch} JVM run with {@code -Xlog:class+load}, the classes loaded between the agent's
 * first class and the application's that come from the agent JAR or from the JDK's image (not from
 * the CDS archive, and no class made at run time), in load order. One run per JDK given; the lists
 * are merged, each JDK's own names after the name that precedes them in its run.
 *
 * <p>The run uses a copy of the agent JAR without the list, so that the preload loads nothing and
 * the log shows only what premain itself needs. jlivepatch's boot classes are left out (the preload
 * must never define them in the application's loader).
 *
 * <pre>java -cp benchmarks.jar io.jlivepatch.bench.StartupClassList &lt;agent.jar&gt; &lt;out.txt&gt; &lt;java&gt;...</pre>
 * e.g. {@code ... agent/target/jlivepatch-agent.jar agent/src/main/resources/io/jlivepatch/agent/startup-classes.txt
 * /usr/lib/jvm/java-17-openjdk-amd64/bin/java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
 */
public final class StartupClassList {

    static final String RESOURCE = "io/jlivepatch/agent/startup-classes.txt";
    private static final String FIRST = "io.jlivepatch.agent.AgentMain";

    private StartupClassList() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: StartupClassList <agent.jar> <out.txt> <java>...");
            System.exit(2);
        }
        Path work = Files.createTempDirectory("jlivepatch-classlist");
        try {
            Path agent = withoutList(Paths.get(args[0]), work.resolve("agent-without-list.jar"));
            List<String> command = StartupCost.commands(agent, work).get("agentOnePatch");
            List<String> merged = new ArrayList<>();
            for (int i = 2; i < args.length; i++) {
                List<String> names = loaded(args[i], command, agent, work.resolve("class-load-" + i + ".txt"));
                System.out.println(args[i] + ": " + names.size() + " classes");
                merged = merge(merged, names);
            }
            Files.write(Paths.get(args[1]), merged, StandardCharsets.UTF_8);
            System.out.println(merged.size() + " classes written to " + args[1]);
        } finally {
            StartupCost.deleteTree(work);
        }
    }

    /** A copy of the agent JAR without the list, its entries otherwise as they are. */
    private static Path withoutList(Path agent, Path copy) throws IOException {
        try (JarFile in = new JarFile(agent.toFile());
             OutputStream file = Files.newOutputStream(copy);
             JarOutputStream out = new JarOutputStream(file)) {
            for (JarEntry e : Collections.list(in.entries())) {
                if (e.getName().equals(RESOURCE)) {
                    continue;
                }
                out.putNextEntry(new JarEntry(e.getName()));
                try (InputStream body = in.getInputStream(e)) {
                    body.transferTo(out);
                }
                out.closeEntry();
            }
        }
        return copy;
    }

    /** The window's classes of the agent JAR and the JDK's image, in load order, from one run of {@code java}. */
    private static List<String> loaded(String java, List<String> command, Path agent, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(command);
        cmd.set(0, java);
        cmd.add(1, "-Xlog:class+load:file=" + log);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not end with 0");
        }
        String app = command.get(command.size() - 1);
        String fromAgent = "source: file:" + agent;
        List<String> names = new ArrayList<>();
        boolean in = false;
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            int at = line.indexOf("] ");
            String rest = line.substring(line.lastIndexOf("] ") + 2);
            int space = rest.indexOf(' ');
            if (at < 0 || space < 0) {
                continue; // "opened: ..." and other lines
            }
            String name = rest.substring(0, space);
            if (name.equals(FIRST)) {
                in = true;
            } else if (name.equals(app)) {
                break;
            }
            boolean listed = rest.contains(fromAgent) || rest.contains("source: jrt:/");
            if (in && listed && !name.startsWith("io.jlivepatch.internal.bootstrap.") && name.indexOf('/') < 0) {
                names.add(name);
            }
        }
        if (names.isEmpty()) {
            throw new IllegalStateException("no class of the agent's start-up in " + log);
        }
        return names;
    }

    /** {@code first}'s order, each name only {@code second} has after the name before it there. */
    static List<String> merge(List<String> first, List<String> second) {
        Set<String> known = new LinkedHashSet<>(first);
        Map<String, List<String>> after = new LinkedHashMap<>();
        String previous = null;
        for (String name : second) {
            if (known.contains(name)) {
                previous = name;
            } else {
                after.computeIfAbsent(previous, k -> new ArrayList<>()).add(name);
            }
        }
        List<String> merged = new ArrayList<>(after.getOrDefault(null, List.of()));
        for (String name : first) {
            merged.add(name);
            merged.addAll(after.getOrDefault(name, List.of()));
        }
        return new ArrayList<>(new LinkedHashSet<>(merged));
    }
}
