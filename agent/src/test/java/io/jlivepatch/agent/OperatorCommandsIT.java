package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's commands that need no patch target ({@code inspect}, {@code install}, {@code uninstall}),
 * and {@code list --json}: what they print, and every way they refuse, leaving the files as they were.
 */
class OperatorCommandsIT {

    @TempDir
    Path dir;

    // ---- inspect

    @Test
    void inspectShowsWhatAPatchJarHoldsWithoutAJvm() throws Exception {
        Path jar = TestJars.greeterFixJar(dir);
        Cli inspect = Cli.run("inspect", jar);
        assertEquals(0, inspect.exitCode(), inspect.toString());
        String out = inspect.out();
        assertTrue(out.contains("patch JAR " + jar.toAbsolutePath()), out);
        assertTrue(out.contains("name:        fix-greet"), out);
        assertTrue(out.contains("description: greet trims its input"), out);
        assertTrue(out.contains("agentapp.Greeter.greet -> agentapp.fix.GreeterFix.greet"
                + "(Lagentapp/Greeter;Ljava/lang/String;)Ljava/lang/String; (no descriptor given"), out);
        assertTrue(out.contains("held:        none"), out);
        assertTrue(out.contains("sha256:      " + sha256(jar)), out);
        assertTrue(out.contains("builds:      none recorded"), out);
        assertTrue(out.contains("callbacks:   none") && out.contains("cumulative:  none")
                && out.contains("states:      none"), out);
        assertTrue(out.contains("signer:      unsigned"), out);
        assertFalse(out.contains("verified"), "no --truststore, no verdict: " + out);
        assertEquals("", inspect.err());
    }

    @Test
    void inspectShowsHeldMethodsBuildHashesAndTheLaterFeaturesAttributesAsWritten() throws Exception {
        Path jar = TestJars.patchJar(dir, "full.jar", Map.of("Livepatch-Name", "full",
                "Livepatch-Class", "agentapp.fix.ShoutFix", "Livepatch-Hold", "agentapp.Greeter.hold(Ljava/util/concurrent/CountDownLatch;)Ljava/lang/String;",
                "Livepatch-Old-Build-SHA256", "aa11", "Livepatch-New-Build-SHA256", "bb22",
                "Livepatch-Replace", "true", "Livepatch-States", "1:2 7:1",
                "Livepatch-Nestmates", "agentapp.ShoutNestmate=agentapp.Greeter", "Livepatch-New-Classes",
                "agentapp.GreetOnce"), "agentapp.fix.ShoutFix", "agentapp.ShoutNestmate", "agentapp.GreetOnce");
        Cli inspect = Cli.run("inspect", jar);
        assertEquals(0, inspect.exitCode(), inspect.toString());
        String out = inspect.out();
        assertTrue(out.contains("held:        agentapp.Greeter.hold(Ljava/util/concurrent/CountDownLatch;)"), out);
        assertTrue(out.contains("build:       Livepatch-Old-Build-SHA256 aa11")
                && out.contains("build:       Livepatch-New-Build-SHA256 bb22"), out);
        assertTrue(out.contains("cumulative:  true") && out.contains("states:      1:2 7:1"), out);
        assertTrue(out.contains("description: none"), out);
        assertTrue(out.contains("new classes: agentapp.GreetOnce (defined for good in the application's class"
                + " loader)"), out);
        assertTrue(out.contains("nestmates:   agentapp.ShoutNestmate=agentapp.Greeter (private access to"
                + " agentapp.Greeter)"), out);

        Cli json = Cli.run("inspect", jar, "--json");
        assertEquals(0, json.exitCode(), json.toString());
        String j = json.out().trim();
        assertTrue(j.startsWith("{") && j.endsWith("}") && !j.contains("\n"), j);
        assertTrue(j.contains("\"name\":\"full\"") && j.contains("\"sha256\":\"" + sha256(jar) + "\"")
                && j.contains("\"target\":\"agentapp.Greeter\",\"method\":\"shout\"")
                && j.contains("\"replacement\":\"agentapp.fix.ShoutFix.shout\"")
                && j.contains("\"held\":[\"agentapp.Greeter.hold(Ljava/util/concurrent/CountDownLatch;)Ljava/lang/String;\"]")
                && j.contains("\"Livepatch-Old-Build-SHA256\":\"aa11\"") && j.contains("\"cumulative\":\"true\"")
                && j.contains("\"states\":\"1:2 7:1\"") && j.contains("\"callbacks\":[]")
                && j.contains("\"signer\":\"unsigned\"")
                && j.contains("\"newClasses\":[\"agentapp.GreetOnce\"]")
                && j.contains("\"nestmates\":{\"agentapp.ShoutNestmate\":\"agentapp.Greeter\"}"), j);
        assertFalse(j.contains("\"verified\""), j);
        Cli plain = Cli.run("inspect", TestJars.greeterFixJar(dir), "--json");
        assertTrue(plain.out().contains("\"cumulative\":null,\"states\":null"), plain.toString());
        assertTrue(plain.out().contains("\"newClasses\":[],\"nestmates\":{}"), plain.toString());
        Cli plainText = Cli.run("inspect", TestJars.greeterFixJar(dir));
        assertTrue(plainText.out().contains("new classes: none") && plainText.out().contains("nestmates:   none"),
                plainText.toString());
    }

    @Test
    void inspectRefusesABadJarWithTheReason() throws Exception {
        Cli missing = Cli.run("inspect", dir.resolve("nowhere.jar"));
        assertEquals(1, missing.exitCode(), missing.toString());
        assertTrue(missing.err().contains("INVALID_PATCH") && missing.err().contains("no such file"), missing.toString());

        Path notJar = Files.writeString(dir.resolve("fix.jar"), "this is not a jar");
        Cli bad = Cli.run("inspect", notJar);
        assertEquals(1, bad.exitCode(), bad.toString());
        assertTrue(bad.err().contains("INVALID_PATCH") && bad.err().contains("not a"), bad.toString());
        assertEquals("", bad.out());

        Path noAnnotations = TestJars.patchJar(dir, "plain.jar", Map.of("Livepatch-Name", "plain",
                "Livepatch-Class", "agentapp.Greeter"), "agentapp.Greeter");
        Cli none = Cli.run("inspect", noAnnotations);
        assertEquals(1, none.exitCode(), none.toString());
        assertTrue(none.err().contains("INVALID_PATCH") && none.err().contains("no method annotated"), none.toString());

        Path badShape = TestJars.patchJar(dir, "bad.jar", Map.of("Livepatch-Name", "bad-shape",
                "Livepatch-Class", "agentapp.fix.BadShapeFix"), "agentapp.fix.BadShapeFix");
        Cli shape = Cli.run("inspect", badShape);
        assertEquals(1, shape.exitCode(), shape.toString());
        assertTrue(shape.err().contains("SIGNATURE_MISMATCH") && shape.err().contains("not public static"),
                shape.toString());

        // what the target would refuse, the command refuses before it: a class file that does not
        // parse, a copy of the class the JAR patches (and install does not put them in a directory)
        Path garbled = dir.resolve("garbled.jar");
        try (java.util.jar.JarOutputStream jos = new java.util.jar.JarOutputStream(Files.newOutputStream(garbled),
                manifest(Map.of("Livepatch-Name", "garbled", "Livepatch-Class", "agentapp.fix.GreeterFix")))) {
            jos.putNextEntry(new java.util.jar.JarEntry("agentapp/fix/GreeterFix.class"));
            jos.write(new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 61, 0, 9});
            jos.closeEntry();
        }
        Path carrier = TestJars.patchJar(dir, "carrier.jar", Map.of("Livepatch-Name", "carrier",
                "Livepatch-Class", "agentapp.fix.GreeterFix"), "agentapp.fix.GreeterFix", "agentapp.Greeter");
        Path into = Files.createDirectory(dir.resolve("into"));
        for (Object[] c : new Object[][] {{garbled, "cannot be parsed"}, {carrier, "carries its own copy of agentapp.Greeter"}}) {
            Cli refused = Cli.run("inspect", c[0]);
            assertEquals(1, refused.exitCode(), refused.toString());
            assertTrue(refused.err().contains("INVALID_PATCH") && refused.err().contains((String) c[1]), refused.toString());
            Cli install = Cli.run("install", c[0], into);
            assertEquals(1, install.exitCode(), install.toString());
        }
        try (var left = Files.list(into)) {
            assertEquals(0, left.count(), "nothing installed");
        }

        Path badName = TestJars.patchJar(dir, "badname.jar", Map.of("Livepatch-Name", "bad name!",
                "Livepatch-Class", "agentapp.fix.GreeterFix"), "agentapp.fix.GreeterFix");
        Cli name = Cli.run("inspect", badName);
        assertEquals(1, name.exitCode(), name.toString());
        assertTrue(name.err().contains("INVALID_PATCH") && name.err().contains("is not valid"), name.toString());

        Cli json = Cli.run("inspect", notJar, "--json");
        assertEquals(1, json.exitCode(), json.toString());
        assertEquals("", json.out(), "nothing half-printed for a program to parse");
    }

    @Test
    void inspectNeverPrintsControlCharactersFromTheJar() throws Exception {
        Path jar = TestJars.patchJar(dir, "evil.jar", Map.of("Livepatch-Name", "evil",
                "Livepatch-Description", "red \u001b[31m text \u202e reversed",
                "Livepatch-Class", "agentapp.fix.GreeterFix"), "agentapp.fix.GreeterFix");
        Cli text = Cli.run("inspect", jar);
        assertEquals(0, text.exitCode(), text.toString());
        assertTrue(text.out().contains("red \\e[31m text \\u202e reversed"), text.out());
        Cli json = Cli.run("inspect", jar, "--json");
        assertTrue(json.out().contains("red \\u001b[31m text \\u202e reversed"), json.out());
        for (Cli c : List.of(text, json)) {
            assertFalse(c.out().contains("\u001b") || c.out().contains("\u202e"), c.out());
        }
        // A malformed Livepatch-States is refused (as load refuses it), and the refusal quotes it cleaned: the
        // refusal's message escapes it (one line for an API caller too), and the command escapes that message
        // as it prints it, so the escape's backslash shows doubled (README, "Everything is parsed").
        Path states = TestJars.patchJar(dir, "evil-states.jar", Map.of("Livepatch-Name", "evil-states",
                "Livepatch-States", "1:1\u001b[2J", "Livepatch-Class", "agentapp.fix.GreeterFix"),
                "agentapp.fix.GreeterFix");
        Cli refused = Cli.run("inspect", states);
        assertEquals(1, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains("'1:1\\\\e[2J' is not id:version") && !refused.err().contains("\u001b"),
                refused.toString());
    }

    @Test
    void inspectNamesTheSignerOfASignedJarAndWhatIsWrongWithASignature() throws Exception {
        Signing.Key key = Signing.newKey(dir, "alice");
        Path signed = Signing.sign(TestJars.greeterFixJar(dir), key, dir, "signed.jar");
        Cli inspect = Cli.run("inspect", signed);
        assertEquals(0, inspect.exitCode(), inspect.toString());
        assertTrue(inspect.out().contains("signer:      CN=alice,O=jlivepatch tests"), inspect.toString());
        Cli json = Cli.run("inspect", signed, "--json");
        assertTrue(json.out().contains("\"signer\":\"CN=alice,O=jlivepatch tests\""), json.toString());

        Path extra = Signing.withExtraEntry(signed, dir, "extra.jar", "agentapp/extra.txt");
        Cli partial = Cli.run("inspect", extra);
        assertEquals(0, partial.exitCode(), partial.toString());
        assertTrue(partial.out().contains("CN=alice,O=jlivepatch tests, but 1 entry is not signed (agentapp/extra.txt)"),
                partial.toString());

        // A SIG-* file whose extension is not 1 to 3 letters or digits is content to the JDK's verifier, which a
        // signature must cover (the agent refuses it unsigned): the signer line said the JAR was wholly signed.
        Path sigNotes = Signing.withExtraEntry(signed, dir, "sig-notes.jar", "META-INF/SIG-NOTES.properties");
        Cli notes = Cli.run("inspect", sigNotes);
        assertTrue(notes.out().contains("CN=alice,O=jlivepatch tests, but 1 entry is not signed"
                + " (META-INF/SIG-NOTES.properties)"), notes.toString());

        Path withResource = Signing.withExtraEntry(TestJars.greeterFixJar(dir), dir, "res.jar", "agentapp/notes.txt");
        Path signedResource = Signing.sign(withResource, key, dir, "signed-res.jar");
        Path tampered = Signing.withChangedEntry(signedResource, dir, "tampered.jar", "agentapp/notes.txt",
                "changed after signing".getBytes(StandardCharsets.UTF_8));
        Cli broken = Cli.run("inspect", tampered);
        assertEquals(0, broken.exitCode(), broken.toString());
        assertTrue(broken.out().contains("signer:      signature broken (") && broken.out().contains("agentapp/notes.txt"),
                broken.toString());
    }

    /**
     * A JAR signed by alice to which someone added an entry and then signed the whole by a key of their
     * own (jarsigner adds a second signer): alice's signature still verifies every entry she signed, the
     * added one is signed by the newcomer alone. The signer line said "CN=alice,... and CN=mallory,...",
     * as if both had signed all of it, while a JVM without a trust store would run the entry alice never
     * saw (and one with a store refuses it: signed by different signers). It now says which entry lacks
     * which signer.
     */
    @Test
    void inspectSaysWhichEntryASecondSignerAloneSigned() throws Exception {
        Signing.Key alice = Signing.newKey(dir, "alice");
        Signing.Key mallory = Signing.newKey(dir, "mallory");
        Path byAlice = Signing.sign(TestJars.greeterFixJar(dir), alice, dir, "by-alice.jar");
        Path added = Signing.withExtraEntry(byAlice, dir, "added.jar", "agentapp/fix/limits.properties");
        Path resigned = Signing.sign(added, mallory, dir, "resigned.jar");
        Cli inspect = Cli.run("inspect", resigned);
        assertEquals(0, inspect.exitCode(), inspect.toString());
        // the signers in the order the JDK gives them: each is named, and what the added entry lacks
        String line = inspect.out().lines().filter(l -> l.startsWith("  signer:")).findFirst().orElse("");
        // both named, in either order: the alternatives were (alice && " and mallory") || " and alice", which a line
        // naming alice twice and mallory never met too
        assertTrue(line.matches("  signer: +(CN=alice,O=jlivepatch tests and CN=mallory,O=jlivepatch tests|CN=mallory,"
                + "O=jlivepatch tests and CN=alice,O=jlivepatch tests), but .*"), inspect.toString());
        String lacks = ", but entry 'agentapp/fix/limits.properties' is not signed by CN=alice,O=jlivepatch tests (an"
                + " agent with a trust store refuses a JAR whose entries have different signers: the entry was added"
                + " or changed after that signer signed)";
        assertTrue(line.endsWith(lacks), inspect.toString());
        Cli json = Cli.run("inspect", resigned, "--json");
        assertTrue(json.out().contains(lacks + "\""), json.toString());
        // as the agent's policy, trusting alice, sees it
        Path aliceOnly = Signing.trustStore(dir, "alice.p12", "PKCS12", alice);
        Path pw = Files.writeString(dir.resolve("pw"), Signing.PASSWORD);
        Cli verified = Cli.run("inspect", resigned, "--truststore", aliceOnly, "--storepass-file", pw);
        assertEquals(1, verified.exitCode(), verified.toString());
        assertTrue(verified.out().contains("sign the whole JAR at once, by the same signers"), verified.toString());

        // the second signer's certificate made in alice's name: told apart by the certificates' SHA-256, where
        // the line said 'CN=alice,O=jlivepatch tests' alone, as for a JAR alice signed whole
        Signing.Key fake = Signing.newKey(dir, "fake", alice.subject());
        Path faked = Signing.sign(added, fake, dir, "faked.jar");
        Cli spoofed = Cli.run("inspect", faked);
        assertEquals(0, spoofed.exitCode(), spoofed.toString());
        String fakeLine = spoofed.out().lines().filter(l -> l.startsWith("  signer:")).findFirst().orElse("");
        assertTrue(fakeLine.matches("  signer: +CN=alice,O=jlivepatch tests \\(certificate SHA-256 [0-9a-f]{64}\\) and"
                + " CN=alice,O=jlivepatch tests \\(certificate SHA-256 [0-9a-f]{64}\\), but entry"
                + " 'agentapp/fix/limits.properties' is not signed by CN=alice,O=jlivepatch tests \\(certificate"
                + " SHA-256 [0-9a-f]{64}\\) \\(an agent with a trust store refuses .*"), spoofed.toString());
        java.security.KeyStore aliceStore = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = Files.newInputStream(alice.keystore())) {
            aliceStore.load(in, Signing.PASSWORD.toCharArray());
        }
        String aliceSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                aliceStore.getCertificate("alice").getEncoded()));
        assertTrue(fakeLine.contains("is not signed by CN=alice,O=jlivepatch tests (certificate SHA-256 " + aliceSha
                + ")"), "the one lacking is alice's own: " + aliceSha + "\n" + spoofed);
    }

    /**
     * An entry removed from a signed JAR (a resource the patch reads, the build digests): the JDK verifies every
     * entry still there, and an agent with a trust store refuses the JAR, as its signature lists the entry. The
     * signer line named alice alone, as for the JAR she signed, whose resource the application's own would now
     * stand in for.
     */
    @Test
    void inspectSaysASignedEntryThatWasRemoved() throws Exception {
        Signing.Key alice = Signing.newKey(dir, "alice");
        String entry = "agentapp/fix/limits.properties";
        Path withEntry = Signing.withExtraEntry(TestJars.greeterFixJar(dir), dir, "with-entry.jar", entry);
        Path signed = Signing.sign(withEntry, alice, dir, "signed.jar");
        Path removed = Signing.withoutEntry(signed, dir, "removed.jar", entry);
        String said = "  signer:      CN=alice,O=jlivepatch tests, but entry '" + entry + "', which its signature"
                + " covers, is missing (removed after signing; an agent with a trust store refuses the JAR)";
        Cli whole = Cli.run("inspect", signed);
        assertEquals("  signer:      CN=alice,O=jlivepatch tests", whole.out().lines()
                .filter(l -> l.startsWith("  signer:")).findFirst().orElse(""), whole.toString());
        Cli inspect = Cli.run("inspect", removed);
        assertEquals(0, inspect.exitCode(), inspect.toString());
        assertEquals(said, inspect.out().lines().filter(l -> l.startsWith("  signer:")).findFirst().orElse(""),
                inspect.toString());
        Cli json = Cli.run("inspect", removed, "--json");
        assertEquals(0, json.exitCode(), json.toString());
        assertTrue(json.out().contains(",\"signer\":\"" + said.substring("  signer:      ".length()) + "\""),
                json.toString());
        Path store = Signing.trustStore(dir, "alice.p12", "PKCS12", alice);
        Path pw = Files.writeString(dir.resolve("pw"), Signing.PASSWORD);
        Cli refused = Cli.run("inspect", removed, "--truststore", store, "--storepass-file", pw);
        assertEquals(1, refused.exitCode(), refused.toString());
        assertTrue(refused.out().contains("NOT verified: UNTRUSTED: ") && refused.out().contains("entry '" + entry
                + "', which its signature covers, is missing (removed after signing)"), refused.toString());
    }

    /**
     * A signature file without the digest of the manifest's main attributes, as some tools other than jarsigner
     * write it (only the whole manifest's digest, or only the entries'), its block made again over it: the JDK
     * verifies every entry, yet the patch's Livepatch-* attributes can be changed without breaking the signature
     * (here the patch made cumulative after signing), and an agent with a trust store refuses the JAR. The signer
     * line named alice alone, as for a JAR she signed whole.
     */
    @Test
    void inspectSaysASignatureThatLeavesTheManifestsMainAttributesOut() throws Exception {
        Signing.Key alice = Signing.newKey(dir, "alice");
        Path signed = Signing.sign(TestJars.greeterFixJar(dir), alice, dir, "signed.jar");
        // a digest's value, which goes on in lines that start with a space when long
        String continued = ": [^\\r\\n]*\\r?\\n( [^\\r\\n]*\\r?\\n)*";
        Path wholeManifest = Signing.withSignatureFileRewritten(signed, alice, dir, "whole-manifest.jar",
                sf -> sf.replaceAll("[A-Za-z0-9-]+-Digest-Manifest-Main-Attributes" + continued, ""), m -> m);
        Path entriesOnly = Signing.withSignatureFileRewritten(signed, alice, dir, "entries-only.jar",
                sf -> sf.replaceAll("[A-Za-z0-9-]+-Digest-Manifest(-Main-Attributes)?" + continued, ""),
                m -> m.replaceFirst("\r\n", "\r\nLivepatch-Replace: true\r\n"));
        Path store = Signing.trustStore(dir, "alice.p12", "PKCS12", alice);
        Path pw = Files.writeString(dir.resolve("pw"), Signing.PASSWORD);
        String said = "  signer:      CN=alice,O=jlivepatch tests, but its signature file 'META-INF/ALICE.SF' does not"
                + " cover the manifest's main attributes (the patch's name, classes and other Livepatch-* attributes,"
                + " which can be changed without breaking that signature; an agent with a trust store refuses the"
                + " JAR): build and sign it again with jlivepatch build --sign or jarsigner, which always cover them";
        for (Path jar : List.of(wholeManifest, entriesOnly)) {
            try (java.util.jar.JarFile verified = new java.util.jar.JarFile(jar.toFile(), true)) {
                String sf = new String(verified.getInputStream(verified.getEntry("META-INF/ALICE.SF")).readAllBytes(),
                        StandardCharsets.UTF_8);
                assertFalse(sf.contains("-Digest-Manifest-Main-Attributes"), sf);
                assertEquals(jar == wholeManifest, sf.contains("-Digest-Manifest:"), sf);
                // the JDK takes the signature: every entry reads as alice's
                int signedEntries = 0;
                for (java.util.jar.JarEntry e : java.util.Collections.list(verified.entries())) {
                    if (e.isDirectory() || e.getName().startsWith("META-INF/")) {
                        continue;
                    }
                    try (java.io.InputStream in = verified.getInputStream(e)) {
                        in.readAllBytes(); // the digest is checked at the end
                    }
                    assertTrue(e.getCodeSigners() != null && e.getCodeSigners().length == 1, e.getName());
                    signedEntries++;
                }
                assertTrue(signedEntries > 0, jar.toString());
            }
            Cli inspect = Cli.run("inspect", jar);
            assertEquals(0, inspect.exitCode(), inspect.toString());
            assertEquals(said, inspect.out().lines().filter(l -> l.startsWith("  signer:")).findFirst().orElse(""),
                    inspect.toString());
            Cli json = Cli.run("inspect", jar, "--json");
            assertEquals(0, json.exitCode(), json.toString());
            assertTrue(json.out().contains(",\"signer\":\"" + said.substring("  signer:      ".length()) + "\""),
                    json.toString());
            // the agent's policy refuses it, and inspect with the store says so, exit 1 as for any refused JAR
            Cli refused = Cli.run("inspect", jar, "--truststore", store, "--storepass-file", pw);
            assertEquals(1, refused.exitCode(), refused.toString());
            assertTrue(refused.out().contains("NOT verified: UNTRUSTED: ") && refused.out().contains("signature file"
                    + " 'META-INF/ALICE.SF' does not cover the manifest's main attributes"), refused.toString());
        }
        // made cumulative after alice signed it, and no verifier without a trust store notices
        assertTrue(Cli.run("inspect", entriesOnly).out().contains("  cumulative:  true\n"), "cumulative");
    }

    @Test
    void trustStorePasswordOptionsAreCheckedBeforeAnythingElse() throws Exception {
        Path jar = TestJars.greeterFixJar(dir);
        Cli noStore = Cli.run("inspect", jar, "--storepass-env", "HOME");
        assertEquals(2, noStore.exitCode(), noStore.toString());
        assertTrue(noStore.err().contains("go with --truststore"), noStore.toString());
        Path pw = Files.writeString(dir.resolve("pw"), "x\n");
        Cli both = Cli.run("inspect", jar, "--truststore", dir.resolve("t.p12"), "--storepass-env", "HOME",
                "--storepass-file", pw);
        assertEquals(2, both.exitCode(), both.toString());
        Cli install = Cli.run("install", jar, Files.createDirectory(dir.resolve("d")), "--storepass-file", pw);
        assertEquals(2, install.exitCode(), install.toString());
        assertEquals(0, count(dir.resolve("d")), "nothing written");
    }

    @Test
    void inspectAndInstallWithATrustStoreAcceptOnlyAJarThatVerifies() throws Exception {
        Signing.Key alice = Signing.newKey(dir, "alice");
        Signing.Key mallory = Signing.newKey(dir, "mallory");
        Path trust = Signing.trustStore(dir, "trust.p12", "PKCS12", alice);
        Path pw = Files.writeString(dir.resolve("storepass"), Signing.PASSWORD + "\n");
        Path unsigned = TestJars.greeterFixJar(dir);
        Path byAlice = Signing.sign(unsigned, alice, dir, "greet-alice.jar");
        Path byMallory = Signing.sign(unsigned, mallory, dir, "greet-mallory.jar");

        Cli verified = Cli.run("inspect", byAlice, "--truststore", trust, "--storepass-file", pw);
        assertEquals(0, verified.exitCode(), verified.toString());
        assertTrue(verified.out().contains("verified: signed by CN=alice,O=jlivepatch tests (certificate SHA-256 "),
                verified.toString());
        Cli json = Cli.run("inspect", byAlice, "--truststore", trust, "--storepass-file", pw, "--json");
        assertTrue(json.out().contains("\"verified\":true,\"verification\":\"signed by CN=alice"), json.toString());

        for (Path refused : new Path[] {unsigned, byMallory}) {
            Cli c = Cli.run("inspect", refused, "--truststore", trust, "--storepass-file", pw);
            assertEquals(1, c.exitCode(), c.toString());
            assertTrue(c.out().contains("NOT verified: UNTRUSTED: "), c.toString());
            assertTrue(c.out().contains("name:        fix-greet"), "the rest is shown all the same: " + c);
            Cli j = Cli.run("inspect", refused, "--truststore", trust, "--storepass-file", pw, "--json");
            assertEquals(1, j.exitCode(), j.toString());
            assertTrue(j.out().contains("\"verified\":false,\"verification\":\"UNTRUSTED: "), j.toString());
        }
        // no JVM is involved: the refusal names the command (before: "this JVM loads only patches signed ...")
        Cli inspectUnsigned = Cli.run("inspect", unsigned, "--truststore", trust, "--storepass-file", pw);
        assertTrue(inspectUnsigned.out().contains("is not signed, and inspect --truststore accepts only patches signed"
                + " by a certificate of '" + trust + "'") && !inspectUnsigned.out().contains("this JVM"),
                inspectUnsigned.toString());
        Cli missingStore = Cli.run("inspect", byAlice, "--truststore", dir.resolve("nowhere.p12"));
        assertEquals(1, missingStore.exitCode(), missingStore.toString());
        assertTrue(missingStore.out().contains("NOT verified: UNTRUSTED: ")
                && missingStore.out().contains("trust store") && missingStore.out().contains(dir.resolve("nowhere.p12")
                .toString()), missingStore.toString());
        Path wrongPw = Files.writeString(dir.resolve("wrong"), "not-the-password");
        Cli wrong = Cli.run("inspect", byAlice, "--truststore", trust, "--storepass-file", wrongPw);
        assertEquals(1, wrong.exitCode(), wrong.toString());
        assertTrue(wrong.out().contains("NOT verified: UNTRUSTED: ") && wrong.out().contains("password"),
                wrong.toString());
        Cli noEnv = Cli.run("inspect", byAlice, "--truststore", trust, "--storepass-env", "JLIVEPATCH_TEST_UNSET_VAR");
        assertEquals(1, noEnv.exitCode(), noEnv.toString());
        assertTrue(noEnv.err().contains("JLIVEPATCH_TEST_UNSET_VAR is not set"), noEnv.toString());
        Cli noFile = Cli.run("inspect", byAlice, "--truststore", trust, "--storepass-file", dir.resolve("no-pw"));
        assertEquals(1, noFile.exitCode(), noFile.toString());
        assertTrue(noFile.err().contains("--storepass-file") && noFile.err().contains("cannot be read"),
                noFile.toString());

        // the password from the environment, as a deployment passes it: in a command of its own
        ProcessBuilder withEnv = new ProcessBuilder(TestJars.java(), "-jar", TestJars.AGENT.toString(), "inspect",
                byAlice.toString(), "--truststore", trust.toString(), "--storepass-env", "TRUST_PW")
                .redirectErrorStream(true);
        withEnv.environment().put("TRUST_PW", Signing.PASSWORD);
        Process p = withEnv.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(CliProcess.HANG_SECONDS, java.util.concurrent.TimeUnit.SECONDS), "inspect hangs");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("verified: signed by CN=alice"), out);

        Path patches = Files.createDirectory(dir.resolve("patches"));
        for (Path refused : new Path[] {unsigned, byMallory}) {
            Cli c = Cli.run("install", refused, patches, "--truststore", trust, "--storepass-file", pw);
            assertEquals(1, c.exitCode(), c.toString());
            assertTrue(c.err().contains("UNTRUSTED") && c.err().contains("nothing was installed"), c.toString());
            assertFalse(c.err().contains("this JVM"), c.toString());
            assertEquals(0, count(patches), "nothing written");
        }
        Cli installUnsigned = Cli.run("install", unsigned, patches, "--truststore", trust, "--storepass-file", pw);
        assertTrue(installUnsigned.err().contains("is not signed, and install --truststore accepts only patches"
                + " signed by a certificate of '" + trust + "'"), installUnsigned.toString());
        Cli install = Cli.run("install", byAlice, patches, "--truststore", trust, "--storepass-file", pw);
        assertEquals(0, install.exitCode(), install.toString());
        assertTrue(install.out().contains("signed by CN=alice,O=jlivepatch tests"), install.toString());
        assertArrayEquals(Files.readAllBytes(byAlice), Files.readAllBytes(patches.resolve("greet-alice.jar")));
    }

    // ---- install and uninstall

    @Test
    void installCopiesTheJarAtomicallyAndTheStartUpLoaderEnablesIt() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("patches"));
        Path jar = TestJars.greeterFixJar(dir);
        Cli install = Cli.run("install", jar, patches);
        assertEquals(0, install.exitCode(), install.toString());
        Path installed = patches.resolve("fix-greet.jar");
        assertArrayEquals(Files.readAllBytes(jar), Files.readAllBytes(installed));
        assertTrue(install.out().contains("'fix-greet': installed as " + installed + " (sha256 " + sha256(jar) + ")"),
                install.toString());
        assertEquals(List.of("fix-greet.jar"), names(patches), "no temporary file left");

        Cli again = Cli.run("install", jar, patches);
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.out().contains("holds it already") && again.out().contains("nothing written"), again.toString());

        // A temporary file of an install in progress is a dot-file not ending in .jar: a JVM starting meanwhile skips it.
        Files.copy(TestJars.shoutFixJar(dir), patches.resolve(".fix-shout.jar.tmp"));
        // A dot-file is never a patch (an editor's, rsync's), at start-up as for a watch.
        Files.copy(TestJars.shoutFixJar(dir), patches.resolve(".fix-shout.jar"));
        try (ServiceProcess service = new ServiceProcess("-javaagent:" + TestJars.AGENT + "=patches=" + patches)) {
            assertEquals(GREET_FIXED, service.call());
            Cli status = Cli.run("status", service.pid());
            assertTrue(status.out().contains("fix-greet") && !status.out().contains("fix-shout"), status.toString());
        }
    }

    @Test
    void installTakesAnotherNameAndReplacesOnlyWhenAsked() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("patches"));
        Path greet = TestJars.greeterFixJar(dir);
        Path shout = TestJars.shoutFixJar(dir);
        Cli as = Cli.run("install", greet, patches, "--as", "10-greet.jar");
        assertEquals(0, as.exitCode(), as.toString());
        assertArrayEquals(Files.readAllBytes(greet), Files.readAllBytes(patches.resolve("10-greet.jar")));

        Cli clash = Cli.run("install", shout, patches, "--as", "10-greet.jar");
        assertEquals(1, clash.exitCode(), clash.toString());
        assertTrue(clash.err().contains("exists with other content") && clash.err().contains("--replace"),
                clash.toString());
        assertArrayEquals(Files.readAllBytes(greet), Files.readAllBytes(patches.resolve("10-greet.jar")));

        Cli replaced = Cli.run("install", shout, patches, "--as", "10-greet.jar", "--replace");
        assertEquals(0, replaced.exitCode(), replaced.toString());
        assertArrayEquals(Files.readAllBytes(shout), Files.readAllBytes(patches.resolve("10-greet.jar")));
        assertEquals(List.of("10-greet.jar"), names(patches));
    }

    @Test
    void installRefusesAndWritesNothing() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("patches"));
        Path notJar = Files.writeString(dir.resolve("broken.jar"), "this is not a jar");
        Cli invalid = Cli.run("install", notJar, patches);
        assertEquals(1, invalid.exitCode(), invalid.toString());
        assertTrue(invalid.err().contains("INVALID_PATCH"), invalid.toString());

        Path greet = TestJars.greeterFixJar(dir);
        for (String bad : new String[] {"greet.zip", "../greet.jar", "sub/greet.jar", ".greet.jar", ".jar"}) {
            Cli c = Cli.run("install", greet, patches, "--as", bad);
            assertEquals(2, c.exitCode(), bad + ": " + c); // a usage error, before anything is read
            assertTrue(c.err().contains("--as '" + bad + "' is not a file name the start-up loader reads"),
                    c.toString());
        }
        Path zip = Files.copy(greet, dir.resolve("greet.zip"));
        Cli notNamedJar = Cli.run("install", zip, patches);
        assertEquals(1, notNamedJar.exitCode(), notNamedJar.toString());
        assertTrue(notNamedJar.err().contains("--as <name.jar>"), notNamedJar.toString());

        Cli noDir = Cli.run("install", greet, dir.resolve("nowhere"));
        assertEquals(1, noDir.exitCode(), noDir.toString());
        assertTrue(noDir.err().contains("no directory") && noDir.err().contains("patches=<dir>"), noDir.toString());
        assertFalse(Files.exists(dir.resolve("nowhere")));
        assertEquals(0, count(patches));

        assertEquals(0, Cli.run("install", greet, patches).exitCode());
        Cli sameName = Cli.run("install", greet, patches, "--as", "other.jar");
        assertEquals(1, sameName.exitCode(), sameName.toString());
        assertTrue(sameName.err().contains("patch 'fix-greet' is installed already as "
                + patches.resolve("fix-greet.jar")) && sameName.err().contains("uninstall"), sameName.toString());

        Files.writeString(patches.resolve(".fix-shout.jar.tmp"), "left by an interrupted install");
        Cli stale = Cli.run("install", TestJars.shoutFixJar(dir), patches);
        assertEquals(1, stale.exitCode(), stale.toString());
        assertTrue(stale.err().contains(".fix-shout.jar.tmp exists"), stale.toString());
        assertEquals(List.of(".fix-shout.jar.tmp", "fix-greet.jar"), names(patches));
        assertEquals("left by an interrupted install", Files.readString(patches.resolve(".fix-shout.jar.tmp")));
    }

    @Test
    void uninstallRemovesByFileNameOrPatchName() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("patches"));
        assertEquals(0, Cli.run("install", TestJars.greeterFixJar(dir), patches, "--as", "10-greet.jar").exitCode());
        assertEquals(0, Cli.run("install", TestJars.shoutFixJar(dir), patches).exitCode());

        Cli byName = Cli.run("uninstall", "fix-greet", patches);
        assertEquals(0, byName.exitCode(), byName.toString());
        assertTrue(byName.out().contains("removed " + patches.resolve("10-greet.jar") + " (patch 'fix-greet')")
                && byName.out().contains("jlivepatch unload <pid> fix-greet"), byName.toString());
        assertEquals(List.of("fix-shout.jar"), names(patches));

        Cli byFile = Cli.run("uninstall", "fix-shout.jar", patches);
        assertEquals(0, byFile.exitCode(), byFile.toString());
        assertEquals(0, count(patches));
    }

    @Test
    void uninstallRefusesWhatIsNotThere() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("patches"));
        assertEquals(0, Cli.run("install", TestJars.greeterFixJar(dir), patches).exitCode());
        Files.writeString(patches.resolve("junk.jar"), "not a jar");

        Cli noPatch = Cli.run("uninstall", "fix-shout", patches);
        assertEquals(1, noPatch.exitCode(), noPatch.toString());
        assertTrue(noPatch.err().contains("no patch 'fix-shout' is installed")
                && noPatch.err().contains("fix-greet.jar ('fix-greet')")
                && noPatch.err().contains("junk.jar (not a readable patch JAR)"), noPatch.toString());
        Cli noFile = Cli.run("uninstall", "fix-shout.jar", patches);
        assertEquals(1, noFile.exitCode(), noFile.toString());
        assertTrue(noFile.err().contains("no fix-shout.jar in " + patches), noFile.toString());
        Cli path = Cli.run("uninstall", "../fix-greet.jar", patches);
        assertEquals(1, path.exitCode(), path.toString());
        Cli noDir = Cli.run("uninstall", "fix-greet", dir.resolve("nowhere"));
        assertEquals(1, noDir.exitCode(), noDir.toString());
        assertEquals(List.of("fix-greet.jar", "junk.jar"), names(patches));

        Files.copy(patches.resolve("fix-greet.jar"), patches.resolve("20-greet.jar"));
        Cli twice = Cli.run("uninstall", "fix-greet", patches);
        assertEquals(1, twice.exitCode(), twice.toString());
        assertTrue(twice.err().contains("installed 2 times (20-greet.jar, fix-greet.jar)"), twice.toString());
        assertEquals(List.of("20-greet.jar", "fix-greet.jar", "junk.jar"), names(patches));
    }

    // ---- list --json

    @Test
    void listJsonIsOneArrayWithEachJvmAndWhetherJlivepatchIsLoaded() throws Exception {
        try (ServiceProcess service = new ServiceProcess()) {
            Cli before = Cli.run("list", "--json");
            assertEquals(0, before.exitCode(), before.toString());
            String j = before.out().trim();
            assertTrue(j.startsWith("[") && j.endsWith("]") && !j.contains("\n"), j);
            assertTrue(j.contains("{\"pid\":" + service.pid() + ",\"mainClass\":\"agentapp.ServiceApp\","
                    + "\"jlivepatch\":\"not loaded\"}"), j);
            assertFalse(j.contains("\"pid\":" + ProcessHandle.current().pid() + ","), "not the command itself: " + j);

            assertEquals(0, Cli.run("load", "--no-enable", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
            String after = Cli.run("list", "--json").out();
            assertTrue(after.contains("{\"pid\":" + service.pid() + ",\"mainClass\":\"agentapp.ServiceApp\","
                    + "\"jlivepatch\":\"loaded "), after);
            String build;
            try (java.util.jar.JarFile agent = new java.util.jar.JarFile(TestJars.AGENT.toFile())) {
                build = new String(agent.getInputStream(agent.getJarEntry("META-INF/jlivepatch/build-stamp"))
                        .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            }
            assertTrue(after.contains(" (build " + build + ")\"}"), "the build that runs there: " + after);
        }
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static long count(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private static java.util.jar.Manifest manifest(Map<String, String> attributes) {
        java.util.jar.Manifest m = new java.util.jar.Manifest();
        m.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach((k, v) -> m.getMainAttributes().putValue(k, v));
        return m;
    }
}
