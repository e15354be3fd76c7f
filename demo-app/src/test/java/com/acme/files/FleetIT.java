package com.acme.files;

import com.acme.files.fleet.Convergence;
import com.acme.files.fleet.Hole;
import com.acme.files.fleet.JvmStack;
import com.acme.files.fleet.KubeletVolume;
import com.acme.files.fleet.LegitimateLoad;
import com.acme.files.fleet.ServiceJvm;
import io.jlivepatch.agent.cli.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15's fleet: five JVMs of the file service, each under load, all watching one patch
 * directory that is updated as the kubelet updates a mounted ConfigMap ({@link KubeletVolume}).
 * Dropping in the fix, replacing it with a cumulative v2 and removing it: after each update every
 * JVM converges (its watcher asks for exactly the volume's patches, exactly those are enabled, and
 * the hole is as the patches make it), and not one legitimate request fails. Prints the time each
 * JVM took to converge per update; timing decides nothing, each update has a generous deadline.
 */
class FleetIT {

    private static final Path AGENT_JAR = Paths.get(System.getProperty("demo.agent.jar"));
    private static final Path PATCH_JAR = Paths.get(System.getProperty("demo.patch.jar"));
    private static final Path SERVICE_JAR = Paths.get(System.getProperty("demo.service.jar"));
    private static final Path RUNNING_CLASSES = Paths.get(System.getProperty("demo.running.classes"));
    private static final Path FIXED_CLASSES = Paths.get(System.getProperty("demo.fixed.classes"));

    private static final int JVMS = 5;
    private static final int CLIENTS_PER_JVM = 2;
    /** Every update must converge within this; at interval=2 a missed event costs 2 s, not more. */
    private static final Duration STEP_DEADLINE = Duration.ofSeconds(60);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final String AGENT_OPTIONS = "watch=true,interval=2";
    private static final String V1 = "fix-traversal";
    private static final String V2 = "fix-traversal-v2";
    private static final String TRAVERSAL = "../secret.txt";
    private static final String SECRET = "db_password=correct-horse-battery-staple\n";

    @TempDir
    Path tmp;

    private final List<ServiceJvm> jvms = new ArrayList<>();
    private final List<JvmStack> stacks = new ArrayList<>();
    private final List<LegitimateLoad> loads = new ArrayList<>();

    @AfterEach
    void stopTheFleet() throws InterruptedException {
        for (LegitimateLoad load : loads) {
            load.close();
        }
        stacks.forEach(JvmStack::close);
        jvms.forEach(ServiceJvm::close);
    }

    @Test
    void everyJvmConvergesOnEachUpdateOfTheVolumeAndNoRequestFails() throws Exception {
        Path www = servedFiles();
        Path v2 = cumulativeV2();
        KubeletVolume volume = KubeletVolume.at(tmp.resolve("patches"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

        KubeletVolume.Swap created = volume.update(Map.of());
        List<Convergence.Member> fleet = new ArrayList<>();
        for (int i = 1; i <= JVMS; i++) {
            String name = "jvm-" + i;
            ServiceJvm jvm = ServiceJvm.start(Paths.get(System.getProperty("java.home"), "bin", "java"), AGENT_JAR,
                    "patches=" + volume.dir() + "," + AGENT_OPTIONS, SERVICE_JAR, www, System.out, "[" + name + "] ",
                    START_TIMEOUT);
            jvms.add(jvm);
            JvmStack stack = JvmStack.connect(jvm.pid(), START_TIMEOUT);
            stacks.add(stack);
            fleet.add(new Convergence.Member(name, stack, new Hole(http, jvm.baseUri(), TRAVERSAL, SECRET)));
            loads.add(new LegitimateLoad(http, jvm.baseUri(), legitimateFiles(), CLIENTS_PER_JVM, name));
        }
        loads.forEach(LegitimateLoad::start);

        Map<String, Convergence.Result> steps = new LinkedHashMap<>();
        steps.put("1 no patch (from the volume's creation, JVM start included)", converge(fleet, created,
                new Convergence.Target(List.of(), Hole.Found.OPEN, false)));
        steps.put("2 fix-traversal.jar added", converge(fleet,
                volume.update(Map.of(V1 + ".jar", Files.readAllBytes(PATCH_JAR))),
                new Convergence.Target(List.of(V1), Hole.Found.CLOSED, false)));
        steps.put("3 replaced by fix-traversal-v2.jar (cumulative)", converge(fleet,
                volume.update(Map.of(V2 + ".jar", Files.readAllBytes(v2))),
                new Convergence.Target(List.of(V2), Hole.Found.CLOSED, true)));
        steps.put("4 removed", converge(fleet, volume.update(Map.of()),
                new Convergence.Target(List.of(), Hole.Found.OPEN, false)));

        long ok = 0;
        long failed = 0;
        List<String> failures = new ArrayList<>();
        for (LegitimateLoad load : loads) {
            load.close();
            ok += load.ok();
            failed += load.failed();
            failures.addAll(load.failures());
            assertTrue(load.ok() > 0, "a JVM's clients had no request answered");
        }
        System.out.println(report(steps, ok, failed));
        assertEquals(0, failed, "legitimate requests failed: " + failures);
        for (ServiceJvm jvm : jvms) {
            assertTrue(jvm.isAlive(), "pid " + jvm.pid() + " exited");
        }
    }

    /** Waits for one update; fails at once when a JVM did not converge or something was seen that must not be. */
    private static Convergence.Result converge(List<Convergence.Member> fleet, KubeletVolume.Swap swap,
                                               Convergence.Target target) throws Exception {
        Convergence.Result result = Convergence.await(fleet, target, swap, STEP_DEADLINE);
        StringBuilder why = new StringBuilder();
        result.outcomes().forEach((name, o) -> {
            if (!o.converged()) {
                why.append('\n').append(name).append(" did not converge on ").append(target.patches())
                        .append(" with the hole ").append(target.hole()).append(" within ")
                        .append(STEP_DEADLINE.toSeconds()).append(" s: last seen ").append(o.last())
                        .append(", hole ").append(o.lastHole());
            }
        });
        result.violations().forEach(v -> why.append('\n').append(v));
        assertTrue(why.isEmpty(), "update to " + target.patches() + ":" + why);
        return result;
    }

    private static String report(Map<String, Convergence.Result> steps, long ok, long failed) {
        StringBuilder sb = new StringBuilder("fleet: ").append(JVMS).append(" JVMs on JDK ")
                .append(Runtime.version().feature()).append(", ").append(CLIENTS_PER_JVM)
                .append(" clients each, agent options ").append(AGENT_OPTIONS)
                .append("\nfleet: time to converge in ms, from the ..data swap to the first look that saw it")
                .append(" (in brackets: to the end of the JVM's reconcile, from its LastReconcile)\n");
        sb.append(String.format("%-60s", "update"));
        for (int i = 1; i <= JVMS; i++) {
            sb.append(String.format("%14s", "jvm-" + i));
        }
        sb.append(String.format("%10s%n", "max"));
        steps.forEach((step, result) -> {
            sb.append(String.format("%-60s", step));
            long max = 0;
            for (Convergence.Outcome o : result.outcomes().values()) {
                sb.append(String.format("%14s", o.observedMillis() + " (" + o.reportedMillis() + ")"));
                max = Math.max(max, o.observedMillis());
            }
            sb.append(String.format("%10d%n", max));
        });
        sb.append("fleet: legitimate requests: ").append(ok).append(" answered, ").append(failed).append(" failed");
        return sb.toString();
    }

    /** The cumulative v2: the same fix, built as demo-app's pom builds v1 but with {@code --replace} and its own name. */
    private Path cumulativeV2() throws Exception {
        Path jar = tmp.resolve(V2 + ".jar");
        StringWriter out = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(out, true), "build",
                "--old", RUNNING_CLASSES.toString(), "--new", FIXED_CLASSES.toString(),
                "--include", "com.acme.files.*", "--name", V2, "--replace",
                "--description", "FileStore.resolve refuses names that lead outside the served directory (cumulative)",
                "-o", jar.toString());
        assertEquals(0, exit, "jlivepatch build --replace: " + out);
        try (JarFile built = new JarFile(jar.toFile())) {
            assertEquals("true", built.getManifest().getMainAttributes().getValue("Livepatch-Replace"), out.toString());
        }
        return jar;
    }

    private Path servedFiles() throws Exception {
        Path www = Files.createDirectories(tmp.resolve("www"));
        Files.createDirectories(www.resolve("docs"));
        for (Map.Entry<String, byte[]> f : legitimateFiles().entrySet()) {
            Files.write(www.resolve(f.getKey()), f.getValue());
        }
        Files.writeString(tmp.resolve("secret.txt"), SECRET, StandardCharsets.UTF_8);
        return www;
    }

    private static Map<String, byte[]> legitimateFiles() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.html", "<h1>files</h1>\n".getBytes(StandardCharsets.UTF_8));
        files.put("docs/guide.txt", "how to use the file service\n".getBytes(StandardCharsets.UTF_8));
        // legitimate though it names a parent: it resolves inside the served directory, and the fix must keep serving it
        files.put("docs/../docs/guide.txt", "how to use the file service\n".getBytes(StandardCharsets.UTF_8));
        return files;
    }
}
