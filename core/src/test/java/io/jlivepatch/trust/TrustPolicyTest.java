package io.jlivepatch.trust;

import io.jlivepatch.ChildJvm;
import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.trust.Signature;
import io.jlivepatch.internal.trust.StoreOptions;
import io.jlivepatch.internal.trust.TrustPolicy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static io.jlivepatch.trust.Keys.PASSWORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@link TrustPolicy}: trust stores as keytool makes them, JARs as jarsigner signs them, and every
 * way a JAR or a store is refused. Never installs a policy (the JVM is shared by the core tests):
 * each policy is asked directly.
 */
class TrustPolicyTest {

    private static final String FIX = "com/acme/fix/Fix.class";

    @TempDir
    static Path dir;

    /** The signing keys: every alias below, PKCS12. */
    private static Path keys;
    /** CA, Self, Expired, Future, Server, Old CA and Root: PKCS12 and JKS. */
    private static Path trustP12;
    private static Path trustJks;
    private static Path unsigned;
    private static Path byLeaf;
    private static Path bySelf;
    private static Path byStranger;
    private static Path byExpired;
    private static Path byFuture;
    private static Path byServer;
    private static Path byOldCaLeaf;
    private static Path byDeep;

    @BeforeAll
    static void makeKeysStoresAndJars() throws Exception {
        keys = dir.resolve("signers.p12");
        Keys.keyPair(dir, keys, "ca", "CN=Test CA,O=Acme", "-ext", "bc:c");
        Keys.keyPair(dir, keys, "leaf", "CN=Leaf Signer,O=Acme");
        Keys.issue(dir, keys, "ca", "leaf");
        Keys.keyPair(dir, keys, "self", "CN=Self Signer");
        Keys.keyPair(dir, keys, "stranger", "CN=Stranger");
        Keys.keyPair(dir, keys, "expired", "CN=Expired Signer", "-startdate", "-30d", "-validity", "10");
        Keys.keyPair(dir, keys, "future", "CN=Future Signer", "-startdate", "+30d", "-validity", "60");
        Keys.keyPair(dir, keys, "server", "CN=Server", "-ext", "eku=serverAuth");
        Keys.keyPair(dir, keys, "oldca", "CN=Old CA", "-ext", "bc:c", "-startdate", "-30d", "-validity", "10");
        Keys.keyPair(dir, keys, "oldleaf", "CN=Old CA Leaf");
        Keys.issue(dir, keys, "oldca", "oldleaf");
        Keys.keyPair(dir, keys, "root", "CN=Root CA", "-ext", "bc:c");
        Keys.keyPair(dir, keys, "inter", "CN=Intermediate CA", "-ext", "bc:c");
        Keys.issue(dir, keys, "root", "inter", "-ext", "bc:c");
        Keys.keyPair(dir, keys, "deep", "CN=Deep Signer");
        Keys.issue(dir, keys, "inter", "deep");

        Path[] trusted = new Path[7];
        String[] aliases = {"ca", "self", "expired", "future", "server", "oldca", "root"};
        for (int i = 0; i < aliases.length; i++) {
            trusted[i] = Keys.export(dir, keys, aliases[i]);
        }
        trustP12 = Keys.trustStore(dir, "trust.p12", "PKCS12", trusted);
        trustJks = Keys.trustStore(dir, "trust.jks", "JKS", trusted);

        unsigned = Keys.patchJar(dir, "fix.jar");
        byLeaf = Keys.sign(dir, keys, unsigned, "leaf", "by-leaf.jar");
        bySelf = Keys.sign(dir, keys, unsigned, "self", "by-self.jar");
        byStranger = Keys.sign(dir, keys, unsigned, "stranger", "by-stranger.jar");
        byExpired = Keys.sign(dir, keys, unsigned, "expired", "by-expired.jar");
        byFuture = Keys.sign(dir, keys, unsigned, "future", "by-future.jar");
        byServer = Keys.sign(dir, keys, unsigned, "server", "by-server.jar");
        byOldCaLeaf = Keys.sign(dir, keys, unsigned, "oldleaf", "by-old-ca-leaf.jar");
        byDeep = Keys.sign(dir, keys, unsigned, "deep", "by-deep.jar");
    }

    private static TrustPolicy p12() {
        return TrustPolicy.fromStore(trustP12, PASSWORD);
    }

    /** The signer keytool made for {@code alias}: its subject and its certificate's SHA-256. */
    private static Signature signatureOf(String alias) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keys)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        X509Certificate c = (X509Certificate) ks.getCertificate(alias);
        return new Signature(c.getSubjectX500Principal().getName(), Sha256.hex(c.getEncoded()));
    }

    /** {@code jar} must be refused by {@code policy} with UNTRUSTED, one line naming the JAR and each fragment. */
    private static String refused(TrustPolicy policy, PatchJarBytes jar, String... fragments) {
        PatchException e = assertThrows(PatchException.class, () -> policy.verify(jar));
        String m = e.getMessage();
        assertEquals(PatchException.Reason.UNTRUSTED, e.reason(), m);
        assertTrue(m.contains("patch JAR '" + jar.source() + "'"), "names the JAR: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), "'" + f + "' not in: " + m);
        }
        assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
        return m;
    }

    // ---- trusted ----

    @Test
    void aLeafIssuedByACaOfTheStoreIsTrusted() throws Exception {
        assertEquals(signatureOf("leaf"), p12().verify(Keys.bytes(byLeaf)));
        assertEquals("CN=Leaf Signer,O=Acme", signatureOf("leaf").signer());
    }

    @Test
    void aSignerWhoseOwnCertificateIsInTheStoreIsTrusted() throws Exception {
        assertEquals(signatureOf("self"), p12().verify(Keys.bytes(bySelf)));
    }

    @Test
    void aPathThroughAnIntermediateToARootOfTheStoreIsTrusted() throws Exception {
        assertEquals(signatureOf("deep"), p12().verify(Keys.bytes(byDeep)));
    }

    @Test
    void jksStoresLoadWithTheirPasswordOrWithout() throws Exception {
        for (String password : new String[] {PASSWORD, null}) {
            TrustPolicy jks = TrustPolicy.fromStore(trustJks, password);
            assertTrue(jks.enforced());
            assertEquals(signatureOf("self"), jks.verify(Keys.bytes(bySelf)));
            assertEquals(signatureOf("leaf"), jks.verify(Keys.bytes(byLeaf)));
            refused(jks, Keys.bytes(byStranger), "'CN=Stranger'");
        }
    }

    @Test
    void theCertificatesOfKeyEntriesAreTrustedToo() throws Exception {
        TrustPolicy signers = TrustPolicy.fromStore(keys, PASSWORD);
        assertEquals(signatureOf("stranger"), signers.verify(Keys.bytes(byStranger)));
        assertTrue(signers.describe().contains("(12 certificates"), signers.describe());
    }

    @Test
    void describeNamesTheStoreAndItsCertificates() {
        TrustPolicy p = p12();
        assertTrue(p.enforced());
        assertEquals("patches must be signed by a certificate of '" + trustP12 + "' (7 certificates, or a"
                + " certificate path to one)", p.describe());
    }

    @Test
    void aJarSignedTwiceIsTrustedWhenOneOfItsSignersIs() throws Exception {
        Path twice = Keys.sign(dir, keys, bySelf, "stranger", "by-self-and-stranger.jar");
        assertEquals(signatureOf("self"), p12().verify(Keys.bytes(twice)));
    }

    @Test
    void theFirstEnforcingPolicyStaysForTheLifeOfTheJvm() throws Exception {
        Path other = Keys.trustStore(dir, "other.p12", "PKCS12", Keys.export(dir, keys, "stranger"));
        for (String mode : new String[] {"good-first", "broken-first"}) {
            ChildJvm.runOk(InstallDriver.class, List.of(), List.of(mode, trustP12.toString(), other.toString(),
                    dir.resolve("missing.p12").toString(), PASSWORD), 120);
        }
    }

    @Test
    void anEnableThatWouldReverseADisableIsAskedThePolicyRaisedMeanwhile() throws Exception {
        ChildJvm.runOk(ReversalDriver.class, List.of(), List.of(), 120);
    }

    /**
     * A signed JAR registered before the policy was raised, checked at its enable: the signer that check
     * found is recorded (status, MBean, audit), where "unsigned" stayed on record for code the policy had
     * verified and ran.
     */
    @Test
    void aJarCheckedAtItsEnableByAPolicyRaisedMeanwhileRecordsItsSigner() throws Exception {
        Path plain = io.jlivepatch.jar.Jars.write(dir.resolve("counter-fix.jar"), io.jlivepatch.jar.Jars.manifest(
                "fix-counter", "jarapp.fix.CounterFix"), io.jlivepatch.jar.Jars.classes("jarapp.fix.CounterFix"));
        Path signed = Keys.sign(dir, keys, plain, "self", "counter-fix-by-self.jar");
        ChildJvm.runOk(RaisedPolicySignerDriver.class, List.of(), List.of(signed.toString(), trustP12.toString(),
                PASSWORD, signatureOf("self").recorded()), 120);
    }

    /**
     * The same, the JVM exiting in the enable's prePatch, after the policy's check: the line the exit
     * writes for the enable it cut short names the signer, as the enable's own line would. It said
     * unsigned (signer ''): the operation under way kept the provenance it began with.
     */
    @Test
    void anEnableCutShortByTheJvmsExitAfterTheRaisedPolicysCheckNamesTheSigner() throws Exception {
        Path plain = io.jlivepatch.jar.Jars.write(dir.resolve("exiting-fix.jar"), io.jlivepatch.jar.Jars.manifest(
                "fix-exiting", "jarapp.fix.ExitingPrePatchFix"), io.jlivepatch.jar.Jars.classes(
                "jarapp.fix.ExitingPrePatchFix"));
        Path signed = Keys.sign(dir, keys, plain, "self", "exiting-fix-by-self.jar");
        Path audit = dir.resolve("raised-exit-audit.jsonl");
        ChildJvm.Ended e = ChildJvm.run(RaisedPolicyExitDriver.class, List.of(), List.of(audit.toString(),
                signed.toString(), trustP12.toString(), PASSWORD), 120);
        assertEquals(3, e.exitCode(), e.tail());
        String enable = null;
        for (String line : Files.readAllLines(audit)) {
            if (line.contains("\"operation\":\"enable\"")) {
                enable = line;
            }
        }
        assertTrue(enable != null && enable.contains("cut short: the JVM exited during it"), "the exit's line: "
                + Files.readAllLines(audit));
        assertTrue(enable.contains("\"signer\":" + io.jlivepatch.internal.control.Json.string(
                signatureOf("self").recorded())), enable);
    }

    // ---- refused JARs ----

    @Test
    void anUnsignedJarIsRefused() throws Exception {
        refused(p12(), Keys.bytes(unsigned), "is not signed", "jlivepatch build --sign");
    }

    /**
     * install and inspect --truststore check a JAR with no JVM involved: their refusal names the
     * command, not "this JVM", and asks for no JVM's restart (before, both said "this JVM loads only
     * patches signed ...").
     */
    @Test
    void aCommandsRefusalNamesTheCommandNotAJvm() throws Exception {
        String m = refused(TrustPolicy.forCommand(trustP12, PASSWORD, "install --truststore", COMMAND), Keys.bytes(unsigned),
                "is not signed, and install --truststore accepts only patches signed by a certificate of '" + trustP12
                        + "' (as a JVM started with it as truststore= loads only those): sign it");
        assertFalse(m.contains("this JVM"), m);
        Path missing = dir.resolve("no-such-store.p12");
        String gone = refused(TrustPolicy.forCommand(missing, PASSWORD, "inspect --truststore", COMMAND), Keys.bytes(bySelf),
                "'" + missing + "' does not exist");
        assertFalse(gone.contains("restart the JVM"), gone);
        assertThrows(IllegalArgumentException.class,
                () -> TrustPolicy.install(TrustPolicy.forCommand(trustP12, PASSWORD, "install --truststore", COMMAND)));
        assertTrue(refused(p12(), Keys.bytes(unsigned)).contains("is not signed, and this JVM loads only patches"
                + " signed by a certificate of its trust store: sign it"));
    }

    /** TrustStoreOption's options, as install and inspect --truststore give them. */
    private static final StoreOptions COMMAND = StoreOptions.command("--truststore",
            "--storepass-env <VAR> or --storepass-file <file>");

    /**
     * A store's problems name the options the store was given with (before, install and inspect
     * --truststore said "check the path given as truststore=", "give its password as truststore-password=").
     */
    @Test
    void aCommandsStoreProblemsNameTheCommandsOptions() throws Exception {
        Path missing = dir.resolve("no-such-store.p12");
        String gone = refused(TrustPolicy.forCommand(missing, PASSWORD, "inspect --truststore", COMMAND),
                Keys.bytes(bySelf), "'" + missing + "' does not exist: check the path given as --truststore");
        assertFalse(gone.contains("truststore="), gone);
        for (String password : new String[] {null, "not-the-password"}) {
            String m = refused(TrustPolicy.forCommand(trustP12, password, "install --truststore", COMMAND),
                    Keys.bytes(bySelf), "give its password as --storepass-env <VAR> or --storepass-file <file>");
            assertFalse(m.contains("truststore-password="), m);
        }
        assertTrue(refused(TrustPolicy.fromStore(missing, PASSWORD), Keys.bytes(bySelf))
                .contains("check the path given as truststore="));
    }

    /**
     * A signer's refusals ask for a restart of a JVM only, whose store is read at its start (before,
     * install and inspect --truststore said "... add that certificate to the store and restart the JVM").
     */
    @Test
    void aCommandsSignerRefusalsAskForNoRestart() throws Exception {
        String stranger = refused(TrustPolicy.forCommand(trustP12, PASSWORD, "install --truststore", COMMAND),
                Keys.bytes(byStranger), "signed by 'CN=Stranger'", "add that certificate to the store");
        assertFalse(stranger.contains("restart the JVM"), stranger);
        assertTrue(refused(p12(), Keys.bytes(byStranger)).endsWith("add that certificate to the store and restart"
                + " the JVM"));

        // a certificate of the store that is not a CA, which issued the signer's
        Path minting = dir.resolve("command-minting.p12");
        Keys.keyPair(dir, minting, "notca", "CN=Not A CA,O=Acme", "-ext", "bc=ca:false");
        Keys.keyPair(dir, minting, "minted", "CN=Minted,O=Acme");
        Keys.issue(dir, minting, "notca", "minted", "-ext", "eku=codeSigning");
        Path store = Keys.trustStore(dir, "command-minting.jks", "JKS", Keys.export(dir, minting, "notca"));
        PatchJarBytes jar = Keys.bytes(Keys.sign(dir, minting, unsigned, "minted", "command-minted.jar"));
        String notCa = refused(TrustPolicy.forCommand(store, null, "inspect --truststore", COMMAND), jar,
                "which is not a CA certificate", "trust a CA made with keytool -ext bc:c");
        assertFalse(notCa.contains("restart the JVM"), notCa);
        assertTrue(refused(TrustPolicy.fromStore(store, null), jar).endsWith("trust a CA made with keytool -ext"
                + " bc:c and restart the JVM"));
    }

    @Test
    void anUnknownSignerIsRefusedByName() throws Exception {
        refused(p12(), Keys.bytes(byStranger), "signed by 'CN=Stranger'", "which is not in trust store '" + trustP12
                + "'", "7 certificates");
    }

    @Test
    void anExpiredSignerIsRefusedWithTheDate() throws Exception {
        X509Certificate c = certificate("expired");
        refused(p12(), Keys.bytes(byExpired), "certificate 'CN=Expired Signer' expired on "
                + c.getNotAfter().toInstant());
    }

    @Test
    void aSignerNotYetValidIsRefusedWithTheDate() throws Exception {
        X509Certificate c = certificate("future");
        refused(p12(), Keys.bytes(byFuture), "certificate 'CN=Future Signer' is not valid before "
                + c.getNotBefore().toInstant());
    }

    @Test
    void anExpiredCaOfTheStoreIsRefusedThoughTheLeafIsValid() throws Exception {
        X509Certificate ca = certificate("oldca");
        refused(p12(), Keys.bytes(byOldCaLeaf), "signed by 'CN=Old CA Leaf'", "certificate 'CN=Old CA' expired on "
                + ca.getNotAfter().toInstant());
    }

    @Test
    void aCertificateOfTheStoreThatIsNoCaVouchesForNoOtherCertificate() throws Exception {
        // A signer's certificate of the store is trusted to sign patches, not to issue certificates:
        // its key would otherwise mint a certificate of any subject (another signer's) and be recorded
        // as that signer. jarsigner -verify refuses such an anchor ("is not a CA certificate").
        Path minting = dir.resolve("minting.p12");
        Keys.keyPair(dir, minting, "alice", "CN=Alice,O=Acme", "-ext", "bc=ca:false", "-ext",
                "ku:c=digitalSignature", "-ext", "eku=codeSigning");
        Keys.keyPair(dir, minting, "plain", "CN=Plain Signer,O=Acme"); // keytool's default: no extension
        Keys.keyPair(dir, minting, "kuca", "CN=Signing-Only CA,O=Acme", "-ext", "bc:c", "-ext",
                "ku:c=digitalSignature");
        String[][] minted = {{"alice", "its basic constraints do not make it a CA"},
                {"plain", "its basic constraints do not make it a CA"},
                {"kuca", "its key usage does not include keyCertSign"}};
        Path store = Keys.trustStore(dir, "minting.jks", "JKS", Keys.export(dir, minting, "alice"),
                Keys.export(dir, minting, "plain"), Keys.export(dir, minting, "kuca"));
        TrustPolicy policy = TrustPolicy.fromStore(store, null);
        // each signs patches with its own key
        assertEquals("CN=Alice,O=Acme", policy.verify(Keys.bytes(Keys.sign(dir, minting, unsigned, "alice",
                "by-alice.jar"))).signer());
        assertEquals("CN=Plain Signer,O=Acme", policy.verify(Keys.bytes(Keys.sign(dir, minting, unsigned, "plain",
                "by-plain.jar"))).signer());
        for (String[] issuer : minted) {
            String alias = "by-" + issuer[0] + "-minted";
            Keys.keyPair(dir, minting, alias, "CN=Release Team,O=Acme");
            Keys.issue(dir, minting, issuer[0], alias, "-ext", "eku=codeSigning");
            X509Certificate anchor = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(dir.resolve(issuer[0] + ".cer")));
            refused(policy, Keys.bytes(Keys.sign(dir, minting, unsigned, alias, alias + ".jar")),
                    "signed by 'CN=Release Team,O=Acme', whose certificate was issued by '"
                            + anchor.getSubjectX500Principal().getName() + "' of trust store '" + store + "', which is"
                            + " not a CA certificate (" + issuer[1] + ")", "keytool -ext bc:c");
        }
    }

    @Test
    void aCertificateThatMayNotSignCodeIsRefused() throws Exception {
        refused(p12(), Keys.bytes(byServer), "signed by 'CN=Server'", "does not include codeSigning");
    }

    @Test
    void aSignatureTheJdkDoesNotTakeIsSaidSoNotTakenForTampering() throws Exception {
        // SHA-1 digests (jdk.jar.disabledAlgorithms: SHA1 denyAfter 2019-01-01) and a certificate whose
        // key usage leaves signatures out: the JDK's verifier reads either JAR as unsigned, silently
        Path sha1 = dir.resolve("by-self-sha1.jar");
        Keys.tool(dir, "jarsigner", "-keystore", keys.toString(), "-storepass", PASSWORD, "-digestalg", "SHA-1",
                "-signedjar", sha1.toString(), unsigned.toString(), "self");
        String m = refused(p12(), Keys.bytes(sha1), "has signature files (META-INF/SELF.SF), but this JVM's JAR"
                + " verifier takes no signature of them", "'META-INF/SELF.SF' holds SHA-1 digests",
                "jdk.jar.disabledAlgorithms", "jarsigner's defaults (SHA-256)");
        assertFalse(m.contains("added after signing"), m);
        Path usage = dir.resolve("usage.p12");
        Keys.keyPair(dir, usage, "agree", "CN=Key Agreement Only", "-ext", "ku:c=keyAgreement");
        String u = refused(p12(), Keys.bytes(Keys.sign(dir, usage, unsigned, "agree", "by-agree.jar")),
                "the key usage of 'CN=Key Agreement Only' does not include digitalSignature");
        assertFalse(u.contains("added after signing"), u);
    }

    /**
     * A signature block the JDK does not take, made of many certificates or many bytes: the refusal's
     * explanation names it without reading it through. A review's block of 47,000 certificates (16 MB,
     * within the entry limit) held the loading thread for more than 16 minutes: the explanation
     * compared each certificate with each.
     */
    @Test
    void aSignatureBlockOfManyCertificatesOrBytesIsNamedNotReadThrough() throws Exception {
        String block = null;
        for (String name : Keys.entries(Files.readAllBytes(byLeaf)).keySet()) {
            if (name.startsWith("META-INF/") && name.endsWith(".EC")) {
                block = name;
            }
        }
        assertTrue(block != null, "keytool made an EC key: the block is *.EC");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keys)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        byte[] leaf = ks.getCertificate("leaf").getEncoded();
        java.io.ByteArrayOutputStream many = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 65; i++) { // JarSigners reads at most 64
            many.write(leaf);
        }
        byte[] manyCertificates = many.toByteArray();
        refused(p12(), Keys.rewrite(byLeaf, Map.of(block, b -> manyCertificates), Map.of()),
                "this JVM's JAR verifier takes no signature of them", "'" + block + "' holds 65 certificates, more"
                        + " than a signer's chain (not read further)");
        byte[] large = new byte[64 * 1024 + 1]; // JarSigners reads at most 64 KiB
        refused(p12(), Keys.rewrite(byLeaf, Map.of(block, b -> large), Map.of()),
                "this JVM's JAR verifier takes no signature of them", "'" + block + "' is larger than 64 KiB, more"
                        + " than a signature block of jarsigner's holds (not read)");
        // hundreds of blocks: at most eight signature files are read, the rest counted
        Map<String, byte[]> blocks = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            blocks.put("META-INF/EXTRA" + i + ".EC", manyCertificates);
        }
        String extra = refused(p12(), Keys.rewrite(byLeaf, Map.of(block, b -> manyCertificates), blocks), "this JVM's JAR verifier takes no"
                + " signature of them", "more signature file(s) not read (a JAR has two per signer)");
        assertTrue(extra.split("holds 65 certificates").length - 1 <= 8, extra);
        // the chain of an ordinary block is still read: a key that may not sign is said so
        byte[] few = java.util.Arrays.copyOf(manyCertificates, leaf.length * 2);
        String m = refused(p12(), Keys.rewrite(byLeaf, Map.of(block, b -> few), Map.of()),
                "this JVM's JAR verifier takes no signature of them");
        assertFalse(m.contains("not read"), m);
    }

    @Test
    void anEntryAddedAfterSigningIsRefusedByName() throws Exception {
        PatchJarBytes jar = Keys.rewrite(byLeaf, Map.of(), Map.of("com/acme/fix/Extra.class", new byte[] {1, 2, 3}));
        // tampering as much as a changed entry is, and said as that one is (JarSigners: "find out who changed it")
        refused(p12(), jar, "holds entry 'com/acme/fix/Extra.class', which its signature does not cover (added"
                + " after signing): sign the whole JAR again, and find out who added it");
    }

    @Test
    void aSigPrefixedFileThatTheJdkWantsSignedIsNoSignatureFile() throws Exception {
        // The JDK counts META-INF/SIG-* as the signature's only without an extension or with one of 1 to 3
        // letters or digits: any other is an entry like the rest, and added after signing it is one too much.
        PatchJarBytes jar = Keys.rewrite(byLeaf, Map.of(), Map.of("META-INF/SIG-NOTES.properties", new byte[] {1}));
        refused(p12(), jar, "holds entry 'META-INF/SIG-NOTES.properties', which its signature does not cover (added"
                + " after signing)");
        assertTrue(TrustPolicy.isSignatureFile("META-INF/SIG-ACME.P7S") && TrustPolicy.isSignatureFile("META-INF/SIG-ACME"));
    }

    @Test
    void anEntryRemovedAfterSigningIsRefusedByName() throws Exception {
        // the build digests gone, the patch would land on any build: the signature still lists them
        String digests = "META-INF/jlivepatch/old-classes.properties";
        PatchJarBytes jar = Keys.rewrite(byLeaf, Map.of(), Map.of(), java.util.Set.of(digests));
        refused(p12(), jar, "entry '" + digests + "', which its signature covers, is missing (removed after signing)");
        // and with its manifest section gone too
        PatchJarBytes both = Keys.rewrite(byLeaf, Map.of("META-INF/MANIFEST.MF", b -> {
            String m = new String(b, StandardCharsets.UTF_8).replace("\r\n", "\n");
            int at = m.indexOf("Name: " + digests);
            int end = m.indexOf("\n\n", at);
            return (m.substring(0, at) + m.substring(end + 2)).getBytes(StandardCharsets.UTF_8);
        }), Map.of(), java.util.Set.of(digests));
        PatchException e = assertThrows(PatchException.class, () -> TrustPolicy.fromStore(trustP12, Keys.PASSWORD)
                .verify(both));
        assertEquals(PatchException.Reason.UNTRUSTED, e.reason());
    }

    /**
     * The manifest's digest of a signed entry taken out, the entry kept as signed or changed: the JDK
     * would verify nothing of an entry without a digest, but the manifest no longer matches its
     * signature, so the JAR is refused either way, never loaded with that entry unchecked.
     */
    @Test
    void anEntryWhoseManifestDigestWasTakenOutIsRefused() throws Exception {
        UnaryOperator<byte[]> noDigest = b -> {
            String m = new String(b, StandardCharsets.UTF_8).replace("\r\n", "\n");
            int at = m.indexOf("Name: " + FIX);
            int line = m.indexOf("-Digest: ", at);
            int start = m.lastIndexOf('\n', line) + 1;
            int end = m.indexOf('\n', line) + 1;
            while (m.charAt(end) == ' ') { // a long value goes on in lines that start with a space
                end = m.indexOf('\n', end) + 1;
            }
            String out = m.substring(0, start) + m.substring(end);
            assertFalse(out.substring(at, out.indexOf("\n\n", at)).contains("-Digest"), out);
            return out.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        };
        PatchJarBytes kept = Keys.rewrite(byLeaf, Map.of("META-INF/MANIFEST.MF", noDigest), Map.of());
        PatchJarBytes changed = Keys.rewrite(byLeaf, Map.of("META-INF/MANIFEST.MF", noDigest, FIX, b -> {
            byte[] c = Arrays.copyOf(b, b.length);
            c[c.length - 1] ^= 1;
            return c;
        }), Map.of());
        for (PatchJarBytes jar : List.of(kept, changed)) {
            refused(p12(), jar, "its manifest does not match its signature", "changed after signing");
        }
    }

    @Test
    void aTamperedEntryIsRefusedByName() throws Exception {
        PatchJarBytes jar = Keys.rewrite(byLeaf, Map.of(FIX, b -> {
            byte[] changed = Arrays.copyOf(b, b.length);
            changed[changed.length - 1] ^= 1;
            return changed;
        }), Map.of());
        refused(p12(), jar, "entry '" + FIX + "' does not match its signature", "changed after signing");
    }

    @Test
    void aChangedManifestIsRefused() throws Exception {
        // the patch's name and classes are the manifest's main attributes: covered by the signature
        PatchJarBytes jar = Keys.rewrite(byLeaf, Map.of("META-INF/MANIFEST.MF", b -> new String(b,
                StandardCharsets.UTF_8).replace("Livepatch-Name: fix-signed", "Livepatch-Name: fix-evil!!")
                .getBytes(StandardCharsets.UTF_8)), Map.of());
        refused(p12(), jar, "its manifest does not match its signature", "changed after signing");
    }

    /**
     * A signature block whose signature no longer verifies its signature file (the block's last byte,
     * the signature's, changed; or a digest of the signature file changed): the signature files were
     * changed, not the manifest, and the refusal says which. It said the manifest (the patch's name and
     * classes) was changed after signing.
     */
    @Test
    void aChangedSignatureBlockOrSignatureFileIsNotSaidToBeAChangedManifest() throws Exception {
        PatchJarBytes block = Keys.rewrite(byLeaf, Map.of("META-INF/LEAF.EC", b -> {
            byte[] changed = Arrays.copyOf(b, b.length);
            changed[changed.length - 1] ^= 1; // jarsigner's block without a timestamp ends with the signature
            return changed;
        }), Map.of());
        PatchJarBytes sf = Keys.rewrite(byLeaf, Map.of("META-INF/LEAF.SF", b -> {
            String text = new String(b, StandardCharsets.UTF_8);
            int at = text.indexOf("Name: " + FIX);
            int digest = text.indexOf("-Digest: ", at) + "-Digest: ".length();
            char c = text.charAt(digest);
            return (text.substring(0, digest) + (c == 'A' ? 'B' : 'A') + text.substring(digest + 1))
                    .getBytes(StandardCharsets.UTF_8);
        }), Map.of());
        for (PatchJarBytes jar : List.of(block, sf)) {
            String m = refused(p12(), jar, "its signature files do not verify (", "): its signature file or"
                    + " signature block was changed after signing; build and sign it again, and find out who changed"
                    + " it");
            assertFalse(m.contains("manifest"), m);
        }
    }

    @Test
    void aSignatureFileThatLeavesTheManifestsMainAttributesOutIsRefused() throws Exception {
        PatchJarBytes jar = Keys.rewrite(byLeaf, Map.of("META-INF/LEAF.SF", b -> new String(b,
                StandardCharsets.UTF_8).replaceAll("[A-Za-z0-9-]+-Digest-Manifest-Main-Attributes: [^\\r\\n]*\\r?\\n"
                        + "( [^\\r\\n]*\\r?\\n)*", "") // a long value goes on in lines that start with a space
                .getBytes(StandardCharsets.UTF_8)), Map.of());
        assertFalse(new String(Keys.entries(jar.bytes()).get("META-INF/LEAF.SF"), StandardCharsets.UTF_8)
                .contains("Main-Attributes"));
        refused(p12(), jar, "signature file 'META-INF/LEAF.SF' does not cover the manifest's main attributes");
    }

    /**
     * A signature file that is not one (its bytes replaced, as a damaged copy or a hand-made JAR has
     * them): the manifest parser the signature is read with cannot take it, and the JAR is refused
     * saying so and how to sign it again, never read as unsigned or as a trusted one.
     */
    @Test
    void aSignatureFileOfGarbageIsRefusedAsOneThatCannotBeChecked() throws Exception {
        byte[] garbage = new byte[512];
        new java.util.Random(115).nextBytes(garbage); // fixed: the same bytes every run
        garbage[0] = 0; // no header name starts with a NUL byte: never a manifest line
        PatchJarBytes jar = Keys.rewrite(byLeaf, Map.of("META-INF/LEAF.SF", b -> garbage), Map.of());
        refused(p12(), jar, "its signature cannot be checked (IOException: ", "): sign it again with jarsigner or"
                + " jlivepatch build --sign");
    }

    @Test
    void entriesSignedByDifferentSignersAreRefused() throws Exception {
        // signed by Self, an entry added, then all of it signed by Leaf: the new entry lacks Self
        Path added = dir.resolve("self-plus-entry.jar");
        Files.write(added, Keys.rewrite(bySelf, Map.of(), Map.of("com/acme/fix/Extra.class", new byte[] {7}))
                .bytes());
        Path mixed = Keys.sign(dir, keys, added, "leaf", "mixed.jar");
        refused(p12(), Keys.bytes(mixed), "entry 'com/acme/fix/Extra.class' is signed by 'CN=Leaf Signer,O=Acme',",
                "by 'CN=Leaf Signer,O=Acme', 'CN=Self Signer'", "sign the whole JAR at once");
    }

    @Test
    void aSignedJarOfNothingButItsManifestIsRefused() throws Exception {
        Path only = dir.resolve("manifest-only.jar");
        java.util.jar.Manifest m = new java.util.jar.Manifest();
        m.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "nothing");
        new java.util.jar.JarOutputStream(Files.newOutputStream(only), m).close();
        refused(p12(), Keys.bytes(Keys.sign(dir, keys, only, "self", "manifest-only-signed.jar")),
                "holds no signed entry");
    }

    /**
     * A signature that covers the manifest's main attributes and no entry (a manifest-only JAR signed,
     * then a class and its digest put in, the main attributes untouched): the class is one the
     * signature does not cover, said so. It was said to be a signature the JDK did not take (a
     * disabled algorithm, a certificate that may not sign), which sent the operator to the signer's
     * algorithms and certificate rather than to whoever added the class.
     */
    @Test
    void aSignatureThatListsNoEntryIsNotSaidToBeOneTheJdkDidNotTake() throws Exception {
        Path only = dir.resolve("main-section-only.jar");
        Map<String, byte[]> content = Keys.entries(Files.readAllBytes(unsigned));
        try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(only),
                new java.util.jar.Manifest(new java.io.ByteArrayInputStream(content.get("META-INF/MANIFEST.MF"))))) {
            // the manifest alone: the signature file gets its main attributes' digest and no entry
        }
        Path signed = Keys.sign(dir, keys, only, "self", "main-section-only-signed.jar");
        String digest = java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-256")
                .digest(content.get(FIX)));
        PatchJarBytes jar = Keys.rewrite(signed, Map.of("META-INF/MANIFEST.MF", b -> (new String(b,
                StandardCharsets.UTF_8) + "Name: " + FIX + "\r\nSHA-256-Digest: " + digest + "\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8)), Map.of(FIX, content.get(FIX)));
        String m = refused(p12(), jar, "holds entry '" + FIX + "', which its signature does not cover (added after"
                + " signing; its signature files list no entry, only the manifest's main attributes): sign the whole"
                + " JAR again");
        assertFalse(m.contains("takes no signature"), m);
    }

    @Test
    void bytesThatAreNotAJarAreRefused() throws Exception {
        PatchJarBytes garbage = PatchJarBytes.of("garbage.jar", "not a zip".getBytes(StandardCharsets.UTF_8),
                JarLimits.current());
        refused(p12(), garbage, "is not signed");
    }

    // ---- no store ----

    @Test
    void withoutAStoreNothingIsVerifiedAndNothingRead() throws Exception {
        TrustPolicy none = TrustPolicy.none();
        assertFalse(none.enforced());
        assertSame(none, TrustPolicy.none());
        assertEquals("patches are not verified (no trust store: start the agent with truststore=<file>)",
                none.describe());
        assertSame(Signature.UNSIGNED, none.verify(Keys.bytes(unsigned)));
        assertSame(Signature.UNSIGNED, none.verify(Keys.bytes(bySelf)), "a signer nothing checked is not named");
        assertSame(Signature.UNSIGNED, none.verify(PatchJarBytes.of("x.jar", new byte[] {1}, JarLimits.current())));
    }

    // ---- stores that cannot be used: enforced, every patch refused, saying why ----

    /** A store that cannot be used: enforcing, describe() and every refusal say {@code problem}. */
    private static void unusable(TrustPolicy policy, String... problem) throws Exception {
        assertTrue(policy.enforced(), "a broken store never lowers the policy");
        String d = policy.describe();
        assertTrue(d.startsWith("every patch is refused: trust store '"), d);
        assertFalse(d.contains("\n"), d);
        for (Path jar : new Path[] {bySelf, unsigned}) {
            String m = refused(policy, Keys.bytes(jar), problem);
            assertTrue(m.contains(d.substring("every patch is refused: ".length())), m + " vs " + d);
        }
        for (String p : problem) {
            assertTrue(d.contains(p), "'" + p + "' not in: " + d);
        }
    }

    @Test
    void aMissingStoreRefusesEveryPatch() throws Exception {
        Path missing = dir.resolve("no-such-store.p12");
        unusable(TrustPolicy.fromStore(missing, PASSWORD), "'" + missing + "' does not exist", "truststore=");
        String m = refused(TrustPolicy.fromStore(missing, PASSWORD), Keys.bytes(bySelf));
        assertTrue(m.endsWith("check the path given as truststore=; then restart the JVM"), m);
    }

    /** Refused agent arguments' policy says the restart once: its problem ends with it already. */
    @Test
    void refusedAgentArgumentsSayTheRestartOnce() throws Exception {
        TrustPolicy policy = TrustPolicy.refusingAll("the agent's arguments, which name a trust store, were refused"
                + " at start-up (bad): correct them and restart the JVM");
        assertTrue(policy.enforced());
        String m = refused(policy, Keys.bytes(bySelf), "every patch is refused because the agent's arguments");
        assertTrue(m.endsWith("correct them and restart the JVM"), m);
        assertEquals(m.indexOf("restart the JVM"), m.lastIndexOf("restart the JVM"), m);
    }

    @Test
    void anUnreadableStoreRefusesEveryPatch() throws Exception {
        Path locked = Files.copy(trustP12, dir.resolve("locked.p12"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        try {
            assumeFalse(Files.isReadable(locked), "runs as root: every file is readable");
            unusable(TrustPolicy.fromStore(locked, PASSWORD), "cannot be read (permission denied)");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void aDirectoryIsNotAStore() throws Exception {
        unusable(TrustPolicy.fromStore(dir, PASSWORD), "is a directory");
    }

    /** A pipe named as the store: its open waited for a writer, and held the agent's start there for good. */
    @Test
    void aPipeIsNotAStoreAndIsNotOpened() throws Exception {
        Path pipe = io.jlivepatch.internal.Fifos.make(dir.resolve("store.p12"));
        TrustPolicy policy = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(io.jlivepatch.internal.Fifos.HANG,
                () -> TrustPolicy.fromStore(pipe, PASSWORD));
        unusable(policy, "is not a regular file (a pipe, a device or a socket): it is not read");
    }

    /** A pipe renamed over the store after its check: the open is bounded and the store refused, not read for good. */
    @Test
    void aPipeSwappedInAfterTheCheckIsRefusedWithinTheWait() throws Exception {
        Path store = Files.copy(trustP12, dir.resolve("swapped.p12"));
        io.jlivepatch.internal.BoundedOpen.waitForTests(java.time.Duration.ofMillis(200));
        io.jlivepatch.internal.BoundedOpen.holdOpensForTests(() -> { // between the check and the open
            try {
                Files.delete(store);
                io.jlivepatch.internal.Fifos.make(store);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            TrustPolicy policy = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    io.jlivepatch.internal.Fifos.HANG, () -> TrustPolicy.fromStore(store, PASSWORD));
            unusable(policy, "cannot be read (", "could not be opened within 200 ms, though it was a regular file when"
                    + " checked");
        } finally {
            io.jlivepatch.internal.BoundedOpen.holdOpensForTests(null);
            io.jlivepatch.internal.BoundedOpen.waitForTests(null);
            io.jlivepatch.internal.Fifos.release(store);
        }
    }

    @Test
    void anEmptyStoreRefusesEveryPatch() throws Exception {
        Path empty = dir.resolve("empty.p12");
        Keys.keyPair(dir, empty, "gone", "CN=Gone");
        Keys.keytool(dir, empty, "-delete", "-alias", "gone");
        unusable(TrustPolicy.fromStore(empty, PASSWORD), "holds no certificate", "keytool -importcert");
    }

    @Test
    void aPkcs12StoreWithoutItsPasswordReadsAsEmptyAndSaysSo() throws Exception {
        // It holds the certificate: the first advice is the password, not to add what is there already.
        unusable(TrustPolicy.fromStore(trustP12, null), "shows no certificate without its password",
                "certificates are encrypted): give its password as truststore-password=");
    }

    @Test
    void aTextFileIsNotAStore() throws Exception {
        Path text = Files.writeString(dir.resolve("store.txt"), "-----BEGIN CERTIFICATE-----\nnot really\n");
        unusable(TrustPolicy.fromStore(text, PASSWORD), "is not a PKCS12 or JKS key store");
    }

    @Test
    void aDamagedStoreRefusesEveryPatch() throws Exception {
        byte[] whole = Files.readAllBytes(trustP12);
        Path cut = Files.write(dir.resolve("cut.p12"), Arrays.copyOf(whole, whole.length / 2));
        unusable(TrustPolicy.fromStore(cut, PASSWORD), "cannot be read as PKCS12");
    }

    @Test
    void aWrongPasswordRefusesEveryPatch() throws Exception {
        unusable(TrustPolicy.fromStore(trustP12, "not-the-password"), "the password is wrong");
        unusable(TrustPolicy.fromStore(trustJks, "not-the-password"), "the password is wrong");
    }

    private static X509Certificate certificate(String alias) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keys)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return (X509Certificate) ks.getCertificate(alias);
    }
}
