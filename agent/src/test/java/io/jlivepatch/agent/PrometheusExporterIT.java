package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * deploy/prometheus/jlivepatch.yaml as a fleet's monitoring reads it: a JVM with both the Prometheus
 * JMX exporter agent and jlivepatch's watching a patch directory, whose metrics page follows the
 * directory through a patch dropped in, a file that is not a JAR, and both taken out again.
 */
class PrometheusExporterIT {

    private static final Path EXPORTER = Paths.get(System.getProperty("jlivepatch.exporter.jar"));
    private static final Path CONFIG = Paths.get(System.getProperty("jlivepatch.exporter.config")).normalize();
    /** Generous: a reconcile runs within a second of a change here (interval=1), but CI machines are slow. */
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private static final String CONVERGED = "jlivepatch_reconcile_state{state=\"converged\"}";
    private static final String FAILED = "jlivepatch_reconcile_state{state=\"failed\"}";
    /** An empty label value is no label in Prometheus: the exporter writes DesiredPatches "" this way. */
    private static final String DESIRES_NONE = "jlivepatch_desired_patches";
    private static final String DESIRES_GREET = "jlivepatch_desired_patches{patches=\"fix-greet\"}";
    private static final String GREET_ENABLED = "jlivepatch_patch_enabled{patch=\"fix-greet\"}";
    private static final String GREET_TRANSITION = "jlivepatch_patch_transition{patch=\"fix-greet\"}";
    /** How many function lines 'jlivepatch load' would exit 5 on: none for the greeter's fix. */
    private static final String GREET_FAILED = "jlivepatch_patch_failed_functions{patch=\"fix-greet\"}";
    private static final String LAST_RECONCILE = "jlivepatch_last_reconcile_seconds";

    @TempDir
    Path patches;
    @TempDir
    Path staging;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @ParameterizedTest(name = "exporter agent first: {0}")
    @ValueSource(booleans = {true, false})
    void theMetricsPageFollowsTheWatchedDirectory(boolean exporterFirst) throws Exception {
        int port = freePort();
        String exporter = "-javaagent:" + EXPORTER + "=127.0.0.1:" + port + ":" + CONFIG;
        String jlivepatch = "-javaagent:" + TestJars.AGENT + "=patches=" + patches + ",watch=true,interval=1";
        URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
        try (ServiceProcess service = exporterFirst ? new ServiceProcess(exporter, jlivepatch)
                : new ServiceProcess(jlivepatch, exporter)) {
            Map<String, Double> page = await(metrics, "converged on an empty directory",
                    m -> converged(m) && m.containsKey(DESIRES_NONE));
            assertEquals(1.0, page.get(DESIRES_NONE));
            assertTrue(patchSeries(page).isEmpty(), page.toString());

            dropIn(TestJars.greeterFixJar(staging));
            page = await(metrics, "fix-greet enabled",
                    m -> converged(m) && m.containsKey(DESIRES_GREET) && Double.valueOf(1.0).equals(m.get(GREET_ENABLED))
                            && Double.valueOf(0.0).equals(m.get(GREET_TRANSITION)) && m.containsKey(GREET_FAILED)
                            && m.getOrDefault(LAST_RECONCILE, 0.0) > 0);
            assertEquals(Map.of(GREET_ENABLED, 1.0, GREET_TRANSITION, 0.0, GREET_FAILED, 0.0), patchSeries(page));
            assertEquals(1.0, page.get(DESIRES_GREET));
            assertEquals(GREET_FIXED, service.call());

            // Not a JAR, and old enough that the watcher cannot take it for a file still being written.
            Path broken = Files.writeString(patches.resolve("broken.jar"), "not a zip file\n");
            Files.setLastModifiedTime(broken, FileTime.from(Instant.now().minusSeconds(60)));
            page = await(metrics, "failed on broken.jar", m -> m.containsKey(FAILED));
            assertEquals(1, stateSeries(page).size(), page.toString());
            assertEquals(1.0, page.get(GREET_ENABLED), "a failed reconcile changes nothing: " + page);
            assertEquals(0.0, page.get(GREET_FAILED), "a failed reconcile fails no function: " + page);
            assertEquals(GREET_FIXED, service.call());

            Files.delete(broken);
            Files.delete(patches.resolve("fix-greet.jar"));
            page = await(metrics, "converged with every patch taken down",
                    m -> converged(m) && m.containsKey(DESIRES_NONE) && patchSeries(m).isEmpty());
            assertEquals(ORIGINAL, service.call());
        }
    }

    /**
     * deploy/kubernetes/exporter-configmap.yaml is generated from the config this test checks
     * (kubectl create configmap --from-file, a literal block indented by four spaces); a change to
     * one without the other would deploy rules no test has read.
     */
    @Test
    void theKubernetesConfigMapCarriesThisConfig() throws IOException {
        Path configMap = CONFIG.getParent().resolveSibling("kubernetes").resolve("exporter-configmap.yaml");
        List<String> lines = Files.readAllLines(configMap);
        int start = lines.indexOf("  jlivepatch.yaml: |") + 1;
        assertTrue(start > 0, "no literal block 'jlivepatch.yaml: |' in " + configMap);
        StringBuilder embedded = new StringBuilder();
        for (String line : lines.subList(start, lines.size())) {
            if (!line.isEmpty() && !line.startsWith("    ")) {
                break;
            }
            embedded.append(line.isEmpty() ? "" : line.substring(4)).append('\n');
        }
        assertEquals(Files.readString(CONFIG).stripTrailing(), embedded.toString().stripTrailing(),
                configMap + " is not " + CONFIG + ": regenerate it with the command in its header");
    }

    /** Puts a JAR into the watched directory as a copying tool does: a {@code .tmp} file renamed when complete. */
    private void dropIn(Path jar) throws IOException {
        Path partial = Files.copy(jar, patches.resolve(jar.getFileName() + ".tmp"));
        Files.move(partial, patches.resolve(jar.getFileName().toString()), StandardCopyOption.ATOMIC_MOVE);
    }

    private static boolean converged(Map<String, Double> page) {
        return Double.valueOf(1.0).equals(page.get(CONVERGED)) && stateSeries(page).size() == 1;
    }

    private static Map<String, Double> stateSeries(Map<String, Double> page) {
        return series(page, "jlivepatch_reconcile_state");
    }

    private static Map<String, Double> patchSeries(Map<String, Double> page) {
        return series(page, "jlivepatch_patch_");
    }

    private static Map<String, Double> series(Map<String, Double> page, String prefix) {
        Map<String, Double> found = new TreeMap<>();
        page.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                found.put(k, v);
            }
        });
        return found;
    }

    /** Reads the page until {@code condition} holds of it; fails with the last page read after {@link #DEADLINE}. */
    private Map<String, Double> await(URI metrics, String what, Predicate<Map<String, Double>> condition)
            throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        Object last = "nothing read";
        while (System.nanoTime() - end < 0) {
            try {
                Map<String, Double> page = read(metrics);
                if (condition.test(page)) {
                    return page;
                }
                last = series(page, "jlivepatch_");
            } catch (IOException e) {
                last = e; // the exporter's server not up yet, or the scrape failed: read again
            }
            Thread.sleep(100);
        }
        return fail("not " + what + " within " + DEADLINE + "; last read: " + last);
    }

    /** The page's samples, {@code name{labels}} to value; comment lines left out. */
    private Map<String, Double> read(URI metrics) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode() + ": " + response.body());
        }
        Map<String, Double> samples = new TreeMap<>();
        for (String line : response.body().split("\n")) {
            int space = line.lastIndexOf(' ');
            if (!line.isBlank() && !line.startsWith("#") && space > 0) {
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return samples;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
