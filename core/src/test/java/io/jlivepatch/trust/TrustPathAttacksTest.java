package io.jlivepatch.trust;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.trust.TrustPolicy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A signed patch JAR changed so that the bytes the signature was checked on and the bytes a patch
 * loader defines or serves could differ: each is refused, by the signature or by the read (which
 * every load runs first, on the same bytes). The cases {@link TrustPolicyTest} has (an entry added,
 * changed or removed after signing, a changed manifest, entries of different signers) are not
 * repeated here, nor MalformedJarTest's zips whose directory ZIP tools read differs from the entries
 * read (a second directory, a copy hidden in an extra field), which the read refuses signed or not.
 */
class TrustPathAttacksTest {

    private static final String FIX = "com/acme/fix/Fix.class";
    private static final byte[] OTHER = {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 61};

    @TempDir
    static Path dir;

    private static Path keys;
    private static TrustPolicy policy;
    private static Path unsigned;
    private static Path signed;

    @BeforeAll
    static void signAJar() throws Exception {
        keys = dir.resolve("signers.p12");
        Keys.keyPair(dir, keys, "leaf", "CN=Leaf Signer,O=Acme");
        policy = TrustPolicy.fromStore(Keys.trustStore(dir, "trust.p12", "PKCS12", Keys.export(dir, keys, "leaf")),
                Keys.PASSWORD);
        unsigned = Keys.patchJar(dir, "fix.jar");
        signed = Keys.sign(dir, keys, unsigned, "leaf", "by-leaf.jar");
        policy.verify(Keys.bytes(signed)); // trusted as it was signed
    }

    private static String refused(PatchJarBytes jar, String... fragments) {
        PatchException e = assertThrows(PatchException.class, () -> policy.verify(jar));
        assertEquals(PatchException.Reason.UNTRUSTED, e.reason(), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
        return e.getMessage();
    }

    private static String readRefuses(PatchJarBytes jar, String... fragments) {
        PatchException e = assertThrows(PatchException.class, () -> PatchJar.read(jar, JarLimits.current()));
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason(), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
        return e.getMessage();
    }

    /**
     * A second copy of the signed class, other bytes, after it: which copy a check reads and which a
     * loader defines would be up to each. The signature checks both (the second does not match the
     * digest) and the read takes neither.
     */
    @Test
    void aClassPresentTwiceIsRefusedByTheSignatureAndByTheRead() throws Exception {
        // ZipOutputStream writes no name twice: a name of the same length, renamed in place
        String stand = FIX.substring(0, FIX.length() - 1) + "z";
        byte[] bytes = Keys.rewrite(signed, Map.of(), Map.of(stand, OTHER)).bytes();
        byte[] from = stand.getBytes(StandardCharsets.UTF_8);
        int renamed = 0;
        for (int i = 0; i + from.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + from.length, from, 0, from.length)) {
                bytes[i + from.length - 1] = 's';
                renamed++;
            }
        }
        assertEquals(2, renamed, "its local header and its central directory's");
        PatchJarBytes twice = PatchJarBytes.of("twice.jar", bytes, JarLimits.current());
        refused(twice, "entry '" + FIX + "' does not match its signature", "changed after signing");
        readRefuses(twice, "entry '" + FIX + "' appears twice");
    }

    /**
     * Entries whose names another reader could take for the signed class's (a leading {@code /} or
     * {@code ./}, which the JDK's verifier drops; {@code ..}, backslashes, another case), added after
     * signing with other bytes: each is refused, by the digest of the entry it reads as, or as an
     * entry the signature does not cover. Never one the loader could define or serve unchecked.
     */
    @Test
    void anEntryNamedLikeASignedOneIsCheckedAsTheEntryItReadsAsOrRefusedAsUncovered() throws Exception {
        for (String name : new String[] {"/" + FIX, "./" + FIX}) {
            refused(Keys.rewrite(signed, Map.of(), Map.of(name, OTHER)), "entry '" + name + "' does not match its"
                    + " signature");
        }
        for (String name : new String[] {"com/acme/x/../fix/Fix.class", "com\\acme\\fix\\Fix.class",
            "com/acme/fix/fix.class", "COM/acme/fix/Fix.class", "/com/acme/fix/Other.class"}) {
            refused(Keys.rewrite(signed, Map.of(), Map.of(name, OTHER)), "holds entry '" + name + "', which its"
                    + " signature does not cover (added after signing)");
        }
    }

    /**
     * A {@code META-INF/versions/N/} copy of the class in a JAR without {@code Multi-Release}, signed
     * with the rest: what a patch loader defines is the root class the signature covers, the copy
     * only a resource of its own name (its signed bytes). Added after signing, it is refused like any
     * entry; with {@code Multi-Release: true} the read refuses it (PatchJarTest).
     */
    @Test
    void aVersionedCopyOfAClassIsNeverTheClassDefined() throws Exception {
        String versioned = "META-INF/versions/17/" + FIX;
        Path withCopy = dir.resolve("with-copy.jar");
        Files.write(withCopy, Keys.rewrite(unsigned, Map.of(), Map.of(versioned, OTHER)).bytes());
        PatchJarBytes jar = Keys.bytes(Keys.sign(dir, keys, withCopy, "leaf", "with-copy-signed.jar"));
        assertEquals("CN=Leaf Signer,O=Acme", policy.verify(jar).signer());
        PatchJar read = PatchJar.read(jar, JarLimits.current());
        byte[] root = Keys.entries(Files.readAllBytes(unsigned)).get(FIX);
        assertArrayEquals(root, read.classes().get("com/acme/fix/Fix"));
        assertEquals(1, read.classes().size(), "the copy is no class: " + read.classes().keySet());
        assertArrayEquals(OTHER, read.resources().get(versioned));
        refused(Keys.rewrite(signed, Map.of(), Map.of(versioned, OTHER)), "holds entry '" + versioned + "', which"
                + " its signature does not cover (added after signing)");
    }

    /**
     * The signature files moved after the entries (a tool that rewrote the signed JAR): the JDK's
     * verifier, which reads them only right after the manifest, finds no signature, and the JAR is
     * refused saying so. It was said to be a signature the JDK does not take (a disabled algorithm, a
     * certificate that may not sign), which jarsigner -verify, reading the JAR in any order, denies.
     */
    @Test
    void signatureFilesMovedAfterTheEntriesAreSaidToBe() throws Exception {
        Map<String, byte[]> all = Keys.entries(Files.readAllBytes(signed));
        Map<String, byte[]> signature = new java.util.LinkedHashMap<>();
        for (String n : all.keySet()) {
            if (n.startsWith("META-INF/") && (n.endsWith(".SF") || n.endsWith(".EC"))) {
                signature.put(n, all.get(n));
            }
        }
        assertEquals(2, signature.size(), signature.keySet().toString());
        String m = refused(Keys.rewrite(signed, Map.of(), signature, signature.keySet()), ": its signature file"
                + " 'META-INF/LEAF.SF' comes after entry '", "', where the JDK's verifier no longer looks for signatures"
                + " (only among the entries right after the manifest), so no entry reads as signed: the JAR was"
                + " rewritten after signing, its entries reordered; sign it again (jlivepatch build --sign or"
                + " jarsigner) and copy the signed JAR as it is");
        assertTrue(!m.contains("takes no signature"), m);
    }

    /**
     * An entry whose name ends with the manifest's, but is not it, put right after the manifest: the
     * JDK's verifier takes the manifest by its whole name ({@code META-INF/MANIFEST.MF}), so this entry
     * ends its reading of signatures and the signature files after it are not taken; the refusal says
     * so. It was taken for the manifest here (a name's end), and the refusal said instead that the JDK
     * takes no signature of the JAR's (a disabled algorithm, a certificate that may not sign).
     */
    @Test
    void anEntryNamedLikeTheManifestBeforeTheSignatureFilesIsSaidToEndThem() throws Exception {
        for (String like : new String[] {"META-INF/x/META-INF/MANIFEST.MF", "/META-INF/MANIFEST.MF"}) {
            String m = refused(rightAfterTheManifest(like, OTHER), ": its signature file 'META-INF/LEAF.SF' comes"
                    + " after entry '" + like + "', where the JDK's verifier no longer looks for signatures");
            assertTrue(!m.contains("takes no signature"), m);
        }
    }

    /**
     * A directory below META-INF right after the manifest: up to JDK 20 the verifier reads past it to
     * the signature files (the JAR is signed); from JDK 21 (only what is directly in META-INF) it ends
     * the signatures there, and the refusal names it, as the JDK that runs does.
     */
    @Test
    void aDirectoryBelowMetaInfBeforeTheSignatureFilesIsTakenAsTheRunningJdkTakesIt() throws Exception {
        PatchJarBytes jar = rightAfterTheManifest("META-INF/x/", new byte[0]);
        if (Runtime.version().feature() < 21) {
            assertEquals("CN=Leaf Signer,O=Acme", policy.verify(jar).signer());
        } else {
            refused(jar, ": its signature file 'META-INF/LEAF.SF' comes after entry 'META-INF/x/', where the JDK's"
                    + " verifier no longer looks for signatures");
        }
    }

    /** The signed JAR with entry {@code name} put right after its manifest, its other entries in their order. */
    private static PatchJarBytes rightAfterTheManifest(String name, byte[] bytes) throws Exception {
        Map<String, byte[]> all = Keys.entries(Files.readAllBytes(signed));
        assertEquals("META-INF/MANIFEST.MF", all.keySet().iterator().next(), all.keySet().toString());
        Map<String, byte[]> after = new java.util.LinkedHashMap<>();
        after.put(name, bytes);
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
            if (!e.getKey().equals("META-INF/MANIFEST.MF")) {
                after.put(e.getKey(), e.getValue());
            }
        }
        return Keys.rewrite(signed, Map.of(), after, after.keySet());
    }

    /**
     * Bytes before the signed JAR's first entry or after its end record: the signature and the
     * loader read the entries one after the other from the first byte, ZIP tools from the end; the
     * read refuses both, so that neither a stub in front nor a tail can hold what only one of them sees.
     */
    @Test
    void bytesBeforeOrAfterTheZipAreRefusedByTheRead() throws Exception {
        byte[] zip = Files.readAllBytes(signed);
        byte[] before = new byte[zip.length + 16];
        System.arraycopy(zip, 0, before, 16, zip.length);
        // It was "not a JAR file (no entries, no manifest)", of a file that unzip -l and java -jar read.
        readRefuses(PatchJarBytes.of("before.jar", before, JarLimits.current()), "its first 16 bytes are not a zip"
                + " entry (data put before its entries: a launcher script, a self-extracting stub), which ZIP tools"
                + " skip and jlivepatch does not: build the JAR again with 'jar' or Maven, with nothing before it");
        readRefuses(PatchJarBytes.of("after.jar", Arrays.copyOf(zip, zip.length + 16), JarLimits.current()),
                "its central directory cannot be read (missing, truncated or ZIP64)");
    }
}
