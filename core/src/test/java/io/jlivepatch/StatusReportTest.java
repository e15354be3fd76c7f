package io.jlivepatch;

import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.core.StartupJars;
import io.jlivepatch.internal.trust.TrustPolicy;
import io.jlivepatch.json.JsonReader;
import io.jlivepatch.json.SchemaCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import transapp.Codec;
import transapp.Gate;

import javax.management.ObjectName;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static io.jlivepatch.TestSupport.livepatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code status} and {@code status --json} show the trust policy, the audit file and each patch's
 * provenance and waiting threads; the JSON is what the published schema
 * ({@code io/jlivepatch/control/status-schema.json}) describes, key for key.
 */
class StatusReportTest {

    @TempDir
    Path dir;

    private final List<Thread> held = new ArrayList<>();

    public static String encode(String s) {
        return "new-enc(" + s + ")";
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Thread t : held) {
            Gate.release(t);
            t.join(5_000);
        }
        for (PatchHandle h : livepatch().patches()) {
            h.awaitTransition(Duration.ofSeconds(10));
        }
        TestSupport.removeAllPatches();
        for (PatchHandle h : livepatch().patches()) {
            h.awaitTransition(Duration.ofSeconds(10));
        }
    }

    @Test
    void theJsonIsWhatTheSchemaDescribesWithProvenanceAndTheThreadsThatHoldATransition() throws Exception {
        Instant before = Instant.now();
        Path jar = counterJar(dir.resolve("status\nforged.jar"), "status-jar");
        Thread t = stackWithAHeldTransition(jar);

        String json = statusJson();
        assertNoRawControlCharacter(json);
        Map<String, Object> status = object(JsonReader.parse(json));
        assertEquals(List.of(), SchemaCheck.problems(schema(), status));

        assertEquals(Map.of("verifying", false, "policy", TrustPolicy.current().describe()), status.get("trust"));
        Map<String, Object> audit = new LinkedHashMap<>();
        audit.put("file", null); // no audit file in the test JVM: it is per JVM (AuditIT tests it)
        audit.put("problem", null);
        audit.put("notWritten", 0L);
        assertEquals(audit, status.get("audit"));

        Map<String, Object> fromJar = patch(status, "status-jar");
        Map<String, Object> provenance = object(fromJar.get("provenance"));
        assertEquals(jar.toString(), provenance.get("source"));
        assertEquals(sha256(jar), provenance.get("sha256"));
        assertEquals("", provenance.get("signer"));
        assertEquals(Map.of(), provenance.get("builds"));
        Instant loadedAt = Instant.parse((String) provenance.get("loadedAt"));
        assertFalse(loadedAt.isBefore(before) || loadedAt.isAfter(Instant.now()), loadedAt.toString());
        assertFalse(((String) provenance.get("loadedBy")).isEmpty());
        assertEquals(List.of(), fromJar.get("waiting"));

        Map<String, Object> inCode = patch(status, "status-held");
        assertEquals(true, inCode.get("transition"));
        // inside: "", the application's own code holds it (WaitingInsidePatchCodeTest for a patch's)
        assertEquals(List.of(Map.of("thread", "held-in-encode", "threadId", t.getId(), "method", "transapp.Codec.encode",
                "inside", "")), inCode.get("waiting"));
        assertEquals("", object(inCode.get("provenance")).get("source"));
        assertEquals(List.of(), inCode.get("pendingClasses"), "Codec is loaded");
    }

    @Test
    void theTextSaysPatchesAreNotVerifiedAndShowsWhereEachPatchCameFromCleaned() throws Exception {
        Path jar = counterJar(dir.resolve("status\nforged.jar"), "status-jar");
        stackWithAHeldTransition(jar);

        String text = Mbeans.statusText();
        String[] lines = text.split("\n");
        assertTrue(lines[0].endsWith(": 2 patches"), text);
        assertTrue(lines[1].startsWith("  patches are not verified"), "the trust line is the second: " + text);
        assertFalse(text.contains("audit file:"), "no audit file in the test JVM: " + text);
        String shown = jar.toString().replace("\n", "\\n");
        assertTrue(text.contains("     from: " + shown + " sha256 " + sha256(jar) + "\n"), text);
        assertTrue(text.contains("     signer: unsigned\n"), text);
        assertTrue(text.contains("     from: code (no patch JAR)\n"), text);
        int loaded = text.indexOf("     loaded: ");
        assertTrue(loaded > 0 && text.substring(loaded).matches("(?s)     loaded: \\S+Z by \\S.*"), text);
        for (String line : lines) {
            assertNoRawControlCharacter(line);
        }
    }

    /** A JAR of patches=<dir> that was skipped, or waits, is named in status with why: the stack alone lacks it. */
    @Test
    void theJarsOfThePatchDirectoryThatAreNotLoadedAreShownWithWhy() throws Exception {
        String skipped = dir.resolve("20-trunc\n.jar").toString();
        String waiting = dir.resolve("30-fat.jar").toString();
        StartupJars.skipped(skipped, Requester.STARTUP, "INVALID_PATCH: patch JAR " + skipped + " is not a JAR\nforged");
        StartupJars.waiting(waiting, Requester.ATTACH, "for a class loader that can load its classes");
        try {
            String text = Mbeans.statusText();
            String shown = skipped.replace("\n", "\\n");
            assertTrue(text.contains("\n  start-up: skipped " + shown + ": INVALID_PATCH: patch JAR " + shown
                    + " is not a JAR\\nforged\n"), text);
            assertTrue(text.contains("\n  attach: waiting " + waiting + ": for a class loader that can load its classes\n"),
                    text);
            for (String line : text.split("\n")) {
                assertNoRawControlCharacter(line);
            }

            Map<String, Object> status = object(JsonReader.parse(statusJson()));
            assertEquals(List.of(), SchemaCheck.problems(schema(), status));
            List<?> notLoaded = (List<?>) object(status.get("patchDirectory")).get("notLoaded");
            assertTrue(notLoaded.contains(Map.of("jar", skipped, "by", "start-up", "state", "skipped",
                    "reason", "INVALID_PATCH: patch JAR " + skipped + " is not a JAR\nforged")), notLoaded.toString());
            assertTrue(notLoaded.contains(Map.of("jar", waiting, "by", "attach", "state", "waiting",
                    "reason", "for a class loader that can load its classes")), notLoaded.toString());

            StartupJars.loaded(waiting); // it loaded after all: no longer listed
            assertFalse(Mbeans.statusText().contains(waiting), "a JAR that loads leaves the list");
        } finally {
            StartupJars.loaded(skipped);
            StartupJars.loaded(waiting);
        }
    }

    public static String cacheGet(Object self) {
        return "patched";
    }

    /** A patch with states and callbacks whose postPatch fails, and a cumulative one, registered only. */
    private static void patchesWithCallbacksAndStates() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("status-callbacks")
                .replace(cbapp.Cache.class.getMethod("get"), StatusReportTest.class.getMethod("cacheGet", Object.class))
                .callbacks("cbapp.Cache", new Callbacks() {
                    @Override
                    public void postPatch(Class<?> target) {
                        throw new IllegalStateException("no\nwarm-up");
                    }
                })
                .state(1, 2).state(7, 1).build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        livepatch().register(Patch.builder("status-cumulative")
                .replace(cbapp.Cache.class.getMethod("get"), StatusReportTest.class.getMethod("cacheGet", Object.class))
                .replaceAll().state(1, 2).build());
    }

    @Test
    void thePatchesShowWhetherTheyAreCumulativeTheirStatesCallbacksAndLastCallbackFailure() throws Exception {
        new cbapp.Cache();
        patchesWithCallbacksAndStates();
        String loader = TestSupport.loaderName(cbapp.Cache.class.getClassLoader());
        String failure = "postPatch of cbapp.Cache in class loader " + loader
                + " threw java.lang.IllegalStateException: no\nwarm-up";

        String json = statusJson();
        assertNoRawControlCharacter(json);
        Map<String, Object> status = object(JsonReader.parse(json));
        assertEquals(List.of(), SchemaCheck.problems(schema(), status));
        Map<String, Object> withCallbacks = patch(status, "status-callbacks");
        assertEquals(false, withCallbacks.get("cumulative"));
        assertEquals(List.of(Map.of("id", 1L, "version", 2L), Map.of("id", 7L, "version", 1L)),
                withCallbacks.get("states"));
        assertEquals(List.of("cbapp.Cache"), withCallbacks.get("callbacks"));
        assertEquals(failure, withCallbacks.get("lastCallbackFailure"));
        assertEquals(1L, withCallbacks.get("callbackFailures"));
        Map<String, Object> cumulative = patch(status, "status-cumulative");
        assertEquals(true, cumulative.get("cumulative"));
        assertEquals(List.of(), cumulative.get("callbacks"));
        assertEquals(null, cumulative.get("lastCallbackFailure"));
        assertEquals(0L, cumulative.get("callbackFailures"));

        String text = Mbeans.statusText();
        assertTrue(text.contains("status-callbacks [enabled]\n"), text);
        assertTrue(text.contains("status-cumulative [disabled, cumulative]\n"), text);
        assertTrue(text.contains("     states: 1:2 7:1\n     callbacks: cbapp.Cache\n     last callback failure: "
                + failure.replace("\n", "\\n") + "\n"), text);

        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        ObjectName bean = io.jlivepatch.control.ObjectNames.patch("status-cumulative");
        assertEquals(true, server.getAttribute(bean, "Replace"));
        assertEquals(List.of("1:2"), List.of((String[]) server.getAttribute(bean, "States")));
        ObjectName other = io.jlivepatch.control.ObjectNames.patch("status-callbacks");
        assertEquals(false, server.getAttribute(other, "Replace"));
        assertEquals(List.of("1:2", "7:1"), List.of((String[]) server.getAttribute(other, "States")));
    }

    @Test
    void theSchemaCheckFindsAMissingKeyAnUnknownKeyAndAWrongType() throws Exception {
        Map<String, Object> status = object(JsonReader.parse(statusJson()));
        status.remove("trust");
        status.put("pid", "12");
        status.put("extra", true);
        List<String> problems = SchemaCheck.problems(schema(), status);
        assertEquals(List.of(": required key 'trust' missing", "/pid: string where [integer] expected",
                "/extra: a key the schema does not describe"), problems);
    }

    /** What status --json prints for a JVM without jlivepatch is in the schema too, and only that shape. */
    @Test
    void theSchemaTakesTheCommandsNotLoadedAnswer() throws Exception {
        Object notLoaded = JsonReader.parse("{\"pid\":705,\"jlivepatch\":\"not loaded\",\"patches\":[]}");
        assertEquals(List.of(), SchemaCheck.problems(schema(), notLoaded));
        Object installing = JsonReader.parse("{\"pid\":705,\"jlivepatch\":\"installing\",\"patches\":[],"
                + "\"installingSeconds\":12}");
        assertEquals(List.of(), SchemaCheck.problems(schema(), installing));
        Object wrong = JsonReader.parse("{\"pid\":705,\"jlivepatch\":\"loaded\",\"patches\":[{}],\"trust\":{}}");
        assertEquals(List.of("/jlivepatch: loaded is not one of [not loaded, installing]", "/patches: 1 items where the schema allows"
                + " none", "/trust: a key the schema does not describe"), SchemaCheck.problems(schema(), wrong));
    }

    /** status-jar (from {@code jar}) enabled, then status-held in transition, held by one thread in encode. */
    private Thread stackWithAHeldTransition(Path jar) throws Exception {
        assertEquals("status-jar", Mbeans.load(jar.toString(), true));
        assertTrue(livepatch().find("status-jar").orElseThrow().awaitTransition(Duration.ofSeconds(10)));
        AtomicReference<String> result = new AtomicReference<>();
        Thread t = new Thread(() -> result.set(Codec.encode("x")), "held-in-encode");
        Gate.arm(t);
        held.add(t);
        t.start();
        Gate.awaitEntered(t);
        PatchHandle h = livepatch().register(Patch.builder("status-held")
                .replace(Codec.class.getMethod("encode", String.class),
                        StatusReportTest.class.getMethod("encode", String.class)).build());
        h.enable();
        assertTrue(h.inTransition(), "the thread in encode holds the transition");
        return t;
    }

    private static String statusJson() throws Exception {
        return (String) Mbeans.invoke(Mbeans.livepatch(), "statusJson", null, null);
    }

    static Map<String, Object> schema() throws IOException {
        try (InputStream in = StatusReportTest.class.getResourceAsStream("/io/jlivepatch/control/status-schema.json")) {
            assertTrue(in != null, "status-schema.json is not on the class path");
            return object(JsonReader.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
    }

    private static Map<String, Object> patch(Map<String, Object> status, String name) {
        for (Object p : (List<?>) status.get("patches")) {
            if (name.equals(object(p).get("name"))) {
                return object(p);
            }
        }
        throw new AssertionError("no patch " + name + " in " + status);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value) {
        assertTrue(value instanceof Map, "an object expected: " + value);
        return (Map<String, Object>) value;
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static Path counterJar(Path jar, String name) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", name);
        m.getMainAttributes().putValue("Livepatch-Class", "jarapp.fix.CounterFix");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m)) {
            jos.putNextEntry(new JarEntry("jarapp/fix/CounterFix.class"));
            jos.write(TestSupport.classFile("jarapp.fix.CounterFix"));
            jos.closeEntry();
        }
        return jar;
    }

    private static void assertNoRawControlCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            assertFalse(Character.isISOControl(c) || c == '\u2028' || c == '\u2029',
                    "raw U+" + Integer.toHexString(c) + " at " + i + " in " + s);
        }
    }
}
