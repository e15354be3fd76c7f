package io.jlivepatch.agent;

import com.sun.tools.attach.VirtualMachine;
import io.jlivepatch.control.LivepatchMBean;
import io.jlivepatch.control.ObjectNames;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.JMX;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM started with {@code truststore=<file>} loads only patch JARs signed by a certificate of
 * that store, however they arrive (the command, {@code patches=<dir>}); a store it cannot use
 * refuses every patch and says why; the policy stays what it was at start-up. Observed as an
 * operator does: the command's output and exit code, the service's answers, and the published
 * MBean's getters.
 */
class TrustEnforcementIT {

    @TempDir
    static Path keys;

    private static Signing.Key alice;
    private static Signing.Key mallory;
    private static Path trustAlice;
    private static Path trustMallory;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeKeys() throws Exception {
        alice = Signing.newKey(keys, "alice");
        mallory = Signing.newKey(keys, "mallory");
        trustAlice = Signing.trustStore(keys, "alice-trust.p12", "PKCS12", alice);
        trustMallory = Signing.trustStore(keys, "mallory-trust.jks", "JKS", mallory);
    }

    private static String agent(Path store, String... more) {
        StringBuilder sb = new StringBuilder("-javaagent:" + TestJars.AGENT + "=truststore=" + store
                + ",truststore-password=" + Signing.PASSWORD);
        for (String option : more) {
            sb.append(',').append(option);
        }
        return sb.toString();
    }

    @Test
    void onlyAJarSignedByATrustedKeyLoads() throws Exception {
        Path greet = TestJars.greeterFixJar(dir);
        Path byMallory = Signing.sign(greet, mallory, dir, "greet-mallory.jar");
        Path byAlice = Signing.sign(greet, alice, dir, "greet-alice.jar");
        Path extra = Signing.withExtraEntry(byAlice, dir, "greet-alice-extra.jar", "agentapp/extra.txt");
        try (ServiceProcess service = new ServiceProcess(agent(trustAlice))) {
            for (Path refused : new Path[] {greet, byMallory, extra}) {
                Cli load = Cli.run("load", service.pid(), refused);
                assertEquals(1, load.exitCode(), refused + ": " + load);
                assertTrue(load.err().contains("UNTRUSTED"), load.toString());
                assertEquals(ORIGINAL, service.call(), "the service answers the original way");
            }
            Cli status = Cli.run("status", service.pid());
            assertTrue(status.out().contains("no patches registered"), status.toString());

            Cli load = Cli.run("load", service.pid(), byAlice);
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(GREET_FIXED, service.call());
            // which certificate, not only whose name: two certificates of one subject are told apart
            String signer = "signer: CN=alice,O=jlivepatch tests \\(certificate SHA-256 [0-9a-f]{64}\\)\n";
            Cli shown = Cli.run("status", service.pid());
            assertTrue(java.util.regex.Pattern.compile(signer).matcher(shown.out()).find(), shown.toString());
            assertTrue(java.util.regex.Pattern.compile(" load fix-greet by .*: ok \\(registered, enabled\\) \\[file "
                    + java.util.regex.Pattern.quote(byAlice.toString()) + " sha256 [0-9a-f]{64} signer CN=alice,O=jlivepatch"
                    + " tests \\(certificate SHA-256 [0-9a-f]{64}\\)\\]").matcher(Cli.run("status", service.pid(), "--log")
                    .out()).find(), Cli.run("status", service.pid(), "--log").out());
            try (Mbean mbean = Mbean.of(service.pid())) {
                assertTrue(mbean.livepatch().isVerifyingPatches());
                String policy = mbean.livepatch().getTrustPolicy();
                assertTrue(policy.contains(trustAlice.toString()), policy);
                assertTrue(Cli.run("status", service.pid()).out().contains(policy), "status shows: " + policy);
            }
        }
    }

    /**
     * A signed JAR whose signature file is garbage (a damaged copy, a hand-made JAR): its signature
     * cannot be checked, and the load is refused saying so and how to sign it again; nothing is
     * registered, no hook is placed, and the refusal is on record.
     */
    @Test
    void aJarWhoseSignatureFileIsGarbageIsRefusedAsUncheckableAndChangesNothing() throws Exception {
        Path byAlice = Signing.sign(TestJars.greeterFixJar(dir), alice, dir, "greet-alice.jar");
        String sf = null;
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(byAlice.toFile(), false)) {
            for (var e = jar.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                sf = name.startsWith("META-INF/") && name.endsWith(".SF") ? name : sf;
            }
        }
        assertTrue(sf != null, "jarsigner wrote a signature file");
        byte[] garbage = new byte[512];
        new java.util.Random(115).nextBytes(garbage); // fixed: the same bytes every run
        garbage[0] = 0; // no header name starts with a NUL byte: never a manifest line
        Path damaged = Signing.withChangedEntry(byAlice, dir, "greet-alice-garbage-sf.jar", sf, garbage);
        try (ServiceProcess service = new ServiceProcess(agent(trustAlice))) {
            Cli load = Cli.run("load", service.pid(), damaged);
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("UNTRUSTED") && load.err().contains("patch JAR '" + damaged + "': its"
                    + " signature cannot be checked (IOException: ") && load.err().contains("): sign it again with"
                    + " jarsigner or jlivepatch build --sign"), load.toString());
            assertEquals(1, load.err().lines().count(), "one line: " + load);
            assertEquals(ORIGINAL, service.call(), "no hook: the application's own code runs");
            Cli status = Cli.run("status", service.pid(), "--log");
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("no patches registered"), status.toString());
            assertTrue(status.out().lines().anyMatch(l -> l.contains(" load ") && l.contains(damaged.toString())
                    && l.contains("refused UNTRUSTED")), "the refusal is on record: " + status);
        }
    }

    @Test
    void atStartUpOnlyTheTrustedJarOfThePatchDirectoryIsEnabled() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("patches"));
        Signing.sign(TestJars.greeterFixJar(dir), alice, patches, "10-greet.jar");
        Signing.sign(TestJars.shoutFixJar(dir), mallory, patches, "20-shout.jar");
        try (ServiceProcess service = new ServiceProcess(agent(trustAlice, "patches=" + patches))) {
            assertEquals(GREET_FIXED, service.call(), "greet fixed, shout (\"!!!\") not");
            Cli status = Cli.run("status", service.pid(), "--log");
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("1 patch") && status.out().contains("1. fix-greet [enabled]"),
                    status.toString());
            assertFalse(status.out().contains("fix-shout ["), status.toString());
            assertTrue(status.out().contains("20-shout.jar") && status.out().contains("UNTRUSTED"),
                    "the refusal is in the audit log: " + status);
        }
    }

    /**
     * jlivepatch named twice with -javaagent (a trust store given to every JVM, say in
     * JAVA_TOOL_OPTIONS, and start-up patches on the command line): the first, with no start-up
     * patches, installs on a thread of its own; the second's patches must still load under its trust
     * store, as when each premain installed in turn. Without the wait, the unsigned JAR was enabled.
     */
    /**
     * The installation aside of main cannot read its trust store (a file system that does not answer;
     * here its read held at a FIFO nobody writes): an attach meanwhile waits for it, then installs nothing rather than
     * install jlivepatch without the trust store, and an unsigned patch never runs. Once the store
     * can be read (it is garbage), the installation fails closed.
     */
    @Test
    void anAttachWhileTheStartUpsTrustStoreCannotBeReadInstallsNothingWithoutIt() throws Exception {
        // The store's read held at a pipe nobody writes (the agent's test gate): a pipe as the store
        // itself is refused unread, and no local file can be made not to answer.
        Path store = Files.writeString(dir.resolve("hung-store.p12"), "not a key store");
        Path fifo = dir.resolve("gate");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo");
        Path stderr = dir.resolve("stderr.txt");
        try (ServiceProcess service = new ServiceProcess(java.lang.ProcessBuilder.Redirect.to(stderr.toFile()),
                "-Djlivepatch.test.trustStoreGate=" + fifo,
                "-javaagent:" + TestJars.AGENT + "=truststore=" + store + ",truststore-password=changeit")) {
            // Beyond the attach's 10 s wait and the 10 s that Livepatch.install would wait after it.
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir), "--timeout", "25");
            assertEquals(ORIGINAL, service.call(), "the unsigned patch does not run: " + load);
            assertTrue(load.exitCode() != 0, load.toString());
            // The command waited for the installation, then said why nothing was loaded: not a
            // failure to record one (a SecurityManager's), which it said when it stopped at once.
            assertFalse(load.err().contains("nor record why"), load.toString());
            assertTrue(load.err().contains("jlivepatch is not installed in pid " + service.pid() + " yet, nor did it"
                    + " install within 25 s: the agent's installation, started before main, still runs"), load.toString());
            assertTrue(Files.readString(stderr).contains("an attach of jlivepatch's agent installs nothing: the agent's"
                    + " installation, started before main, still runs after 10 s"), Files.readString(stderr));
            try (OutputStream out = Files.newOutputStream(fifo)) {
                out.write("not a key store".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            assertEquals("installed", service.awaitAgent(), "installed, with a policy that refuses every patch");
            Cli again = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(1, again.exitCode(), again.toString());
            assertTrue(again.err().contains("UNTRUSTED"), again.toString());
            assertEquals(ORIGINAL, service.call());
        }
    }

    /**
     * While the start-up's installation runs aside (held here at the trust store's test gate), the
     * command says "installing", not "not loaded" with the advice to load it, and waits for it.
     */
    @Test
    void whileTheStartUpsInstallationRunsTheCommandSaysInstallingAndWaitsForIt() throws Exception {
        Path store = Files.writeString(dir.resolve("slow-store.p12"), "not a key store");
        Path fifo = dir.resolve("gate"); // the store's read waits here (the agent's test gate)
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo");
        try (ServiceProcess service = new ServiceProcess("-Djlivepatch.test.trustStoreGate=" + fifo,
                "-javaagent:" + TestJars.AGENT + "=truststore=" + store + ",truststore-password=changeit")) {
            Cli list = Cli.run("list");
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith(service.pid() + " ") && l.contains("installing")),
                    list.toString());
            Cli status = Cli.run("status", service.pid(), "--timeout", "2");
            assertEquals(0, status.exitCode(), "a question answered: " + status);
            assertTrue(status.out().startsWith("pid " + service.pid() + ": jlivepatch installing (jlivepatch is still"
                    + " being installed in pid " + service.pid() + " (its installation, started with the JVM "), status.toString());
            assertTrue(status.out().contains("did not end within 2 s"), status.toString());
            assertFalse(status.out().contains("not loaded") || status.out().contains("'jlivepatch load"), status.toString());
            Cli json = Cli.run("status", service.pid(), "--json", "--timeout", "1");
            assertEquals(0, json.exitCode(), json.toString());
            assertTrue(json.out().startsWith("{\"pid\":" + service.pid() + ",\"jlivepatch\":\"installing\",\"patches\":[],"
                    + "\"installingSeconds\":"), json.toString());
            Cli enable = Cli.run("enable", service.pid(), "anything", "--timeout", "1");
            assertEquals(1, enable.exitCode(), enable.toString());
            assertTrue(enable.err().contains("jlivepatch is still being installed in pid " + service.pid()), enable.toString());
            // One that waits long enough gets the status once the installation ends.
            java.util.concurrent.CompletableFuture<Cli> waiting =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> Cli.run("status", service.pid(), "--timeout", "60"));
            Thread.sleep(500); // the command attaches meanwhile (a pass without it proves less, never fails)
            try (OutputStream out = Files.newOutputStream(fifo)) {
                out.write("not a key store".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            Cli after = waiting.get(90, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(0, after.exitCode(), after.toString());
            assertTrue(after.out().contains(store.toString()) && !after.out().contains("installing"),
                    "the status, with the policy of the store that could not be read: " + after);
            assertEquals("installed", service.awaitAgent());
            assertTrue(Cli.run("list").out().lines().anyMatch(l -> l.startsWith(service.pid() + " ") && l.contains("loaded ")));
        }
    }

    @Test
    void aTrustStoreOfAnEarlierJavaagentHoldsForALaterOnesStartUpPatches() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("patches"));
        Files.copy(TestJars.greeterFixJar(dir), patches.resolve("10-greet.jar"));
        try (ServiceProcess service = new ServiceProcess(agent(trustAlice),
                "-javaagent:" + TestJars.AGENT + "=patches=" + patches)) {
            assertEquals(ORIGINAL, service.call(), "the unsigned start-up patch is not enabled");
            Cli status = Cli.run("status", service.pid(), "--log");
            assertEquals(0, status.exitCode(), status.toString());
            assertFalse(status.out().contains("fix-greet ["), status.toString());
            assertTrue(status.out().contains("10-greet.jar") && status.out().contains("UNTRUSTED"),
                    "refused at load, on record: " + status);
        }
    }

    @Test
    void aTrustStoreThatCannotBeUsedRefusesEveryPatchAndSaysWhy() throws Exception {
        Path emptyFile = Files.createFile(dir.resolve("empty.p12"));
        Path noCertificates = dir.resolve("no-certificates.p12");
        KeyStore none = KeyStore.getInstance("PKCS12");
        none.load(null, null);
        try (OutputStream out = Files.newOutputStream(noCertificates)) {
            none.store(out, Signing.PASSWORD.toCharArray());
        }
        Path wrongType = Files.writeString(dir.resolve("trust.pem"), "-----BEGIN CERTIFICATE-----\nnot one\n");
        Path signed = Signing.sign(TestJars.greeterFixJar(dir), alice, dir, "greet-alice.jar");
        for (Path store : new Path[] {dir.resolve("missing.p12"), emptyFile, noCertificates, wrongType}) {
            try (ServiceProcess service = new ServiceProcess(agent(store))) {
                assertEquals(ORIGINAL, service.call(), "the service started and answers: " + store);
                Cli load = Cli.run("load", service.pid(), signed);
                assertEquals(1, load.exitCode(), store + ": " + load);
                assertTrue(load.err().contains("UNTRUSTED") && load.err().contains("trust store")
                        && load.err().contains(store.toString()),
                        "the store's problem is in the refusal: " + load);
                assertEquals(ORIGINAL, service.call());
                try (Mbean mbean = Mbean.of(service.pid())) {
                    assertTrue(mbean.livepatch().isVerifyingPatches());
                    String policy = mbean.livepatch().getTrustPolicy();
                    assertTrue(policy.contains(store.toString()), policy);
                    Cli status = Cli.run("status", service.pid());
                    assertTrue(status.out().contains(policy), "status shows the policy: " + status);
                }
            }
        }
    }

    @Test
    void agentArgumentsNamingATrustStoreThatDoNotParseRefuseEveryPatchNotNone() throws Exception {
        Path signed = Signing.sign(TestJars.greeterFixJar(dir), alice, dir, "greet-alice.jar");
        for (String bad : new String[] {"max-entry-bytes=3g", "interval=30"}) {
            try (ServiceProcess service = new ServiceProcess(agent(trustAlice, bad))) {
                assertEquals(ORIGINAL, service.call(), "the service started: " + bad);
                for (Path jar : new Path[] {TestJars.greeterFixJar(dir), signed}) {
                    Cli load = Cli.run("load", service.pid(), jar); // attaches the agent, without arguments
                    assertEquals(1, load.exitCode(), bad + ", " + jar + ": " + load);
                    assertTrue(load.err().contains("UNTRUSTED")
                            && load.err().contains("the agent's arguments, which name a trust store, were refused"),
                            "fails closed: " + load);
                }
                assertEquals(ORIGINAL, service.call());
                Cli status = Cli.run("status", service.pid(), "--log");
                assertTrue(status.out().contains(" trust (the agent's arguments) by startup: ok (every patch is"
                        + " refused: the agent's arguments, which name a trust store, were refused at start-up"),
                        "the fail-closed policy is on record, from before jlivepatch ran: " + status);
            }
        }
    }

    /**
     * What jcmd's JVMTI.agent_load passes of an unquoted truststore=<file> (the name only) at an attach that
     * would raise the policy: every patch is refused, saying the option has no value and how to quote it, and
     * that the arguments were refused at an attach. Before, "unknown option 'truststore'", refused "at start-up"
     * of a JVM started without them (an operator's walk of README, JDK 17 and 25).
     */
    @Test
    void aTrustStoreOptionWithoutItsFileAtAnAttachRefusesEveryPatchSayingWhatWasWrong() throws Exception {
        Path signed = Signing.sign(TestJars.greeterFixJar(dir), alice, dir, "greet-alice.jar");
        try (ServiceProcess service = new ServiceProcess("-javaagent:" + TestJars.AGENT)) {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(service.pid()));
            try {
                vm.loadAgent(TestJars.AGENT.toString(), "truststore"); // refused arguments end agentmain normally
            } finally {
                vm.detach();
            }
            Cli load = Cli.run("load", service.pid(), signed);
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("UNTRUSTED") && load.err().contains("the agent's arguments, which name a"
                    + " trust store, were refused at an attach (option 'truststore' has no value: give"
                    + " truststore=<file> (jcmd <pid> JVMTI.agent_load passes only the part before '='"), load.toString());
            assertEquals(ORIGINAL, service.call());
            Cli status = Cli.run("status", service.pid(), "--log");
            assertTrue(status.out().contains(" trust (the agent's arguments) by attach: ok (every patch is refused:"
                    + " the agent's arguments, which name a trust store, were refused at an attach"), status.toString());
        }
    }

    @Test
    void agentArgumentsThatDoNotParseKeepTheirAuditFileForTheFailClosedPolicyAndTheRefusals() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        try (ServiceProcess service = new ServiceProcess(agent(trustAlice, "audit=" + audit, "truststore-pasword=s3cret"))) {
            assertEquals(ORIGINAL, service.call(), "the service started");
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(1, load.exitCode(), load.toString());
            String lines = Files.readString(audit);
            assertTrue(lines.contains("\"operation\":\"trust\",\"patch\":\"(the agent's arguments)\"")
                    && lines.contains("\"operation\":\"load\",\"patch\":\"fix-greet\",\"outcome\":\"refused UNTRUSTED"),
                    "on record in the file asked for: " + lines);
            assertTrue(!lines.contains("s3cret"), "the misspelt password's value is nowhere: " + lines);
        }
    }

    @Test
    void aLaterAttachWithAnotherTrustStoreChangesNothing() throws Exception {
        Path byMallory = Signing.sign(TestJars.greeterFixJar(dir), mallory, dir, "greet-mallory.jar");
        try (ServiceProcess service = new ServiceProcess(agent(trustAlice))) {
            String before;
            try (Mbean mbean = Mbean.of(service.pid())) {
                before = mbean.livepatch().getTrustPolicy();
            }
            VirtualMachine vm = VirtualMachine.attach(Long.toString(service.pid()));
            try {
                vm.loadAgent(TestJars.AGENT.toString(), "truststore=" + trustMallory + ",truststore-password="
                        + Signing.PASSWORD);
            } finally {
                vm.detach();
            }
            Cli load = Cli.run("load", service.pid(), byMallory);
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("UNTRUSTED"), load.toString());
            assertEquals(ORIGINAL, service.call());
            try (Mbean mbean = Mbean.of(service.pid())) {
                assertEquals(before, mbean.livepatch().getTrustPolicy());
            }
            Cli status = Cli.run("status", service.pid(), "--log");
            assertTrue(status.out().lines().anyMatch(l -> l.contains(" trust " + trustAlice + " by startup: ok (")),
                    status.toString());
            assertTrue(status.out().lines().anyMatch(l -> l.contains(" trust " + trustMallory + " by attach: refused"
                    + " (the policy stays: patches must be signed by a certificate of ")), status.toString());
        }
    }

    @Test
    void aPolicyRaisedByALaterAttachIsAuditedAndKeepsUnsignedPatchesRegisteredBeforeItOff() throws Exception {
        Path unsigned = TestJars.greeterFixJar(dir);
        Path byAlice = Signing.sign(TestJars.shoutFixJar(dir), alice, dir, "shout-alice.jar");
        try (ServiceProcess service = new ServiceProcess("-javaagent:" + TestJars.AGENT)) {
            Cli signedToo = Cli.run("load", "--no-enable", service.pid(), byAlice);
            assertEquals(0, signedToo.exitCode(), signedToo.toString());
            Cli registered = Cli.run("load", "--no-enable", service.pid(), unsigned);
            assertEquals(0, registered.exitCode(), registered.toString());
            VirtualMachine vm = VirtualMachine.attach(Long.toString(service.pid()));
            try {
                vm.loadAgent(TestJars.AGENT.toString(), "truststore=" + trustAlice + ",truststore-password="
                        + Signing.PASSWORD);
            } finally {
                vm.detach();
            }
            Cli enableSigned = Cli.run("enable", service.pid(), "fix-shout");
            assertEquals(0, enableSigned.exitCode(), "a JAR that passes the policy now is enabled: " + enableSigned);
            Cli enable = Cli.run("enable", service.pid(), "fix-greet");
            assertEquals(1, enable.exitCode(), enable.toString());
            assertTrue(enable.err().contains("UNTRUSTED") && enable.err().contains("patch 'fix-greet' was registered"
                    + " before this JVM's trust policy was raised"), enable.toString());
            String answer = service.call();
            assertTrue(answer.startsWith("hello x") && !answer.equals(ORIGINAL), "unsigned greet fix off, signed"
                    + " shout fix on: " + answer);

            Cli status = Cli.run("status", service.pid(), "--log");
            assertTrue(status.out().lines().anyMatch(l -> l.contains(" trust " + trustAlice + " by attach: ok (patches"
                    + " must be signed by a certificate of ")), status.toString());
            assertTrue(status.out().lines().anyMatch(l -> l.contains(" enable fix-greet by pid ")
                    && l.contains("refused UNTRUSTED")), status.toString());
        }
    }

    @Test
    void withoutATrustStoreStatusSaysPatchesAreNotVerified() throws Exception {
        try (ServiceProcess service = new ServiceProcess("-javaagent:" + TestJars.AGENT)) {
            Cli status = Cli.run("status", service.pid());
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("patches are not verified"), status.toString());
            try (Mbean mbean = Mbean.of(service.pid())) {
                assertFalse(mbean.livepatch().isVerifyingPatches());
                assertTrue(mbean.livepatch().getTrustPolicy().contains("patches are not verified"));
            }
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(GREET_FIXED, service.call());
        }
    }

    /** The published Livepatch MBean of a JVM, through its local JMX connector, as JConsole reads it. */
    private record Mbean(JMXConnector connector) implements AutoCloseable {

        static Mbean of(long pid) throws Exception {
            Cli status = Cli.run("status", pid); // waits until the agent has registered its MBeans
            assertEquals(0, status.exitCode(), status.toString());
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            try {
                return new Mbean(JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent())));
            } finally {
                vm.detach();
            }
        }

        LivepatchMBean livepatch() throws Exception {
            return JMX.newMXBeanProxy(connector.getMBeanServerConnection(), new ObjectName(ObjectNames.LIVEPATCH),
                    LivepatchMBean.class);
        }

        @Override
        public void close() throws Exception {
            connector.close();
        }
    }

    @Test
    void aWatchedDirectoryAppliesOnlyJarsSignedByATrustedKeyAndSaysWhyNot() throws Exception {
        Path watched = Files.createDirectory(dir.resolve("watched"));
        Path greet = TestJars.greeterFixJar(dir);
        Path byAlice = Signing.sign(greet, alice, dir, "greet-alice.jar");
        Files.copy(greet, watched.resolve("10-greet.jar"));
        try (ServiceProcess service = new ServiceProcess(agent(trustAlice, "patches=" + watched, "watch=true",
                "interval=1"))) {
            Cli status = Cli.run("status", service.pid());
            assertTrue(status.out().contains("  watching " + watched + ": failed: UNTRUSTED: patch JAR '" + watched
                    + "/10-greet.jar' is not signed"), status.toString());
            // what the directory asks for, refused (before: "desired: no patch", what it had asked for)
            assertTrue(status.out().contains("; desired: 10-greet.jar(refused);"), status.toString());
            Cli json = Cli.run("status", service.pid(), "--json");
            assertTrue(json.out().contains("\"desired\":\"10-greet.jar(refused)\",\"state\":\"failed: UNTRUSTED: "),
                    json.toString());
            assertEquals(ORIGINAL, service.call(), "nothing was applied");

            Path tmp = watched.resolve("10-greet.jar.tmp");
            Files.copy(byAlice, tmp);
            Files.move(tmp, watched.resolve("10-greet.jar"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            String answer = service.call();
            for (int i = 0; i < 600 && !answer.equals(GREET_FIXED); i++) {
                Thread.sleep(100);
                answer = service.call();
            }
            assertEquals(GREET_FIXED, answer, "the signed JAR is applied on the next change");
            status = Cli.run("status", service.pid());
            assertTrue(status.out().contains("  watching " + watched + ": converged; desired: fix-greet;")
                    && status.out().contains("signer: CN=alice"), status.toString());
        }
    }
}
