package io.jlivepatch.agent;

import com.sun.tools.attach.VirtualMachine;
import io.jlivepatch.PatchBuild;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What jlivepatch's first load defines in the target (issue 10): attach, install and one patch
 * JAR loaded and enabled must define only jlivepatch's runtime, never the command line (picocli),
 * any class of the patch builder (the jlivepatch-builder module, which the agent JAR carries for the
 * build command) or an MBean server, and a bounded number of jlivepatch's own classes. Read
 * from the target's {@code -Xlog:class+load} output, which names every class the JVM defines.
 * benchmarks/footprint.sh measures the same in metaspace (BENCHMARKS.md, "First-load footprint").
 */
class FootprintIT {

    /**
     * io.jlivepatch.* classes (its own, its lambdas, shaded ASM) this first load may define: 142
     * on JDK 17 and 25 when issue 10 set it, of which 27 ASM (107, of which about 55 ASM, when
     * this was written; issue 10's later work added to it). Issue 11 added the control socket, the
     * trust policy, provenance and the audit file (146 with the first of them): 152. Issue 12 added
     * the callbacks (scanning a patch JAR's callback annotations, the per-class gate of classes
     * defined later) and the states check: 156. Issue 17 added the audit of functions that fail in a
     * class loader defining its class later (LinkFailureAudit, whose thread must run before the first
     * such failure, so it starts at the first enable): 159. The check that jlivepatch's classes are
     * its JAR's build (OwnBuild, BuildStamp, 2026-12-02) takes the last two places. The record of
     * modules jlivepatch opened (ModuleOpenings, audited with the operation that opened one, so its
     * class is asked at every audited outcome; 2026-12-02): 160. The shutdown hook that closes what
     * leaves a thread in native code (ClosedAtExit: the control socket, which would hold every exit
     * of the JVM for 0.3 s; 2026-12-03): 161. Log lines published from a thread of their own, so that
     * a standard error that takes nothing holds no operation (LogPublisher, JulRecords), and the
     * check that it takes a line before the bootstrap class path's append, whose JVM warning would
     * otherwise stop the whole JVM there (StandardErrorProbe; 2026-12-03): 164. The linking of one
     * site as a class of its own (ReplacementLinker.Site, which took over the @Next chain's), so that
     * a version whose class is not initialized yet falls back to the version below it, never to
     * the method's own code (2026-12-03): 165. The control socket's identity (ControlServer.Listening: its
     * path and file key), so that an attach opens it again once a clean-up of the temporary directory
     * deleted it, where the command could otherwise never reach the JVM again (2026-12-03): 166. The resolution of
     * every method and field a patch's classes use against the running classes (MemberReferences, the kernel's
     * symbol resolution at module load: a patch built against another library version failed at every call;
     * 2026-12-04): 167. The boot classes' calls as the JDK's functional interfaces (Recursion.Calls,
     * Dispatch.Calls) instead of method handles, whose invocations the JDK compiled into classes of
     * its own at the first patch (2026-12-04, session 21): 169, with 16 fewer of the JDK's generated
     * classes and 12 fewer classes in all (a one-patch start-up, -Xlog:class+load). jlivepatch's one
     * class-seeing stack walker for the application's threads (ClassWalker), asked with jlivepatch's
     * permissions: under a SecurityManager a thread moving itself in a transition failed the
     * application's call (2026-12-04, session 23): 170. The types of a hooked class's signatures loaded
     * before the link lock is taken (Dispatch.SignatureTypes), as a thread loading one of them that met
     * a hook not linked yet deadlocked with the linking thread (2026-12-04, session 24): 171. jlivepatch's
     * installation on a thread of its own while main starts, which an attach asks first (BackgroundInstall;
     * 2026-12-05, session 25): 172. The ledger's record of a class transformed at the edge of its
     * thread's stack, queued for the lock's next holder (HookLedger.Put, loaded with the ledger because
     * it is made where a class load may not fit), as a stack overflow there had left the ledger's lock
     * held for good (2026-12-05, session 28): 173. The transition worker's hand-over made before every
     * transition's commit (TransitionWorker.Work, loaded at install, and the registry's RetryStep, a
     * class rather than two lambdas spun at the first enable), as it was made after the commit, where
     * out of memory left a committed transition nobody retried (2026-12-05, session 30): 175. Six of
     * jlivepatch's lambdas on this path replaced by loops and plain calls, and the two interfaces two of
     * them implemented no longer loaded (2026-12-05, session 31; {@link #MAX_JLIVEPATCH_LAMBDAS}): 167. The
     * warning of a replacement that calls the method it replaces (SelfCalls and its two ASM visitors: such
     * a call runs the replacement again, a StackOverflowError where the author meant the original; same
     * session): 170. A patch JAR's open on a thread of its own, waited for a bounded time (BoundedOpen), as a
     * pipe renamed over the JAR after its checks held premain, the attach thread or the watch in open(2) for
     * good (same session): 171. BoundedOpen moved where the audit file's open uses it too, with its refusal of
     * an open while earlier ones still block (BoundedOpen.StillBlocked, loaded with it: an open nothing can
     * release left a thread blocked per attempt; session 32): 172. The self-call check read in
     * ReplacesScanner's pass over the replacement's class (same session), SelfCalls and its two visitors
     * gone: 169. The records of class definitions in flight (InFlight and its Definition, loaded with it
     * because the first record is made inside a class definition), made from the first registration on, as
     * a definition held after jlivepatch's transformer by another agent's across an enable kept the previous
     * hooks for good (same session): 171. The control socket's room for patch JAR bytes shared by its
     * connections (ReceivedJarBytes), as eight connections that each sent most of a JAR and then a byte
     * now and then held eight JARs' limit in the application's heap (2026-12-06): 172. The refusal of a class a JAR no
     * policy checked would carry once a trust policy is enforced (CarriedClasses.RaisedPolicy, its own type so that the
     * load is refused UNTRUSTED; loaded with PatchJarLoader, whose catch names it, at its verification), as a load under
     * way when a policy was raised carried unchecked code a signed patch then ran (2026-12-07, session 44): 173. The
     * one guard for adding a failure as suppressed (Suppressed, loaded with HookManager), as the JVM's one shared
     * OutOfMemoryError added to itself threw IllegalArgumentException out of an undo whose rule is never to throw
     * over the failure it undoes (2026-12-07, session 46): 174. The patch loaders a transition asks whether a frame's
     * class is theirs (OwnClasses), as a loader merely named jlivepatch:P made an application's own code be blamed on
     * patch P in what holds a transition (2026-12-07, session 48): 175. A change that pulls in a new subsystem (another ASM API, the builder, a stream-heavy path) goes over and has to
     * say why.
     */
    private static final int MAX_JLIVEPATCH_CLASSES = 175;

    /**
     * Of those, lambdas and method references of jlivepatch's (hidden classes {@code X$$Lambda}). Each
     * one's first use spins its class through java.lang.invoke in a JVM where that code is cold, more
     * than a class of the JAR costs to load; the first load's path keeps only the registry's
     * operations as lambdas ({@code locked("load", ..., () -> ...)}). Set 2026-12-05 (session 31)
     * at what this load spins, after loops and plain calls replaced six (BENCHMARKS.md, section 4).
     */
    private static final int MAX_JLIVEPATCH_LAMBDAS = 3;

    @TempDir
    Path dir;

    @Test
    void firstLoadDefinesNeitherTheCommandNorTheBuilderNorAnMBeanServer() throws Exception {
        Path log = dir.resolve("classes.log");
        try (ServiceProcess service = new ServiceProcess("-Xlog:class+load=info:file=" + log)) {
            loadAgentWithPatch(service);
            List<String> classes = classesDefined(log);
            assertTrue(classes.contains("io.jlivepatch.Livepatch"), "jlivepatch was not loaded: " + classes.size() + " classes");
            Set<String> builder = builderClasses();
            List<String> forbidden = new ArrayList<>();
            List<String> own = new ArrayList<>();
            for (String c : classes) {
                if (c.startsWith("io.jlivepatch.")) {
                    own.add(c);
                }
                if (c.startsWith("io.jlivepatch.internal.shaded.picocli.") || c.startsWith("io.jlivepatch.agent.cli.")
                        || fromBuilder(builder, c)
                        // shadow variables: on the boot JAR, loaded only by a JVM that uses them
                        || c.equals("io.jlivepatch.Shadow") || c.startsWith("io.jlivepatch.internal.bootstrap.ShadowStore")
                        || c.equals("com.sun.jmx.mbeanserver.JmxMBeanServer")
                        // ASM's tree API (the build's normalized digest) and the JDK's MessageFormat
                        // (jlivepatch's own log lines format without it): see BENCHMARKS.md
                        || c.startsWith("io.jlivepatch.internal.shaded.asm.tree.") || c.equals("java.text.MessageFormat")) {
                    forbidden.add(c);
                }
            }
            assertEquals(List.of(), forbidden, "classes a first load must not define");
            assertTrue(own.size() <= MAX_JLIVEPATCH_CLASSES, own.size() + " io.jlivepatch classes defined, at most "
                    + MAX_JLIVEPATCH_CLASSES + " expected:\n" + String.join("\n", own));
            List<String> lambdas = new ArrayList<>();
            for (String c : own) {
                if (c.contains("$$Lambda")) {
                    lambdas.add(c);
                }
            }
            assertTrue(lambdas.size() <= MAX_JLIVEPATCH_LAMBDAS, lambdas.size() + " lambdas of jlivepatch's spun, at most "
                    + MAX_JLIVEPATCH_LAMBDAS + " expected:\n" + String.join("\n", lambdas));
        }
    }

    @Test
    void theMBeansAppearOnceTheJvmHasAnMBeanServer() throws Exception {
        Path log = dir.resolve("classes.log");
        try (ServiceProcess service = new ServiceProcess("-Xlog:class+load=info:file=" + log)) {
            loadAgentWithPatch(service);
            assertTrue(!classesDefined(log).contains("com.sun.jmx.mbeanserver.JmxMBeanServer"),
                    "installing jlivepatch created an MBean server");
            VirtualMachine vm = VirtualMachine.attach(Long.toString(service.pid()));
            String address;
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
            try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
                MBeanServerConnection mbs = c.getMBeanServerConnection();
                ObjectName patch = new ObjectName("io.jlivepatch:type=Patch,name=fix-greet");
                // Registered from a thread of jlivepatch's once the connector made the server:
                // wait for it (a hang detector, not a timing).
                for (int i = 0; i < 3000 && !mbs.isRegistered(patch); i++) {
                    Thread.sleep(10);
                }
                assertEquals(true, mbs.getAttribute(patch, "Enabled"));
                assertTrue(mbs.isRegistered(new ObjectName("io.jlivepatch:type=Livepatch")));
            }
        }
    }

    @Test
    void anAgentWithNoPatchYetInstallsNoHooksUntilTheFirstOne() throws Exception {
        Path log = dir.resolve("classes.log");
        try (ServiceProcess service = new ServiceProcess("-Xlog:class+load=info:file=" + log)) {
            loadAgent(service, "");
            assertEquals(ServiceProcess.ORIGINAL, service.call());
            List<String> installed = classesDefined(log);
            assertTrue(installed.contains("io.jlivepatch.Livepatch"), "jlivepatch was not loaded");
            // Installed: the bootstrap package is on the boot class path (Shadow is one store per JVM
            // from the start), but nothing of the hooks' machinery is loaded or run.
            for (String c : List.of("io.jlivepatch.internal.bootstrap.Dispatch", "io.jlivepatch.internal.bootstrap.Recursion",
                    "io.jlivepatch.internal.patch.ReplacementLinker", "io.jlivepatch.internal.patch.DispatchBridge")) {
                assertTrue(!installed.contains(c), c + " was loaded by an agent with no patch");
            }
            // The first patch completes the installation, and works.
            loadAgentWithPatch(service);
            List<String> patched = classesDefined(log);
            assertTrue(patched.contains("io.jlivepatch.internal.bootstrap.Dispatch"), "the hooks were never installed");
            assertTrue(patched.contains("io.jlivepatch.internal.patch.ReplacementLinker"), "the linker was never made");
        }
    }

    /**
     * What an operator runs to look at a JVM ({@code list}, {@code status}) reaches jlivepatch's
     * control socket: before any patch, that must install nothing either. Before, each command's
     * session marked its thread with the recursion guard's {@code enter}, which completes the
     * installation: the dispatch classes appended to the boot class path, and on JDK 17 two lines
     * (jlivepatch's, then the JVM's class-data sharing warning) on the application's standard error,
     * from a look.
     */
    @Test
    void lookingAtAJvmOverTheControlSocketInstallsNoHooks() throws Exception {
        Path log = dir.resolve("classes.log");
        try (ServiceProcess service = new ServiceProcess("-Xlog:class+load=info:file=" + log)) {
            loadAgent(service, "");
            assertEquals(ServiceProcess.ORIGINAL, service.call());
            Cli status = Cli.run("status", service.pid());
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("no patches registered"), status.toString());
            Cli json = Cli.run("status", service.pid(), "--json");
            assertEquals(0, json.exitCode(), json.toString());
            Cli list = Cli.run("list");
            assertTrue(list.out().contains(Long.toString(service.pid())), list.toString());
            assertEquals(ServiceProcess.ORIGINAL, service.call()); // every command's session has ended
            List<String> classes = classesDefined(log);
            for (String c : List.of("io.jlivepatch.internal.bootstrap.Dispatch", "io.jlivepatch.internal.bootstrap.Recursion",
                    "io.jlivepatch.internal.patch.ReplacementLinker")) {
                assertTrue(!classes.contains(c), c + " was loaded by a look at a JVM with no patch");
            }
            // The first patch still completes the installation, over the same socket.
            Path patches = Files.createDirectories(dir.resolve("patches"));
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(patches));
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(ServiceProcess.GREET_FIXED, service.call());
            assertTrue(classesDefined(log).contains("io.jlivepatch.internal.bootstrap.Dispatch"), "the hooks were never installed");
        }
    }

    /** Attaches jlivepatch to {@code service} with the agent's {@code options}. */
    private static void loadAgent(ServiceProcess service, String options) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(service.pid()));
        try {
            vm.loadAgent(TestJars.AGENT.toString(), options);
        } finally {
            vm.detach();
        }
    }

    /** Attaches jlivepatch with {@code patches=<dir>} holding fix-greet, and waits until greet is patched. */
    private void loadAgentWithPatch(ServiceProcess service) throws Exception {
        Path patches = Files.createDirectories(dir.resolve("patches"));
        TestJars.greeterFixJar(patches);
        assertEquals(ServiceProcess.ORIGINAL, service.call());
        loadAgent(service, "patches=" + patches);
        // The transition ends once the service's thread is out of greet: a hang detector, not a timing.
        String result = service.call();
        for (int i = 0; i < 3000 && !result.equals(ServiceProcess.GREET_FIXED); i++) {
            Thread.sleep(10);
            result = service.call();
        }
        assertEquals(ServiceProcess.GREET_FIXED, result);
    }

    /**
     * Every class of the builder module (jlivepatch-builder, shaded into the agent JAR under the same
     * names), read from the builder's own JAR or class directory on this test's class path: a class
     * the builder gains later is covered without naming it here. Checked to hold the builder's API and
     * main classes and none of core's, so that a wrong location cannot make the check vacuous.
     */
    private static Set<String> builderClasses() throws Exception {
        Path where = Path.of(PatchBuild.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> names = new TreeSet<>();
        if (Files.isDirectory(where)) {
            try (Stream<Path> files = Files.walk(where)) {
                files.map(f -> where.relativize(f).toString().replace(File.separatorChar, '/'))
                        .forEach(entry -> addClass(names, entry));
            }
        } else {
            try (JarFile jar = new JarFile(where.toFile())) {
                jar.stream().forEach(e -> addClass(names, e.getName()));
            }
        }
        assertTrue(names.containsAll(List.of("io.jlivepatch.PatchBuild", "io.jlivepatch.BuildReport",
                "io.jlivepatch.internal.build.Builder", "io.jlivepatch.internal.build.BuildDiff",
                "io.jlivepatch.internal.build.PatchJarWriter")), where + " is not the builder: " + names);
        assertTrue(names.stream().noneMatch(n -> n.equals("io.jlivepatch.Livepatch") || n.startsWith("io.jlivepatch.internal.jar.")),
                where + " holds core's classes too: " + names);
        return names;
    }

    /** A builder class, or a lambda or other hidden class one defines ({@code Builder$$Lambda}). */
    private static boolean fromBuilder(Set<String> builder, String defined) {
        int hidden = defined.indexOf("$$Lambda");
        return builder.contains(hidden < 0 ? defined : defined.substring(0, hidden));
    }

    private static void addClass(Set<String> names, String entry) {
        if (entry.endsWith(".class") && !entry.startsWith("META-INF/") && !entry.endsWith("package-info.class")) {
            names.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
        }
    }

    /** Names of the classes defined so far, from {@code [..][class,load] name source: ...} lines. */
    private static List<String> classesDefined(Path log) throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            int tag = line.indexOf("[class,load] ");
            int source = line.indexOf(" source: ");
            if (tag >= 0 && source > tag) {
                String name = line.substring(tag + "[class,load] ".length(), source);
                int hidden = name.indexOf("/0x");
                names.add(hidden < 0 ? name : name.substring(0, hidden));
            }
        }
        return names;
    }
}
