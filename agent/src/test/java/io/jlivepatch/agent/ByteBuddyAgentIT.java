package io.jlivepatch.agent;

import coexist.AppProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jlivepatch beside agents of the application's own: a Byte Buddy agent ({@code coexist.bb}: an
 * AgentBuilder with retransformation whose advice counts the calls of {@code Pricing.price}, Byte
 * Buddy and ASM of the application's own versions on its class path), and agents that make
 * {@code Pricing} hard or impossible to retransform ({@code coexist.bad}).
 *
 * <p>On a retransformation the JVM runs the retransformation-capable transformers in the order
 * they were added, each on the previous one's output. The advice is inlined at the method's entry
 * and jlivepatch's prologue too: whichever transformer runs last puts its code first. So while
 * {@code price} is patched, the advice counts its calls only if jlivepatch's transformer runs
 * before Byte Buddy's ({@code -javaagent} jlivepatch first); otherwise the replacement runs
 * before, and instead of, the advice as well as the original body.
 */
class ByteBuddyAgentIT {

    private static final Path BYTE_BUDDY = Paths.get(System.getProperty("jlivepatch.bytebuddy.jar"));
    /** The ASM that jlivepatch's core is built with, as an application's own library (unrelocated). */
    private static final Path ASM = jarOf(org.objectweb.asm.ClassVisitor.class);

    /** How jlivepatch comes into the JVM; the Byte Buddy agent is always on the command line. */
    enum Order {
        BYTE_BUDDY_FIRST(false), JLIVEPATCH_FIRST(true), JLIVEPATCH_ATTACHED(false);

        /** Whether jlivepatch's transformer runs before Byte Buddy's, so that the advice wraps the prologue. */
        final boolean adviceWrapsPrologue;

        Order(boolean adviceWrapsPrologue) {
            this.adviceWrapsPrologue = adviceWrapsPrologue;
        }
    }

    @TempDir
    Path dir;

    /** (a) jlivepatch patches the method the advice is in. */
    @ParameterizedTest
    @EnumSource(Order.class)
    void patchingTheAdvisedMethod(Order order) throws Exception {
        AppProcess app = start(order);
        try {
            assertEquals("30|item a", app.call(3, "a"));
            assertEquals(1, app.calls());

            Cli load = load(app, priceFixJar(), "coexist.app.Pricing.price(I)I");
            assertEquals(!order.adviceWrapsPrologue, load.out().contains("]: patched (another agent changed this method"
                    + " before jlivepatch's hook"), "load says when the replacement bypasses another agent's code: "
                    + load);
            assertEquals("301|item a", app.call(3, "a"));
            assertEquals(order.adviceWrapsPrologue ? 2 : 1, app.calls(), order.adviceWrapsPrologue
                    ? "Byte Buddy's transformer ran after jlivepatch's: its advice wraps the prologue"
                    : "jlivepatch's transformer ran last: its prologue is before the advice, and the replacement skips it");

            unload(app, "fix-price");
            assertEquals("65|item a", app.call(7, "a"));
            int expected = order.adviceWrapsPrologue ? 3 : 2;
            assertEquals(expected, app.calls(), "the advice counts again after unload");
        } finally {
            app.close();
        }
        assertNoFailure(app.stderr());
        assertEquals(2, retransformationsAdvised(app.stderr()),
                "Byte Buddy advised Pricing again on both of jlivepatch's retransformations:\n" + app.stderr());
    }

    /** (b) jlivepatch patches another method of the advised class: the advice is kept, and counts, in every order. */
    @ParameterizedTest
    @EnumSource(Order.class)
    void patchingAnotherMethodOfTheAdvisedClass(Order order) throws Exception {
        AppProcess app = start(order);
        try {
            assertEquals("30|item a", app.call(3, "a"));
            assertEquals(1, app.calls());

            load(app, labelFixJar(), "coexist.app.Pricing.label(Ljava/lang/String;)Ljava/lang/String;");
            assertEquals("30|fixed a", app.call(3, "a"));
            assertEquals(2, app.calls());

            unload(app, "fix-label");
            assertEquals("30|item a", app.call(3, "a"));
            assertEquals(3, app.calls());
        } finally {
            app.close();
        }
        assertNoFailure(app.stderr());
        assertEquals(2, retransformationsAdvised(app.stderr()), app.stderr());
    }

    /**
     * Neither sees the other's libraries: the application finds its own ASM and Byte Buddy, and no
     * picocli, with jlivepatch loaded; jlivepatch's JAR holds nothing but its own package (ASM and
     * picocli relocated, no Byte Buddy), so no version of the application's changes its work.
     * jlivepatch's relocated classes are visible to the application's class loader (the JVM puts
     * every agent JAR on the system class path) but cannot clash with anything under their names.
     */
    @Test
    void eachKeepsItsOwnLibraries() throws Exception {
        List<String> foreign = new ArrayList<>();
        try (JarFile jar = new JarFile(TestJars.AGENT.toFile())) {
            for (String name : Collections.list(jar.entries()).stream().map(e -> e.getName()).toList()) {
                if (name.endsWith(".class") && !name.startsWith("io/jlivepatch/")) {
                    foreign.add(name);
                }
            }
        }
        assertEquals(List.of(), foreign, "classes of jlivepatch's JAR outside io/jlivepatch/");

        List<Path> withAsm = List.of(appClasses(), BYTE_BUDDY, ASM);
        try (AppProcess app = new AppProcess(dir.resolve("stderr.txt"), withAsm, byteBuddyAgent(),
                "-javaagent:" + TestJars.AGENT)) {
            assertEquals(ASM.toString(), Paths.get(app.find("org.objectweb.asm.ClassVisitor")).toString());
            assertEquals(BYTE_BUDDY.toString(), Paths.get(app.find("net.bytebuddy.ByteBuddy")).toString());
            assertEquals("none", app.find("picocli.CommandLine"));
            assertEquals(TestJars.AGENT.toAbsolutePath().normalize().toString(),
                    Paths.get(app.find("io.jlivepatch.internal.shaded.asm.ClassVisitor")).toString());
            assertEquals("30|item a", app.call(3, "a"));
            load(app, priceFixJar(), "coexist.app.Pricing.price(I)I");
            assertEquals("301|item a", app.call(3, "a"));
        }
        try (AppProcess app = new AppProcess(dir.resolve("stderr2.txt"), List.of(appClasses(), BYTE_BUDDY),
                byteBuddyAgent(), "-javaagent:" + TestJars.AGENT)) {
            assertEquals("30|item a", app.call(3, "a"));
            load(app, priceFixJar(), "coexist.app.Pricing.price(I)I");
            assertEquals("none", app.find("org.objectweb.asm.ClassVisitor"),
                    "as without jlivepatch: Byte Buddy's own ASM is relocated, and jlivepatch's too");
        }
    }

    /**
     * jlivepatch's {@code -javaagent} first, with no start-up patches, then an agent whose premain
     * adds its transformer at once, while jlivepatch still installs on its own thread and adds its
     * transformer later: the other agent's transformer still runs after jlivepatch's hook, as the JVM
     * runs agents' transformers in the order the agents started (each its own JVMTI environment),
     * not in the order they were added. (Byte Buddy's premain above takes longer than jlivepatch's
     * installation, so it does not show this.)
     */
    @Test
    void anAgentStartedAfterJlivepatchSeesItsHookThoughTheInstallationRunsAsideOfMain() throws Exception {
        String watcher = "-javaagent:" + AppProcess.agentJar(TestJars.TEST_CLASSES, "coexist.order",
                "coexist.order.WatchingAgent", dir.resolve("watching.jar"));
        AppProcess app = new AppProcess(dir.resolve("stderr.txt"), List.of(appClasses()),
                "-javaagent:" + TestJars.AGENT, watcher);
        try {
            assertEquals("30|item a", app.call(3, "a"));
            load(app, priceFixJar(), "coexist.app.Pricing.price(I)I");
            assertEquals("301|item a", app.call(3, "a"));
        } finally {
            app.close();
        }
        assertEquals(1, count(app.stderr(), "[watching-agent] retransforming coexist/app/Pricing after jlivepatch's hook: true"),
                app.stderr());
        assertEquals(0, count(app.stderr(), "after jlivepatch's hook: false"), app.stderr());
    }

    /**
     * An agent whose retransformation-capable transformer throws on Pricing: the JDK's
     * java.lang.instrument catches the exception and takes it as "no change", so it hooks nothing
     * away: the patch applies and comes off as without it, whichever transformer runs first.
     */
    @ParameterizedTest
    @EnumSource(value = Order.class, names = {"JLIVEPATCH_FIRST", "JLIVEPATCH_ATTACHED"})
    void anAgentThatThrowsOnRetransformationChangesNothing(Order order) throws Exception {
        String thrower = "-javaagent:" + AppProcess.agentJar(TestJars.TEST_CLASSES, "coexist.bad",
                "coexist.bad.ThrowingAgent", dir.resolve("throwing.jar"));
        AppProcess app = new AppProcess(dir.resolve("stderr.txt"), List.of(appClasses()),
                order == Order.JLIVEPATCH_FIRST ? new String[] {"-javaagent:" + TestJars.AGENT, thrower} : new String[] {thrower});
        try {
            assertEquals("30|item a", app.call(3, "a"));
            load(app, priceFixJar(), "coexist.app.Pricing.price(I)I");
            assertEquals("301|item a", app.call(3, "a"));
            unload(app, "fix-price");
            assertEquals("30|item a", app.call(3, "a"));
        } finally {
            app.close();
        }
        assertEquals(2, count(app.stderr(), "[throwing-agent] throws on coexist/app/Pricing"), app.stderr());
    }

    /**
     * An agent that adds a method to Pricing on retransformation: the JVM refuses every
     * retransformation of the class ("class redefinition failed: attempted to add a method"). The
     * load is refused with that reason and changes nothing; the application and the other agent
     * keep running, Pricing on its own code.
     */
    @ParameterizedTest
    @EnumSource(value = Order.class, names = {"JLIVEPATCH_FIRST", "JLIVEPATCH_ATTACHED"})
    void anAgentThatAddsAMethodOnRetransformationMakesTheLoadRefused(Order order) throws Exception {
        String adder = "-javaagent:" + AppProcess.agentJar(TestJars.TEST_CLASSES, "coexist.bad",
                "coexist.bad.AddingAgent", dir.resolve("adding.jar"));
        AppProcess app = new AppProcess(dir.resolve("stderr.txt"), List.of(appClasses(), ASM),
                order == Order.JLIVEPATCH_FIRST ? new String[] {"-javaagent:" + TestJars.AGENT, adder} : new String[] {adder});
        try {
            assertEquals("30|item a", app.call(3, "a"));
            Cli load = Cli.run("load", app.pid(), priceFixJar());
            assertEquals(1, load.exitCode(), load.toString());
            String said = load.out() + load.err();
            assertTrue(said.contains("refused: TRANSFORM_FAILED: patch 'fix-price': the JVM refused to retransform"
                    + " coexist.app.Pricing (class redefinition failed: attempted to add a method): jlivepatch's hook"
                    + " adds no method or field, so another agent's transformer changes the class's shape"), said);
            assertTrue(said.contains("nothing was changed"), said);
            assertEquals("30|item a", app.call(3, "a"));
            Cli status = Cli.run("status", app.pid());
            assertEquals(0, status.exitCode(), status.toString());
            assertFalse(status.out().contains("fix-price"), "nothing of the refused patch stays registered: " + status);
        } finally {
            app.close();
        }
        assertTrue(app.stderr().contains("[adding-agent] adds a method to coexist/app/Pricing"), app.stderr());
        assertFalse(app.stderr().contains("restoring the classes after a failed retransformation failed too"),
                "a refused retransformation changed nothing: there is nothing to restore");
    }

    private AppProcess start(Order order) throws IOException {
        String bb = byteBuddyAgent();
        String jlivepatch = "-javaagent:" + TestJars.AGENT;
        String[] agents = switch (order) {
            case BYTE_BUDDY_FIRST -> new String[] {bb, jlivepatch};
            case JLIVEPATCH_FIRST -> new String[] {jlivepatch, bb};
            case JLIVEPATCH_ATTACHED -> new String[] {bb};
        };
        return new AppProcess(dir.resolve("stderr.txt"), List.of(appClasses(), BYTE_BUDDY), agents);
    }

    private String byteBuddyAgent() throws IOException {
        Path jar = dir.resolve("counting-agent.jar");
        if (!Files.exists(jar)) {
            AppProcess.agentJar(TestJars.TEST_CLASSES, "coexist.bb", "coexist.bb.CountingAgent", jar);
        }
        return "-javaagent:" + jar;
    }

    private Path appClasses() throws IOException {
        Path app = dir.resolve("app");
        return Files.exists(app) ? app : AppProcess.packageDir(TestJars.TEST_CLASSES, "coexist.app", app);
    }

    private Path priceFixJar() throws IOException {
        return TestJars.patchJar(dir, "fix-price.jar", Map.of("Livepatch-Name", "fix-price",
                "Livepatch-Class", "coexist.fix.PriceFix"), "coexist.fix.PriceFix");
    }

    private Path labelFixJar() throws IOException {
        return TestJars.patchJar(dir, "fix-label.jar", Map.of("Livepatch-Name", "fix-label",
                "Livepatch-Class", "coexist.fix.LabelFix"), "coexist.fix.LabelFix");
    }

    private static Cli load(AppProcess app, Path jar, String function) {
        Cli load = Cli.run("load", app.pid(), jar);
        assertEquals(0, load.exitCode(), load.toString());
        assertTrue(load.out().contains(function + " [app@") && load.out().contains("]: patched"), load.toString());
        return load;
    }

    private static void unload(AppProcess app, String patch) {
        Cli unload = Cli.run("unload", app.pid(), patch);
        assertEquals(0, unload.exitCode(), unload.toString());
    }

    /** Byte Buddy's transformations of a loaded Pricing: each one a retransformation it advised again. */
    private static int retransformationsAdvised(String stderr) {
        return count(stderr, "[counting-agent] advised coexist.app.Pricing (retransformed)");
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static void assertNoFailure(String stderr) {
        for (String bad : List.of("redefinition failed", "UnsupportedOperationException", "VerifyError",
                "[counting-agent] transforming", "SEVERE", "Exception in thread")) {
            assertFalse(stderr.contains(bad), "'" + bad + "' in the application's stderr:\n" + stderr);
        }
        assertTrue(stderr.contains("[counting-agent] advised coexist.app.Pricing\n")
                || stderr.contains("[counting-agent] advised coexist.app.Pricing\r\n"), "advised at load:\n" + stderr);
    }

    private static Path jarOf(Class<?> c) {
        try {
            return Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
