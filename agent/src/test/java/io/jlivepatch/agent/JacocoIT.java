package io.jlivepatch.agent;

import coexist.AppProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jlivepatch on a class that JaCoCo's agent instrumented ({@code coexist.app.Pricing}). JaCoCo's
 * transformer is not retransformation-capable: it instruments at definition (probes, and a
 * {@code $jacocoInit} method; a {@code $jacocoData} field for class files before Java 11), and
 * those bytes are what every retransformation starts from, so jlivepatch's prologue is added to,
 * and removed from, the instrumented class without a change of its members. The coverage is read
 * from JaCoCo's own files with JaCoCo's command-line tool, phase by phase (the runtime's dump with
 * reset, and the file it writes at exit).
 */
class JacocoIT {

    private static final Path JACOCO = Paths.get(System.getProperty("jlivepatch.jacoco.agent.jar"));
    private static final Path JACOCO_CLI = Paths.get(System.getProperty("jlivepatch.jacoco.cli.jar"));

    // The lines of coexist.app.Pricing (see its comment).
    private static final int PRICE_FIRST = 11;
    private static final int PRICE_BRANCH = 12;
    private static final int PRICE_DISCOUNT = 13; // runs only for a quantity above 5
    private static final int PRICE_RETURN = 15;
    private static final int LABEL = 19;

    /** How jlivepatch comes into the JVM. JaCoCo's agent is always on the command line. */
    enum Order { JACOCO_FIRST, JLIVEPATCH_FIRST, JLIVEPATCH_ATTACHED }

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Order.class)
    void patchingAndUnpatchingKeepsJacocosProbesAndItsCoverageOfTheClass(Order order) throws Exception {
        Path exitFile = dir.resolve("exit.exec");
        String jacoco = "-javaagent:" + JACOCO + "=destfile=" + exitFile + ",output=file";
        String jlivepatch = "-javaagent:" + TestJars.AGENT;
        String[] agents = switch (order) {
            case JACOCO_FIRST -> new String[] {jacoco, jlivepatch};
            case JLIVEPATCH_FIRST -> new String[] {jlivepatch, jacoco};
            case JLIVEPATCH_ATTACHED -> new String[] {jacoco};
        };
        Path fix = priceFixJar();
        AppProcess app = new AppProcess(dir.resolve("stderr.txt"), List.of(appClasses()), agents);
        try {
            // 1. The original: price(3) runs every line of price but the discount.
            assertEquals("30|item a", app.call(3, "a"));
            Coverage original = coverage(app, "original");
            assertTrue(original.covered(PRICE_FIRST, PRICE_BRANCH, PRICE_RETURN, LABEL), original.toString());
            assertTrue(original.missed(PRICE_DISCOUNT), original.toString());

            // 2. Patched: the replacement runs instead of price's body, JaCoCo's probes included.
            Cli load = Cli.run("load", app.pid(), fix);
            assertEquals(0, load.exitCode(), load.toString());
            assertTrue(load.out().contains("coexist.app.Pricing.price(I)I [app@"), load.toString());
            assertTrue(load.out().contains("]: patched (another agent changed this method before jlivepatch's hook"),
                    "JaCoCo's probes are in the class as defined, before any hook, whatever the agent order: "
                    + load);
            // Started first, jlivepatch no longer advises starting it first (before, it did)
            String advice = "start the JVM with -javaagent:jlivepatch-agent.jar before that agent";
            String noRemedy = "jlivepatch's -javaagent comes first already, so that agent changed the class as it"
                    + " was defined (as JaCoCo's does), which no start order changes (README: 'Other agents')";
            boolean first = order == Order.JLIVEPATCH_FIRST;
            assertEquals(first, load.out().contains(noRemedy), load.toString());
            assertEquals(!first, load.out().contains(advice), load.toString());
            assertEquals("301|item a", app.call(3, "a"));
            assertEquals("701|item a", app.call(7, "a"));
            Coverage patched = coverage(app, "patched");
            assertTrue(patched.missed(PRICE_FIRST, PRICE_BRANCH, PRICE_DISCOUNT, PRICE_RETURN),
                    "no line of price is attributed while the replacement runs instead: " + patched);
            assertTrue(patched.covered(LABEL), "the class's other probes still count: " + patched);
            assertFalse(patched.classes().contains("coexist/fix/PriceFix"), "JaCoCo leaves out classes with no code"
                    + " source location (inclnolocationclasses=false), as jlivepatch defines patch classes: " + patched);

            // 3. Unloaded: the original, and its probes, are back; read from the file JaCoCo writes at exit.
            Cli unload = Cli.run("unload", app.pid(), "fix-price");
            assertEquals(0, unload.exitCode(), unload.toString());
            assertEquals("65|item a", app.call(7, "a"));
        } finally {
            app.close();
        }
        Coverage after = coverage(exitFile, "unloaded");
        assertTrue(after.covered(PRICE_FIRST, PRICE_BRANCH, PRICE_DISCOUNT, PRICE_RETURN, LABEL), after.toString());
        assertNoRedefinitionFailure(app.stderr());
        // read once the JVM has ended, so that every line it logged is in the file
        assertEquals(order == Order.JLIVEPATCH_FIRST, app.stderr().contains("which no start order changes"),
                "the log's warning says what load said: " + app.stderr());
    }

    /**
     * With {@code inclnolocationclasses=true} JaCoCo instruments the patch class too, as jlivepatch's
     * patch class loader defines it: it shows up in the execution data under its own name, with the
     * replacement's lines covered, and the patch works as without JaCoCo.
     */
    @Test
    void withInclNoLocationClassesThePatchClassIsCoveredUnderItsOwnName() throws Exception {
        String jacoco = "-javaagent:" + JACOCO + "=destfile=" + dir.resolve("exit.exec") + ",output=file,inclnolocationclasses=true";
        AppProcess app = new AppProcess(dir.resolve("stderr.txt"), List.of(appClasses()), jacoco, "-javaagent:" + TestJars.AGENT);
        try {
            Cli load = Cli.run("load", app.pid(), priceFixJar());
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals("301|item a", app.call(3, "a"));
            Coverage patched = coverage(app, "patched");
            assertTrue(patched.classes().contains("coexist/fix/PriceFix"), patched.toString());
            assertTrue(patched.missed(PRICE_FIRST, PRICE_BRANCH, PRICE_DISCOUNT, PRICE_RETURN), patched.toString());
            assertTrue(patched.covered(LABEL), patched.toString());
            Cli unload = Cli.run("unload", app.pid(), "fix-price");
            assertEquals(0, unload.exitCode(), unload.toString());
            assertEquals("30|item a", app.call(3, "a"));
        } finally {
            app.close();
        }
        assertNoRedefinitionFailure(app.stderr());
    }

    private Path appClasses() throws IOException {
        return AppProcess.packageDir(TestJars.TEST_CLASSES, "coexist.app", Files.createDirectories(dir.resolve("app")));
    }

    private Path priceFixJar() throws IOException {
        return TestJars.patchJar(dir, "fix-price.jar", Map.of("Livepatch-Name", "fix-price",
                "Livepatch-Class", "coexist.fix.PriceFix"), "coexist.fix.PriceFix");
    }

    private static void assertNoRedefinitionFailure(String stderr) {
        for (String bad : List.of("redefinition failed", "UnsupportedOperationException", "VerifyError",
                "SEVERE", "Exception in thread")) {
            assertFalse(stderr.contains(bad), "'" + bad + "' in the application's stderr:\n" + stderr);
        }
    }

    /** JaCoCo's execution data since the last dump, read as JaCoCo reports it. */
    private Coverage coverage(AppProcess app, String phase) throws Exception {
        Path exec = dir.resolve(phase + ".exec");
        app.dumpCoverage(exec);
        return coverage(exec, phase);
    }

    /**
     * {@code execinfo} (every class in the file) and an XML {@code report} of Pricing against its own
     * class file: JaCoCo matches the data by a checksum of the class as it was before instrumentation,
     * so a report that credits Pricing's lines shows that the data is still that class's.
     */
    private Coverage coverage(Path exec, String phase) throws Exception {
        String info = jacocoCli("execinfo", exec.toString());
        List<String> classes = new ArrayList<>();
        for (String line : info.split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length == 5 && cols[2].equals("of")) {
                classes.add(cols[4]);
            }
        }
        Path xml = dir.resolve(phase + ".xml");
        String report = jacocoCli("report", exec.toString(), "--classfiles",
                TestJars.TEST_CLASSES.resolve("coexist/app/Pricing.class").toString(), "--xml", xml.toString());
        assertFalse(report.contains("does not match"), report);
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document doc = f.newDocumentBuilder().parse(xml.toFile());
        Map<Integer, String> lines = new TreeMap<>();
        NodeList nodes = doc.getElementsByTagName("line");
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            lines.put(Integer.parseInt(e.getAttribute("nr")), "ci=" + e.getAttribute("ci") + " mi=" + e.getAttribute("mi")
                    + " cb=" + e.getAttribute("cb") + " mb=" + e.getAttribute("mb"));
        }
        return new Coverage(phase, classes, lines);
    }

    private String jacocoCli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(TestJars.java(), "-jar", JACOCO_CLI.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "jacoco-cli", ".txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("jacoco cli " + String.join(" ", args) + " did not end");
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    /**
     * One phase's coverage: the classes in the execution data, and Pricing's lines as the report has
     * them ({@code ci}/{@code mi} instructions covered/missed, {@code cb}/{@code mb} branches).
     */
    record Coverage(String phase, List<String> classes, Map<Integer, String> lines) {

        boolean covered(int... nrs) {
            for (int nr : nrs) {
                if (!lines.containsKey(nr) || lines.get(nr).startsWith("ci=0 ")) {
                    return false;
                }
            }
            return true;
        }

        boolean missed(int... nrs) {
            for (int nr : nrs) {
                if (!lines.containsKey(nr) || !lines.get(nr).startsWith("ci=0 ")) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            List<String> ours = classes.stream().filter(c -> c.startsWith("coexist/")).toList();
            return phase + ": Pricing lines " + lines + ", classes " + ours;
        }
    }
}
