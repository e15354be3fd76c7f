package io.jlivepatch.agent;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.trust.Signature;
import io.jlivepatch.internal.trust.TrustPolicy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jlivepatch build --sign}, run from the shaded agent JAR as an operator runs it, with keys
 * made here by keytool: the JAR it writes verifies against a trust store holding the signing
 * certificate; every way the key cannot be used is refused before anything is written.
 */
class BuildSignIT {

    private static final String PASSWORD = "store-secret";
    private static final String KEY_PASSWORD = "key-secret";
    private static final String ENV = "JLIVEPATCH_TEST_STOREPASS";

    @TempDir
    static Path work;

    private static Path oldBuild;
    private static Path newBuild;
    /** PKCS12: key pair "signer" (CN=Build Signer), certificate entry "other". */
    private static Path keys;
    /** JKS: key pair "jks-signer" whose key password is not the store's. */
    private static Path jksKeys;
    /** PKCS12 trust store of the signer's certificate. */
    private static Path trust;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeBuildsAndKeys() throws Exception {
        oldBuild = compile("old", "return \"hello \" + name;");
        newBuild = compile("new", "return \"hello \" + name.trim();");
        keys = work.resolve("keys.p12");
        keytool("-genkeypair", "-alias", "signer", "-dname", "CN=Build Signer,O=Acme", "-keyalg", "EC", "-groupname",
                "secp256r1", "-validity", "30", "-keystore", keys.toString(), "-storepass", PASSWORD);
        Path cer = work.resolve("signer.cer");
        keytool("-exportcert", "-alias", "signer", "-file", cer.toString(), "-keystore", keys.toString(), "-storepass",
                PASSWORD);
        keytool("-importcert", "-noprompt", "-alias", "other", "-file", cer.toString(), "-keystore", keys.toString(),
                "-storepass", PASSWORD);
        trust = work.resolve("trust.p12");
        keytool("-importcert", "-noprompt", "-alias", "signer", "-file", cer.toString(), "-keystore", trust.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD);
        jksKeys = work.resolve("keys.jks");
        keytool("-genkeypair", "-alias", "jks-signer", "-dname", "CN=JKS Signer", "-keyalg", "EC", "-groupname",
                "secp256r1", "-validity", "30", "-keystore", jksKeys.toString(), "-storetype", "JKS", "-storepass",
                PASSWORD, "-keypass", KEY_PASSWORD);
        Path jksCer = work.resolve("jks-signer.cer");
        keytool("-exportcert", "-alias", "jks-signer", "-file", jksCer.toString(), "-keystore", jksKeys.toString(),
                "-storepass", PASSWORD);
        keytool("-importcert", "-noprompt", "-alias", "jks-signer", "-file", jksCer.toString(), "-keystore",
                trust.toString(), "-storepass", PASSWORD);
    }

    @Test
    void aPatchBuiltWithSignVerifiesAgainstAStoreOfTheSigningCertificate() throws Exception {
        Path patch = dir.resolve("fix-greet.jar");
        Run build = build(Map.of(ENV, PASSWORD), patch, "--sign", keys.toString(), "--alias", "signer",
                "--storepass-env", ENV);
        assertEquals(0, build.exitCode, build.toString());
        assertTrue(build.out.contains("patch written: " + patch + ", signed by CN=Build Signer,O=Acme"), build.toString());
        assertEquals(List.of(patch.getFileName().toString()), names(dir), "no file left beside it");

        Signature s = TrustPolicy.fromStore(trust, PASSWORD).verify(bytes(patch));
        assertEquals("CN=Build Signer,O=Acme", s.signer());
        assertEquals(64, s.certificateSha256().length());
        try (JarFile jar = new JarFile(patch.toFile())) {
            assertTrue(jar.getEntry("META-INF/SIGNER.SF") != null, "signature files named after the alias");
            assertEquals("fix-greet", jar.getManifest().getMainAttributes().getValue("Livepatch-Name"));
        }
        // another store does not trust it
        PatchException e = assertThrows(PatchException.class, () -> TrustPolicy.fromStore(keysWithout(), PASSWORD)
                .verify(bytes(patch)));
        assertTrue(e.getMessage().contains("signed by 'CN=Build Signer,O=Acme', which is not in trust store"),
                e.getMessage());
    }

    @Test
    void aJksKeyWithItsOwnPasswordSignsWithKeypassFile() throws Exception {
        Path storePass = Files.writeString(dir.resolve("storepass"), PASSWORD + "\n");
        Path keyPass = Files.writeString(dir.resolve("keypass"), KEY_PASSWORD + "\n");
        Path patch = dir.resolve("fix.jar");
        Run build = build(Map.of(), patch, "--sign", jksKeys.toString(), "--alias", "jks-signer",
                "--storepass-file", storePass.toString(), "--keypass-file", keyPass.toString());
        assertEquals(0, build.exitCode, build.toString());
        assertEquals("CN=JKS Signer", TrustPolicy.fromStore(trust, PASSWORD).verify(bytes(patch)).signer());

        Files.delete(patch);
        Run wrongKeyPassword = build(Map.of(), patch, "--sign", jksKeys.toString(), "--alias", "jks-signer",
                "--storepass-file", storePass.toString());
        refused(wrongKeyPassword, 1, "the key 'jks-signer' of keystore " + jksKeys + " cannot be opened: its password"
                + " is wrong");
    }

    @Test
    void aMissingKeystoreIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path missing = dir.resolve("no-such-keys.p12");
        refused(build(Map.of(ENV, PASSWORD), dir.resolve("out.jar"), "--sign", missing.toString(), "--alias", "signer",
                "--storepass-env", ENV), 1, "keystore " + missing + " does not exist");
    }

    @Test
    void aWrongStorePasswordIsRefused() throws Exception {
        refused(build(Map.of(ENV, "not-the-password"), dir.resolve("out.jar"), "--sign", keys.toString(), "--alias",
                "signer", "--storepass-env", ENV), 1, "keystore " + keys + " cannot be opened: the password is wrong,"
                + " or the file is damaged (it fails its integrity check, which either does: ");
    }

    @Test
    void anUnknownAliasIsRefusedWithTheStoresEntries() throws Exception {
        refused(build(Map.of(ENV, PASSWORD), dir.resolve("out.jar"), "--sign", keys.toString(), "--alias", "nobody",
                "--storepass-env", ENV), 1, "has no entry 'nobody' (its entries: 'other', 'signer')");
    }

    @Test
    void aCertificateEntryIsNotASigningKey() throws Exception {
        refused(build(Map.of(ENV, PASSWORD), dir.resolve("out.jar"), "--sign", keys.toString(), "--alias", "other",
                "--storepass-env", ENV), 1, "entry 'other' of keystore " + keys + " is not a private key (it is a"
                + " certificate)");
    }

    /** Signed or not, -o naming a directory (a watched patch directory) leaves it as it was, even empty. */
    @Test
    void anOutputThatIsADirectoryIsRefusedAndLeftAsItWas() throws Exception {
        Path out = Files.createDirectories(dir.resolve("patches"));
        refused(build(Map.of(ENV, PASSWORD), out, "--sign", keys.toString(), "--alias", "signer", "--storepass-env",
                ENV), 1, out + " is a directory: give the patch JAR's file name");
        assertTrue(Files.isDirectory(out));
        refused(build(Map.of(), out), 1, out + " is a directory: give the patch JAR's file name");
        assertTrue(Files.isDirectory(out));
    }

    /** Signed or not, -o naming the --old build would replace the running build's copy with the patch. */
    @Test
    void anOutputThatIsAnInputIsRefusedAndLeftAsItWas() throws Exception {
        Path oldJar = work.resolve("old-greeter.jar");
        if (!Files.exists(oldJar)) {
            try (var os = Files.newOutputStream(oldJar); var jar = new java.util.jar.JarOutputStream(os)) {
                jar.putNextEntry(new java.util.jar.JarEntry("com/acme/signed/Greeter.class"));
                jar.write(Files.readAllBytes(oldBuild.resolve("com/acme/signed/Greeter.class")));
                jar.closeEntry();
            }
        }
        byte[] before = Files.readAllBytes(oldJar);
        for (List<String> signing : List.of(List.of("--sign", keys.toString(), "--alias", "signer", "--storepass-env",
                ENV), List.<String>of())) {
            Run run = build(Map.of(ENV, PASSWORD), oldJar, oldJar, signing.toArray(String[]::new));
            assertEquals(1, run.exitCode, run.toString());
            assertTrue(run.err.contains(oldJar + " is the build " + oldJar + " that the patch is made from"), run.toString());
            assertArrayEquals(before, Files.readAllBytes(oldJar));
        }
    }

    /**
     * Signed or not, -o naming the --source file the patch is compiled from would replace the fix's source
     * with the patch. Before, the signed build asked only about --old (the signer moved the JAR over it).
     */
    @Test
    void anOutputThatIsASourceFileIsRefusedAndLeftAsItWas() throws Exception {
        Path source = Files.copy(work.resolve("new-src/com/acme/signed/Greeter.java"), Files.createDirectories(
                dir.resolve("src")).resolve("Greeter.java"));
        byte[] before = Files.readAllBytes(source);
        for (List<String> signing : List.of(List.of("--sign", keys.toString(), "--alias", "signer", "--storepass-env",
                ENV), List.<String>of())) {
            Run run = run(Map.of(ENV, PASSWORD), List.of("--old", oldBuild.toString(), "--source", source.toString(),
                    "--name", "fix-greet", "-o", source.toString()), signing.toArray(String[]::new));
            assertEquals(1, run.exitCode, run.toString());
            assertTrue(run.err.contains(source + " is the build " + source + " that the patch is made from"),
                    run.toString());
            assertArrayEquals(before, Files.readAllBytes(source));
        }
    }

    @Test
    void aPasswordIsNeverTakenFromTheCommandLine() throws Exception {
        refused(build(Map.of(), dir.resolve("out.jar"), "--sign", keys.toString(), "--alias", "signer"), 2,
                "--sign needs the keystore's password: --storepass-env <VAR> or --storepass-file <file>");
        refused(build(Map.of(), dir.resolve("out.jar"), "--sign", keys.toString(), "--alias", "signer",
                "--storepass-env", "JLIVEPATCH_TEST_UNSET"), 1, "environment variable JLIVEPATCH_TEST_UNSET"
                + " (--storepass-env) is not set");
        refused(build(Map.of(), dir.resolve("out.jar"), "--sign", keys.toString(), "--storepass-env", ENV), 2,
                "--sign needs --alias");
        refused(build(Map.of(), dir.resolve("out.jar"), "--alias", "signer"), 2, "go with --sign <keystore>");
    }

    /** The command refused with {@code code}, saying {@code message}, and wrote nothing. */
    private void refused(Run run, int code, String message) throws IOException {
        assertEquals(code, run.exitCode, run.toString());
        assertTrue(run.err.contains(message), "'" + message + "' not in:\n" + run);
        assertEquals(List.of(), names(dir).stream().filter(n -> n.endsWith(".jar") || n.startsWith(".")).toList(),
                "nothing written");
    }

    private static PatchJarBytes bytes(Path jar) throws PatchException {
        return PatchJarBytes.read(jar, JarLimits.current());
    }

    /** A store of a certificate other than the signer's. */
    private static Path keysWithout() throws Exception {
        Path other = work.resolve("stranger.jks");
        if (!Files.exists(other)) {
            keytool("-genkeypair", "-alias", "stranger", "-dname", "CN=Stranger", "-keyalg", "EC", "-groupname",
                    "secp256r1", "-keystore", other.toString(), "-storetype", "JKS", "-storepass", PASSWORD, "-keypass",
                    PASSWORD);
        }
        return other;
    }

    private static List<String> names(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith("pass")).sorted().toList();
        }
    }

    /** A class directory of com.acme.signed.Greeter whose greet returns {@code body}. */
    private static Path compile(String release, String body) throws IOException {
        Path src = Files.createDirectories(work.resolve(release + "-src/com/acme/signed"));
        Files.writeString(src.resolve("Greeter.java"), "package com.acme.signed;\npublic class Greeter {\n"
                + "    public String greet(String name) {\n        " + body + "\n    }\n}\n");
        Path classes = Files.createDirectories(work.resolve(release));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, null, "--release", "17", "-d", classes.toString(),
                src.resolve("Greeter.java").toString()), "javac " + release);
        return classes;
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "keytool")
                .toString(), "-J-XX:TieredStopAtLevel=1"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close(); // a prompt ends at once instead of waiting for an answer
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "keytool hung"); // a hang detector only
        assertEquals(0, p.exitValue(), cmd + ":\n" + out);
    }

    private static Run build(Map<String, String> env, Path out, String... signing) throws Exception {
        return build(env, oldBuild, out, signing);
    }

    private static Run build(Map<String, String> env, Path old, Path out, String... signing) throws Exception {
        return run(env, List.of("--old", old.toString(), "--new", newBuild.toString(), "--name", "fix-greet", "-o",
                out.toString()), signing);
    }

    private static Run run(Map<String, String> env, List<String> args, String... signing) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(TestJars.java(), "-jar", TestJars.AGENT.toString(), "build"));
        cmd.addAll(args);
        cmd.addAll(List.of(signing));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove(ENV);
        pb.environment().putAll(env);
        Path stdout = Files.createTempFile(work, "out", ".txt");
        Path stderr = Files.createTempFile(work, "err", ".txt");
        Process p = pb.redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "build hung: " + cmd); // a hang detector only
        return new Run(p.exitValue(), Files.readString(stdout), Files.readString(stderr));
    }

    private record Run(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\nout:\n" + out + "err:\n" + err;
        }
    }
}
