package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line's refusals that need no target JVM (install, uninstall, build's signing and
 * inputs, a pid that is the command itself): exit 1, one line saying what is wrong and what to do,
 * and nothing written or removed.
 */
class OfflineRefusalsTest {

    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    private static void refused(Run r, String... fragments) {
        assertEquals(Main.REFUSED, r.code(), r.err());
        assertTrue(r.err().startsWith("jlivepatch: refused: "), r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "'" + f + "' not in: " + r.err());
        }
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertEquals("", r.out());
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> String.valueOf(p.getFileName())).sorted().toList();
        }
    }

    /** A patch JAR as install reads it: its manifest and its Livepatch-Class entry (not loaded here). */
    private Path patchJar(String file, String name) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", name);
        m.getMainAttributes().putValue("Livepatch-Description", "a test patch");
        m.getMainAttributes().putValue("Livepatch-Class", "com.acme.Fix");
        Path jar = tmp.resolve(file);
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m)) {
            j.putNextEntry(new JarEntry("com/acme/Fix.class"));
            j.write(new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE});
            j.closeEntry();
        }
        return jar;
    }

    @Test
    void thePidOfTheCommandItselfIsRefusedSayingWhichPidToGive() {
        refused(run("status", Long.toString(ProcessHandle.current().pid())), "pid " + ProcessHandle.current().pid()
                + " is this jlivepatch command itself: give the pid of the application JVM");
    }

    @Test
    void installRefusesWhatTheStartUpLoaderWouldNotReadAndWritesNothing() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path notes = Files.writeString(tmp.resolve("fix.txt"), "not a jar");
        refused(run("install", notes.toString(), dir.toString()), "the start-up loader reads only files named *.jar:"
                + " install fix.txt with --as <name.jar>");

        Path jar = patchJar("fix.jar", "fix-offline");
        refused(run("install", jar.toString(), dir.toString(), "--as", "../escaped.jar"), "'../escaped.jar' is not a"
                + " file name the start-up loader reads: use a name ending in .jar, without a directory, not starting"
                + " with '.'");
        assertFalse(Files.exists(tmp.resolve("escaped.jar")));

        Path missing = tmp.resolve("no-such-dir");
        refused(run("install", jar.toString(), missing.toString()), "no directory " + missing + ": give the directory"
                + " the JVM loads its patches from at start-up (-javaagent:jlivepatch-agent.jar=patches=<dir>); create"
                + " it first");
        assertFalse(Files.exists(missing));

        Path badName = patchJar("bad-name.jar", "bad name!");
        refused(run("install", badName.toString(), dir.toString()), "INVALID_PATCH: patch JAR " + badName
                + ": Livepatch-Name 'bad name!' is not valid: use 1 to 64 characters from [A-Za-z0-9_.-]");
        assertEquals(List.of(), list(dir), "nothing installed");
    }

    /** A patch JAR that passes every check install makes: agentapp.fix.GreeterFix, from the test class path. */
    private Path validJar(String file) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "fix-greet");
        m.getMainAttributes().putValue("Livepatch-Class", "agentapp.fix.GreeterFix");
        Path jar = tmp.resolve(file);
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m);
             java.io.InputStream in = getClass().getClassLoader().getResourceAsStream("agentapp/fix/GreeterFix.class")) {
            j.putNextEntry(new JarEntry("agentapp/fix/GreeterFix.class"));
            j.write(in.readAllBytes());
            j.closeEntry();
        }
        return jar;
    }

    @Test
    void installRefusesATrustStorePasswordItCannotReadAndWritesNothing() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path jar = validJar("fix-greet.jar");
        String unset = "JLIVEPATCH_TEST_NEVER_SET_" + ProcessHandle.current().pid();
        assertEquals(null, System.getenv(unset));
        Path store = tmp.resolve("trust.p12");
        refused(run("install", jar.toString(), dir.toString(), "--truststore", store.toString(), "--storepass-env",
                unset), "--storepass-env: the environment variable " + unset + " is not set: export it with the trust"
                + " store's password, or use --storepass-file");
        Path noFile = tmp.resolve("no-password-file");
        refused(run("install", jar.toString(), dir.toString(), "--truststore", store.toString(), "--storepass-file",
                noFile.toString()), "--storepass-file " + noFile + " cannot be read (", "): give a file whose first line"
                + " is the trust store's password");
        assertEquals(List.of(), list(dir), "nothing installed");
    }

    @Test
    void installRefusesWhileAnotherInstallsTemporaryFileIsThereAndLeavesIt() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Path jar = validJar("fix-greet.jar");
        Path other = Files.writeString(dir.resolve(".fix-greet.jar.tmp"), "another install's");
        refused(run("install", jar.toString(), dir.toString()), other + " exists: another install is writing it, or"
                + " one was interrupted; remove it once no install runs, then install again");
        assertEquals(List.of(".fix-greet.jar.tmp"), list(dir), "nothing installed");
        assertEquals("another install's", Files.readString(other), "left as it was");

        Files.delete(other); // what the refusal says to do
        assertEquals(Main.DONE, run("install", jar.toString(), dir.toString()).code());
        assertEquals(List.of("fix-greet.jar"), list(dir));
    }

    @Test
    void uninstallOfAFileNotInstalledSaysWhatIsAndRemovesNothing() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("patches"));
        Files.copy(patchJar("fix.jar", "fix-kept"), dir.resolve("fix.jar")); // as install leaves it
        refused(run("uninstall", "other.jar", dir.toString()), "no other.jar in " + dir + " (installed: ",
                "fix.jar", "fix-kept", "nothing was removed: name an installed .jar file or its patch name");
        assertEquals(List.of("fix.jar"), list(dir), "nothing removed");
    }

    @Test
    void buildsOptionsThatDoNotGoTogetherAreUsageErrorsSayingWhatToGive() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = Files.createDirectory(tmp.resolve("old"));
        Path password = Files.writeString(tmp.resolve("password"), "secret\n");
        String[] base = {"build", "--old", old.toString(), "--name", "fix", "-o", out.toString()};
        usage(run(base), "give the fixed build: --new <jar|dir>, or --source <file|dir> to compile it");
        usage(run(with(base, "--new", old.toString(), "--source", old.toString())), "give --new or --source, not both:"
                + " --source compiles the new build from sources");
        usage(run(with(base, "--new", old.toString(), "--classpath", old.toString())), "--classpath goes with --source:"
                + " it is what the sources are compiled against");
        usage(run("build", "--old", old.toString(), "--new", old.toString(), "--dry-run", "--sign", "keys.p12",
                "--alias", "fix", "--storepass-file", password.toString()), "--sign signs the JAR written: it does not"
                + " go with --dry-run, which writes none");
        usage(run(with(base, "--new", old.toString(), "--sign", "keys.p12", "--alias", "fix", "--storepass-env", "X",
                "--storepass-file", password.toString())), "give the keystore password once: --storepass-env or"
                + " --storepass-file");
        assertFalse(Files.exists(out), "no output");
    }

    private static String[] with(String[] base, String... more) {
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    private static void usage(Run r, String message) {
        assertEquals(Main.USAGE, r.code(), r.err());
        assertTrue(r.err().contains(message), "'" + message + "' not in: " + r.err());
        assertEquals("", r.out());
    }

    @Test
    void buildRefusesAMissingInputOrSigningKeyAndWritesNoOutput() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = Files.createDirectory(tmp.resolve("old"));
        Path missing = tmp.resolve("new-missing");
        refused(run("build", "--old", old.toString(), "--new", missing.toString(), "--name", "fix", "-o",
                out.toString()), missing + " does not exist: give a JAR (a plain JAR, a Spring Boot fat JAR or a WAR),"
                + " a directory of classes or a Maven project");

        String unset = "JLIVEPATCH_TEST_NEVER_SET_" + ProcessHandle.current().pid();
        assertEquals(null, System.getenv(unset));
        Path store = Files.write(tmp.resolve("keys.p12"), new byte[] {1, 2, 3});
        refused(run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o", out.toString(),
                "--sign", store.toString(), "--alias", "fix", "--storepass-env", unset), "environment variable " + unset
                + " (--storepass-env) is not set: export it with the keystore password");

        Path noFile = tmp.resolve("no-password-file");
        refused(run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o", out.toString(),
                "--sign", store.toString(), "--alias", "fix", "--storepass-file", noFile.toString()), "keystore password"
                + " file " + noFile + " (--storepass-file) cannot be read (", "): check the path and its permissions");

        Path password = Files.writeString(tmp.resolve("password"), "secret\n");
        Path noStore = tmp.resolve("no-keys.p12");
        refused(run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o", out.toString(),
                "--sign", noStore.toString(), "--alias", "fix", "--storepass-file", password.toString()), "keystore "
                + noStore + " does not exist: give --sign the PKCS12 or JKS file that holds the signing key");

        Run garbage = run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o",
                out.toString(), "--sign", store.toString(), "--alias", "fix", "--storepass-file", password.toString());
        refused(garbage, "keystore " + store + " ");
        assertTrue(garbage.err().contains(": give a PKCS12 or JKS file") || garbage.err().contains("is not a PKCS12 or"
                + " JKS keystore: give the file keytool -genkeypair made"), garbage.err());

        assertFalse(Files.exists(out), "no output");
        assertEquals(List.of("keys.p12", "old", "password"), list(tmp), "nothing else written");
    }

    /**
     * build --sign with a key it cannot use, made here by keytool as an operator makes one: an alias
     * that is a certificate, not a key pair; a JKS key whose password is not the store's and is not
     * given; a JKS store holding a certificate of a type this JDK has no factory for. Each is refused
     * before anything is built, saying what is wrong and what to do; nothing is written.
     */
    @Test
    void buildRefusesASigningKeyItCannotUseAndWritesNoOutput() throws Exception {
        Path out = tmp.resolve("fix.jar");
        Path old = Files.createDirectory(tmp.resolve("old"));
        Path password = Files.writeString(tmp.resolve("password"), "store-secret\n");
        Path keys = Files.createDirectory(tmp.resolve("keys"));

        Path p12 = keys.resolve("keys.p12");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", p12.toString(), "-storepass", "store-secret");
        Path cer = keys.resolve("fix.cer");
        keytool("-exportcert", "-alias", "fix", "-file", cer.toString(), "-keystore", p12.toString(), "-storepass",
                "store-secret");
        keytool("-importcert", "-alias", "trusted", "-file", cer.toString(), "-keystore", p12.toString(),
                "-storepass", "store-secret");
        refused(sign(out, old, p12, "trusted", password), "entry 'trusted' of keystore " + p12 + " is not a private"
                + " key (it is a certificate): give --alias a key pair, a PrivateKeyEntry in keytool -list");

        // JKS keeps a key password of its own (PKCS12 as keytool makes it does not)
        Path jks = keys.resolve("keys.jks");
        keytool("-genkeypair", "-alias", "fix", "-dname", "CN=Fix", "-keyalg", "EC", "-groupname", "secp256r1",
                "-keystore", jks.toString(), "-storetype", "JKS", "-storepass", "store-secret", "-keypass",
                "key-secret");
        refused(sign(out, old, jks, "fix", password), "the key 'fix' of keystore " + jks + " cannot be opened: its"
                + " password is wrong (it is the store's unless --keypass-env or --keypass-file gives another)");

        // the type of each certificate is written in a JKS store: one no CertificateFactory makes
        byte[] store = Files.readAllBytes(jks);
        int at = new String(store, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("X.509");
        assertTrue(at > 0, "a JKS store names its certificates' type");
        store[at + 4] = 'Y';
        Path unknownType = Files.write(keys.resolve("unknown-type.jks"), store);
        refused(sign(out, old, unknownType, "fix", password), "keystore " + unknownType + " cannot be read (",
                "X.50Y", "): give a PKCS12 or JKS file");

        assertFalse(Files.exists(out), "no output");
        assertEquals(List.of("keys", "old", "password"), list(tmp), "nothing else written");
        assertEquals(List.of(), list(old), "nothing built");
    }

    private static Run sign(Path out, Path old, Path keystore, String alias, Path password) {
        return run("build", "--old", old.toString(), "--new", old.toString(), "--name", "fix", "-o", out.toString(),
                "--sign", keystore.toString(), "--alias", alias, "--storepass-file", password.toString());
    }

    /** This JDK's keytool, as an operator runs it; it must exit 0. */
    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                "keytool").toString(), "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-noprompt"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close(); // a prompt ends at once instead of waiting for an answer
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "keytool hung"); // a hang detector only
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + output);
    }
}
