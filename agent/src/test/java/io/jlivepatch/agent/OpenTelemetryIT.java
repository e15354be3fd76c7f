package io.jlivepatch.agent;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * jlivepatch and the OpenTelemetry Java agent changing the same class: otelapp.JdbcApp's requests
 * each run one query through H2's {@code JdbcStatement.executeQuery(String)}, which OpenTelemetry's
 * JDBC instrumentation advises (a CLIENT span per call). In each agent order (one JVM per order,
 * the cases in sequence) a patch of an application method on the traced path, of another method
 * of the instrumented class, and of the advised method itself must take effect, leave a span for
 * every request while enabled and after unload, and unload back to the original behaviour.
 *
 * <p>What decides the advised-method case is the order of the two retransform-capable
 * transformers: the JVM runs them in the order they were added, each on the previous one's
 * output, and jlivepatch puts its prologue first in the method it receives. Run after
 * OpenTelemetry's (OpenTelemetry's {@code -javaagent} first, or jlivepatch attached later), the
 * prologue precedes OpenTelemetry's inlined enter advice and the replacement returns before the
 * advice starts a span; run before it, the advice wraps the prologue.
 */
class OpenTelemetryIT {

    private static final Path OTEL = Paths.get(System.getProperty("jlivepatch.otel.jar"));
    private static final Path H2 = Paths.get(System.getProperty("jlivepatch.h2.jar"));
    /** The agent starts in a few seconds; CI machines are slow. */
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static final String QUERY = "org.h2.jdbc.JdbcStatement.executeQuery(Ljava/lang/String;)Ljava/sql/ResultSet;";
    private static final String FETCH_SIZE = "org.h2.jdbc.JdbcStatement.getFetchSize()I";
    private static final String SQL = "otelapp.Repository.sql(I)Ljava/lang/String;";

    /** OpenTelemetry's {@code -javaagent} first, then jlivepatch's with a patch installed for start-up. */
    @Nested
    class OpenTelemetryFirst extends AgentOrder {
        @Override
        List<String> agents(Path patches) {
            return Stream.concat(otel().stream(), Stream.of(jlivepatch(patches))).toList();
        }

        @Override
        boolean hookAfterAdvice() {
            return true;
        }
    }

    /** jlivepatch's {@code -javaagent} (a patch installed for start-up) first, then OpenTelemetry's. */
    @Nested
    class JlivepatchFirst extends AgentOrder {
        @Override
        List<String> agents(Path patches) {
            return Stream.concat(Stream.of(jlivepatch(patches)), otel().stream()).toList();
        }
    }

    /** OpenTelemetry's {@code -javaagent} only; {@code jlivepatch load} attaches jlivepatch's agent. */
    @Nested
    class JlivepatchAttachedLater extends AgentOrder {
        @Override
        List<String> agents(Path patches) {
            return otel();
        }

        @Override
        boolean attached() {
            return true;
        }

        @Override
        boolean hookAfterAdvice() {
            return true;
        }
    }

    /**
     * One agent order: one JVM, the cases in sequence, each unloading its patch whatever it finds.
     * The first case ends the start-up patch (or attaches jlivepatch), so the cases run in order.
     */
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    abstract static class AgentOrder {

        private Path dir;
        private Path sqlFix;
        private TracedApp app;

        /** The JVM options that install the agents, in order; {@code patches} holds the start-up patch. */
        abstract List<String> agents(Path patches);

        /** Whether jlivepatch is attached by the first {@code load} instead of started with the JVM. */
        boolean attached() {
            return false;
        }

        /**
         * Whether jlivepatch's transformer runs after OpenTelemetry's, so that its hook goes before
         * OpenTelemetry's advice in the methods both change.
         */
        boolean hookAfterAdvice() {
            return false;
        }

        @BeforeAll
        void start(@TempDir Path tmp) throws IOException {
            dir = tmp;
            Path patches = Files.createDirectories(dir.resolve("patches"));
            sqlFix = TestJars.patchJar(dir, "fix-sql.jar", Map.of("Livepatch-Name", "fix-sql",
                    "Livepatch-Class", "otelapp.fix.SqlFix"), "otelapp.fix.SqlFix");
            if (!attached()) {
                Files.copy(sqlFix, patches.resolve("fix-sql.jar"));
            }
            app = new TracedApp(agents(patches), dir);
        }

        @AfterAll
        void stop() throws InterruptedException {
            if (app != null) {
                app.close();
            }
        }

        @Test
        @Order(1)
        void anApplicationMethodOnTheTracedPathPatchedAtStartUpOrAttach() throws IOException {
            if (attached()) {
                Request before = app.call();
                assertEquals("original", before.name());
                assertTrue(before.traced("SELECT NAME AS REQ"), before.toString());
                Cli load = Cli.run("load", app.pid(), sqlFix);
                assertEquals(0, load.exitCode(), load.toString());
            }
            Request patched;
            try {
                patched = app.call();
                // Only now: a start-up patch stays pending until the first request loads Repository.
                assertPatched(SQL);
            } finally {
                unload("fix-sql");
            }
            assertEquals("ORIGINAL", patched.name(), "the patched query upper-cases the name");
            assertTrue(patched.traced("SELECT UPPER(NAME) AS REQ"), "the span shows the patched query: " + patched);

            Request after = app.call();
            assertEquals("original", after.name());
            assertTrue(after.traced("SELECT NAME AS REQ"), after.toString());
            app.assertNoFailures();
        }

        @Test
        @Order(2)
        void anotherMethodOfTheInstrumentedClass() throws IOException {
            Cli load = Cli.run("load", app.pid(), TestJars.patchJar(dir, "fix-fetch.jar",
                    Map.of("Livepatch-Name", "fix-fetch", "Livepatch-Class", "otelapp.fix.FetchSizeFix"),
                    "otelapp.fix.FetchSizeFix"));
            assertEquals(0, load.exitCode(), load.toString());
            Request patched;
            try {
                assertPatched(FETCH_SIZE);
                patched = app.call();
            } finally {
                unload("fix-fetch");
            }
            assertEquals(4242, patched.fetchSize());
            assertTrue(patched.traced("SELECT NAME AS REQ"), "retransforming JdbcStatement kept the advice: " + patched);

            Request after = app.call();
            assertEquals(100, after.fetchSize(), "H2's default fetch size");
            assertTrue(after.traced("SELECT NAME AS REQ"), after.toString());
            app.assertNoFailures();
        }

        /**
         * jlivepatch first: OpenTelemetry's advice wraps the hook, and the span covers the replacement.
         * OpenTelemetry first, or jlivepatch attached later: the hook comes before the advice, so the
         * replacement runs without it and requests made meanwhile have no span; jlivepatch cannot put
         * its hook after another agent's code, and says so in `load`'s and `status`'s function lines.
         */
        @Test
        @Order(3)
        void theMethodOpenTelemetryAdvises() throws IOException {
            Cli load = Cli.run("load", app.pid(), TestJars.patchJar(dir, "fix-query.jar",
                    Map.of("Livepatch-Name", "fix-query", "Livepatch-Class", "otelapp.fix.QueryFix"),
                    "otelapp.fix.QueryFix"));
            assertEquals(0, load.exitCode(), load.toString());
            Request patched;
            try {
                if (hookAfterAdvice()) {
                    assertTrue(load.out().contains(QUERY + " [app@") && load.out().contains("]: patched (another agent"
                            + " changed this method before jlivepatch's hook"), load.toString());
                    assertPatched(QUERY, " (another agent changed this method before jlivepatch's hook (its code is"
                            + " not its class file's): while the patch is enabled that agent's code in it runs only if"
                            + " the replacement calls the original through @Next; to keep it for any replacement, start"
                            + " the JVM with -javaagent:jlivepatch-agent.jar before that agent (README: 'Other agents'))");
                } else {
                    assertPatched(QUERY);
                }
                patched = app.call();
            } finally {
                unload("fix-query");
            }
            Request after = app.call();
            assertAll(
                    () -> assertEquals("patched", patched.name(), "the replacement answers"),
                    () -> assertEquals(!hookAfterAdvice(), patched.traced("SELECT NAME AS REQ"),
                            "a span for request " + patched.number() + " while fix-query was enabled: " + patched),
                    () -> assertEquals("original", after.name(), "the original method is back after unload"),
                    () -> assertTrue(after.traced("SELECT NAME AS REQ"), "a span after unload: " + after),
                    app::assertNoFailures);
        }

        /**
         * A replacement that wraps the advised method through {@code @Next} keeps its span in every
         * order: jlivepatch first, the advice wraps the hook; OpenTelemetry first or jlivepatch
         * attached later, the version below is the method's code as the JVM has it, the advice in it.
         * One span per request either way, with the request's own statement.
         */
        @Test
        @Order(4)
        void aWrappingPatchOfTheAdvisedMethodKeepsTheSpanInEveryOrder() throws IOException {
            Cli load = Cli.run("load", app.pid(), TestJars.patchJar(dir, "wrap-query.jar",
                    Map.of("Livepatch-Name", "wrap-query", "Livepatch-Class", "otelapp.fix.WrappingQueryFix"),
                    "otelapp.fix.WrappingQueryFix"));
            assertEquals(0, load.exitCode(), load.toString());
            Request patched;
            try {
                patched = app.call();
            } finally {
                unload("wrap-query");
            }
            Request after = app.call();
            assertAll(
                    () -> assertEquals("wrapped original", patched.name(), "the replacement wraps the original"),
                    () -> assertTrue(patched.traced("SELECT NAME AS REQ"),
                            "a span for request " + patched.number() + " while wrap-query was enabled: " + patched),
                    () -> assertEquals(1, patched.spans().stream().filter(l -> l.contains("[tracer: io.opentelemetry.jdbc:")).count(),
                            "one JDBC span per request: " + patched),
                    () -> assertEquals("original", after.name(), "the original method is back after unload"),
                    () -> assertTrue(after.traced("SELECT NAME AS REQ"), "a span after unload: " + after),
                    app::assertNoFailures);
        }

        private void assertPatched(String method) {
            assertPatched(method, "");
        }

        /** @param detail what follows {@code patched} on the function's line: {@code ""}, or {@code " (...)"} */
        private void assertPatched(String method, String detail) {
            Cli status = Cli.run("status", app.pid());
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().lines().anyMatch(l -> l.contains(method) && l.endsWith("]: patched" + detail)),
                    status.toString());
        }

        private void unload(String patch) {
            Cli unload = Cli.run("unload", app.pid(), patch);
            assertEquals(0, unload.exitCode(), unload.toString());
            Cli status = Cli.run("status", app.pid());
            assertTrue(status.out().contains("no patches registered"), status.toString());
        }
    }

    /** The OpenTelemetry agent's options: spans to the log, exported as each span ends. */
    static List<String> otel() {
        // The logging exporter gets a simple span processor, which exports on the thread that
        // ends the span: a request's span is written before the request's answer.
        return List.of("-javaagent:" + OTEL, "-Dotel.traces.exporter=logging", "-Dotel.metrics.exporter=none",
                "-Dotel.logs.exporter=none");
    }

    static String jlivepatch(Path patches) {
        return "-javaagent:" + TestJars.AGENT + "=patches=" + patches;
    }

    /** What one request answered, with the span lines written while it ran. */
    record Request(int number, String name, int fetchSize, List<String> spans) {

        /** Whether a JDBC span of this request's query, which starts with {@code queryStart}, was exported. */
        boolean traced(String queryStart) {
            // REQ<n> is the column alias of request n; the sanitizer keeps identifiers.
            String statement = queryStart + number + " FROM ITEMS WHERE ID = ?";
            // The exporter prints the attributes in its map's order, which is not the same in every
            // JVM (seen: db.statement last, then "}"): the statement is followed by the next
            // attribute or by the map's end.
            return spans.stream().anyMatch(l -> l.contains("[tracer: io.opentelemetry.jdbc:")
                    && (l.contains("db.statement=" + statement + ",") || l.contains("db.statement=" + statement + "}")));
        }
    }

    /** otelapp.JdbcApp in a JVM of its own with the given agents; its stdout and stderr read as one stream. */
    static final class TracedApp implements AutoCloseable {

        private final Process process;
        private final PrintWriter in;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> all = new ArrayList<>();

        TracedApp(List<String> agents, Path dir) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(TestJars.java(), "-XX:+IgnoreUnrecognizedVMOptions",
                    "-XX:+EnableDynamicAgentLoading"));
            cmd.addAll(agents);
            cmd.addAll(List.of("-cp", appClasses(dir) + java.io.File.pathSeparator + H2, "otelapp.JdbcApp"));
            // One stream: the exporter writes a span to stderr before the request's answer reaches stdout.
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread reader = new Thread(this::read, "otelapp-output");
            reader.setDaemon(true);
            reader.start();
            next(l -> l.equals("ready"), "ready");
        }

        long pid() {
            return process.pid();
        }

        Request call() throws IOException {
            in.println("call");
            List<String> seen = next(l -> l.startsWith("result="), "result=");
            String[] result = seen.get(seen.size() - 1).substring("result=".length()).split("\\|");
            List<String> spans = seen.stream().filter(l -> l.contains("LoggingSpanExporter")).toList();
            return new Request(Integer.parseInt(result[2].substring("REQ".length())), result[0],
                    Integer.parseInt(result[1]), spans);
        }

        /** No line so far says a class could not be redefined, verified or hooked. */
        void assertNoFailures() {
            List<String> problems;
            synchronized (all) {
                problems = all.stream().filter(l -> l.contains("VerifyError") || l.contains("redefinition failed")
                        || l.contains("cannot hook") || l.contains("Exception")).toList();
            }
            assertTrue(problems.isEmpty(), String.join("\n", problems));
        }

        /** The lines up to and including the first that {@code end} accepts. */
        private List<String> next(java.util.function.Predicate<String> end, String what) throws IOException {
            List<String> seen = new ArrayList<>();
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            try {
                while (true) {
                    String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (line == null) {
                        throw new IOException("no '" + what + "' within " + DEADLINE + "; read: " + String.join("\n", seen));
                    }
                    seen.add(line);
                    if (end.test(line)) {
                        return seen;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        private void read() {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    synchronized (all) {
                        all.add(line);
                    }
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(reading the output failed: " + e + ")");
            }
        }

        /** The application's classes only: otelapp, not its patches in otelapp.fix. */
        private static Path appClasses(Path dir) throws IOException {
            Path classes = dir.resolve("app");
            Path pkg = Files.createDirectories(classes.resolve("otelapp"));
            for (String c : List.of("JdbcApp.class", "Repository.class")) {
                Files.copy(TestJars.TEST_CLASSES.resolve("otelapp").resolve(c), pkg.resolve(c));
            }
            return classes;
        }

        @Override
        public void close() throws InterruptedException {
            in.println("quit");
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
