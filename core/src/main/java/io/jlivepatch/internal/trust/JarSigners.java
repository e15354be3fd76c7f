package io.jlivepatch.internal.trust;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.jar.PatchJarBytes;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.CodeSigner;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Who signed every entry of a patch JAR, checked by the JDK's JAR verifier on the JAR's bytes.
 *
 * <p>A {@link JarInputStream}, as the patch's classes are read ({@code BoundedJarReader}, a
 * {@code ZipInputStream}): both walk the same local entries of the same bytes, so the entries
 * verified here are the entries loaded. The JDK verifies an entry's digest when it has been read to
 * its end (a mismatch is a {@link SecurityException}), and names its signers only then. It takes
 * the signature files only where jarsigner puts them, right after the manifest: a JAR whose
 * signature comes later reads as unsigned here, and is refused.
 *
 * <p>Runs after {@code PatchJar.read}, which has inflated every entry under the JAR limits; this
 * second pass inflates no more than that one did.
 */
final class JarSigners {

    private JarSigners() {
    }

    /**
     * The signers of every entry but the signature files and directories: the same for all, else a
     * refusal naming the entry that is unsigned, tampered with or signed by others; or, when no entry
     * reads as signed although the JAR has signature files, a refusal saying that the JDK did not take
     * its signature and what of it the JDK disables (not that entries were added after signing).
     *
     * @param only who accepts only signed patches, for the refusal of an unsigned JAR ("this JVM loads
     *             only patches signed by a certificate of its trust store")
     */
    static List<CodeSigner> of(PatchJarBytes jar, String only) throws PatchException {
        String what = "patch JAR " + Refusal.quote(jar.source());
        Set<CodeSigner> signers = null;
        String first = null;
        String entry = null;
        byte[] sink = new byte[8192];
        Set<String> listed = new HashSet<>();
        Set<String> seen = new HashSet<>();
        String unsigned = null; // the first entry no signature covers
        // whether a signature file and the manifest both have the digests of one such entry: only then
        // is it the JDK that did not take the signature, rather than an entry the signature never covered
        boolean unsignedListed = false;
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar.bytes()), true)) {
            if (in.getManifest() == null || !hasSignatureFile(jar, listed)) {
                throw Refusal.of(what + " is not signed, and " + only + ": sign it (jlivepatch build --sign, or"
                        + " jarsigner; README 'Signed patches')");
            }
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                entry = e.getName();
                seen.add(entry);
                while (in.read(sink, 0, sink.length) >= 0) {
                    // read to the end: the digest is checked there, and the signers set
                }
                if (e.isDirectory() || isSignatureFile(entry)) {
                    continue;
                }
                CodeSigner[] cs = e.getCodeSigners();
                if (cs == null || cs.length == 0) {
                    // said once every entry is read: with no entry signed at all, though the manifest
                    // has its digests, it is the signature the JDK did not take (a disabled algorithm),
                    // not an entry added after signing
                    unsigned = unsigned == null ? entry : unsigned;
                    unsignedListed = unsignedListed || in.getManifest().getAttributes(entry) != null
                            && listed.contains(asVerified(entry));
                    continue;
                }
                Set<CodeSigner> these = new HashSet<>(Arrays.asList(cs));
                if (signers == null) {
                    signers = these;
                    first = entry;
                } else if (!signers.equals(these)) {
                    throw Refusal.of(what + ": entry " + Refusal.quote(entry) + " is signed by "
                            + Refusal.subjects(these) + ", entry " + Refusal.quote(first) + " by "
                            + Refusal.subjects(signers) + ": sign the whole JAR at once, by the same signers");
                }
            }
            entry = null;
        } catch (SecurityException e) {
            // entry == null is defensive: the verifier throws only as an entry is read to its end (a
            // signature file checked against its block and the manifest, or an entry against its
            // digest), never as one begins (JarVerifier.beginEntry, JDK 17 to 25), and every entry is
            // read to its end before the next is asked for; so entry names the file being read.
            if (entry == null || isSignatureFile(entry)) {
                if (String.valueOf(e.getMessage()).startsWith(BLOCK_DOES_NOT_VERIFY)) {
                    // the block's signature is over the signature file: one of the two was changed, the
                    // manifest perhaps not at all (that is a digest mismatch, said below)
                    throw Refusal.of(what + ": its signature files do not verify (" + Refusal.describe(e) + "): its"
                            + " signature file or signature block was changed after signing; build and sign it again,"
                            + " and find out who changed it", e);
                }
                // the signature files are checked against the manifest as the first entries are read
                throw Refusal.of(what + ": its manifest does not match its signature (" + Refusal.describe(e) + "):"
                        + " the manifest (the patch's name and classes) was changed after signing; build and sign"
                        + " it again, and find out who changed it", e);
            }
            throw Refusal.of(what + ": entry " + Refusal.quote(entry) + " does not match its signature ("
                    + Refusal.describe(e) + "): it was changed after signing; build and sign it again, and find"
                    + " out who changed it", e);
        } catch (IOException | RuntimeException e) {
            // RuntimeException: what the zip and signature parsers throw for bytes they cannot take
            throw Refusal.of(what + ": its signature cannot be checked (" + Refusal.describe(e) + "): sign it again"
                    + " with jarsigner or jlivepatch build --sign", e);
        }
        if (unsigned != null && signers == null && unsignedListed) {
            String late = lateSignatureFile(jar);
            if (late != null) {
                throw Refusal.of(what + ": its signature file " + late + ", where the JDK's verifier no longer looks"
                        + " for signatures (only among the entries right after the manifest), so no entry reads as"
                        + " signed: the JAR was rewritten after signing, its entries reordered; sign it again"
                        + " (jlivepatch build --sign or jarsigner) and copy the signed JAR as it is");
            }
            throw Refusal.of(what + " " + notTaken(jar));
        }
        if (unsigned != null) {
            throw Refusal.of(what + " holds entry " + Refusal.quote(unsigned) + ", which its signature does"
                    + " not cover (added after signing" + (listed.isEmpty() ? "; its signature files list no entry,"
                    + " only the manifest's main attributes" : "") + "): sign the whole JAR again, and find out who added it");
        }
        if (signers == null) {
            throw Refusal.of(what + " holds no signed entry: sign it (jlivepatch build --sign, or jarsigner)");
        }
        String missing = missing(listed, seen);
        if (missing != null) {
            throw Refusal.of(what + ": entry " + Refusal.quote(missing) + ", which its signature covers, is missing"
                    + " (removed after signing); build and sign it again, and find out who changed it");
        }
        return List.copyOf(signers);
    }

    /**
     * The first entry that a signature file of {@code jar} lists and that is not among {@code seen} (the names a
     * {@link JarInputStream} gave, as {@link #of} reads them), or null: the JAR {@link #of} refuses for it, whose
     * present entries the JDK verifies all the same. Each signature file is read, as {@link #of} reads them.
     */
    static String missingEntry(PatchJarBytes jar, Set<String> seen) throws IOException {
        Set<String> listed = new HashSet<>();
        signatureFiles(jar, listed);
        return missing(listed, seen);
    }

    /**
     * A signature proves what each present entry holds, not that every signed entry is still there: removing
     * one (a carried class, the build digests) would otherwise go unnoticed.
     */
    private static String missing(Set<String> listed, Set<String> seen) {
        for (String name : listed) {
            String n = name.startsWith("./") ? name.substring(2) : name.startsWith("/") ? name.substring(1) : name;
            if (!seen.contains(n)) {
                return n;
            }
        }
        return null;
    }

    /**
     * Where the signature files ({@code *.SF}) all come after the entries the JDK's verifier reads
     * signatures among: the META-INF signature files and directories right after the manifest
     * (JarVerifier.beginEntry ends that at the first other entry, and takes a later {@code .SF} for
     * no signature at all, silently, as it does a disabled algorithm): {@code 'META-INF/A.SF' comes
     * after entry 'a/B.class'}; null when one is in its place (then it is that one the JDK did not
     * take) or there is none. Read only for a JAR found unsigned.
     */
    private static String lateSignatureFile(PatchJarBytes jar) {
        String first = null; // the entry that ends the verifier's reading of signatures
        String late = null;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(jar.bytes()))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String n = e.getName().toUpperCase(Locale.ENGLISH);
                boolean meta = readAmongSignatures(n);
                boolean blockOrSf = meta && (n.endsWith(".SF") || n.endsWith(".DSA") || n.endsWith(".RSA")
                        || n.endsWith(".EC"));
                if (blockOrSf && n.endsWith(".SF")) {
                    if (first == null) {
                        return null;
                    }
                    late = late != null ? late : Refusal.quote(e.getName()) + " comes after entry "
                            + Refusal.quote(first);
                }
                // The manifest and the index by their whole name, as the verifier (not '/META-INF/MANIFEST.MF'
                // nor 'META-INF/x/META-INF/MANIFEST.MF', which end its reading of signatures)
                if (first == null && !(meta && (e.isDirectory() || blockOrSf || n.equals("META-INF/MANIFEST.MF")
                        || n.equals("META-INF/INDEX.LIST")))) {
                    first = e.getName();
                }
            }
        } catch (IOException | RuntimeException e) {
            return null; // read before, under the limits: not expected; the other explanation is given then
        }
        return late;
    }

    /**
     * Whether the running JDK's verifier reads entry {@code upper} (its name in upper case) among the
     * signatures that follow the manifest, rather than end that reading at it (JarVerifier.beginEntry):
     * up to JDK 20 every name under {@code META-INF/} or {@code /META-INF/}; from JDK 21 (JDK-8300140,
     * SignatureFileVerifier.isInMetaInf) only those directly in {@code META-INF/}, a subdirectory ending it.
     */
    private static boolean readAmongSignatures(String upper) {
        if (Runtime.version().feature() >= 21) {
            return upper.startsWith("META-INF/") && upper.lastIndexOf('/') < "META-INF/".length();
        }
        return upper.startsWith("META-INF/") || upper.startsWith("/META-INF/");
    }

    /**
     * The name a signature file lists entry {@code name} under: the JDK's verifier drops a leading
     * {@code ./}, then a leading {@code /}, before it looks the entry up (JarVerifier.beginEntry).
     */
    private static String asVerified(String name) {
        String n = name.startsWith("./") ? name.substring(2) : name;
        return n.startsWith("/") ? n.substring(1) : n;
    }

    /**
     * Whether the manifest's main attributes (the patch's name and classes) are covered: jarsigner
     * writes {@code *-Digest-Manifest-Main-Attributes} into each signature file and the JDK checks it;
     * a signature file without it covers only the entries it lists.
     */
    static boolean coversMainAttributes(Manifest signatureFile) {
        for (Object key : signatureFile.getMainAttributes().keySet()) {
            String k = ((Attributes.Name) key).toString();
            if (k.toUpperCase(Locale.ROOT).endsWith("-DIGEST-MANIFEST-MAIN-ATTRIBUTES")) {
                return true;
            }
        }
        return false;
    }

    /**
     * How the JDK's verifier ({@code sun.security.util.SignatureFileVerifier}, JDK 17 to 25) begins the
     * message of a block whose signature does not verify its signature file. Another wording falls
     * back to the manifest's refusal, which is still a refusal.
     */
    private static final String BLOCK_DOES_NOT_VERIFY = "cannot verify signature block file";

    /** The security property that lists what the JDK's JAR verifier takes for no signature at all. */
    private static final String DISABLED = "jdk.jar.disabledAlgorithms";

    /**
     * DER encodings (tag, length, value) of the digest and signature algorithm identifiers that
     * {@value #DISABLED} disables or denies now: MD2, MD5, SHA-1 and the signatures over them.
     */
    private static final byte[][] WEAK_OIDS = {
        {6, 8, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 2, 2},
        {6, 8, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 2, 5},
        {6, 5, 0x2B, 0x0E, 3, 2, 0x1A},
        {6, 9, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 1, 1, 2},
        {6, 9, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 1, 1, 4},
        {6, 9, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 1, 1, 5},
        {6, 7, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x38, 4, 3},
        {6, 7, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 4, 1},
    };
    private static final String[] WEAK_NAMES = {"MD2", "MD5", "SHA-1", "MD2withRSA", "MD5withRSA", "SHA1withRSA",
        "SHA1withDSA", "SHA1withECDSA"};

    /**
     * Why a JAR that has signature files reads as wholly unsigned: the JDK's verifier did not take its
     * signature, which it does without a word for a disabled algorithm ({@value #DISABLED}), a signer's
     * certificate whose key usage leaves out signatures, or a block that does not verify. What the
     * signature files tell of it (their digests, their block's algorithms outside its certificates, the
     * signer's key and key usage) is named; the rest is what jarsigner says.
     */
    private static String notTaken(PatchJarBytes jar) {
        List<String> files = new ArrayList<>();
        Set<String> found = new LinkedHashSet<>();
        int read = 0;
        int unread = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(jar.bytes()))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String name = e.getName();
                String n = name.toUpperCase(Locale.ROOT);
                if (!n.startsWith("META-INF/") || n.indexOf('/', 9) >= 0) {
                    continue;
                }
                boolean isBlock = n.endsWith(".RSA") || n.endsWith(".DSA") || n.endsWith(".EC");
                if (!isBlock && !n.endsWith(".SF")) {
                    continue;
                }
                if (++read > MAX_SIGNATURE_FILES_READ) {
                    unread++; // a JAR has one pair per signer: hundreds are someone's way to hold the load
                    continue;
                }
                if (!isBlock) {
                    files.add(name);
                    Manifest sf = new Manifest(new ByteArrayInputStream(zip.readAllBytes()));
                    for (Object key : sf.getMainAttributes().keySet()) {
                        String k = key.toString().toUpperCase(Locale.ROOT);
                        int at = k.indexOf("-DIGEST-MANIFEST");
                        String algorithm = at > 0 ? k.substring(0, at) : "";
                        if (algorithm.equals("SHA1") || algorithm.equals("SHA-1") || algorithm.startsWith("MD")) {
                            found.add(Refusal.quote(name) + " holds " + algorithm + " digests");
                        }
                    }
                } else {
                    block(name, zip.readNBytes(MAX_BLOCK_READ + 1), found); // a larger one is only named
                }
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // what was found so far is said; the rest is jarsigner's to say
        }
        if (unread > 0) {
            found.add(unread + " more signature file(s) not read (a JAR has two per signer)");
        }
        String disabled = java.security.Security.getProperty(DISABLED);
        return "has signature files (" + String.join(", ", files) + "), but this JVM's JAR verifier takes no"
                + " signature of them, so no entry reads as signed" + (found.isEmpty() ? "" : ": "
                + String.join("; ", found)) + ". The JDK treats a signature as absent when it uses an algorithm"
                + " that " + DISABLED + " disables (" + (disabled == null ? "not set" : Refusal.quote(disabled))
                + "), when the signer's certificate may not make signatures, or when its signature block does not"
                + " verify (jarsigner -verify -verbose -certs says which, and who signed it; what is named above is"
                + " read from the files, a timestamp's algorithms included): if the signer is yours, sign it again"
                + " with jarsigner's defaults (SHA-256) and a code-signing certificate whose key has 2048 bits or more";
    }

    /**
     * The largest signature block read for the explanation: jarsigner's, with a chain and a timestamp
     * token, takes a few kilobytes. The explanation is read only for a JAR the JDK found unsigned, so
     * whoever made it chose the block: a larger one is named, not parsed.
     */
    static final int MAX_BLOCK_READ = 64 * 1024;
    /**
     * The most signature files ({@code *.SF} and blocks) read for the explanation, in all: a JAR has two
     * per signer. With the limits of each, the explanation of any JAR costs milliseconds (a review's
     * estimate for 256 blocks at the limit each: minutes).
     */
    static final int MAX_SIGNATURE_FILES_READ = 8;
    /**
     * The most certificates a block's explanation looks at: a signer's chain and a timestamp's. The
     * signer is found by comparing each with each, which a block of thousands of certificates (a
     * review made one of 47,000 within the entry limit) would hold the loading thread on for hours.
     */
    static final int MAX_CERTIFICATES_READ = 64;

    /** What a signature block ({@code *.RSA}, {@code *.DSA}, {@code *.EC}: PKCS#7) tells of why it was not taken. */
    private static void block(String name, byte[] block, Set<String> found) throws GeneralSecurityException {
        if (block.length > MAX_BLOCK_READ) {
            found.add(Refusal.quote(name) + " is larger than " + MAX_BLOCK_READ / 1024 + " KiB, more than a"
                    + " signature block of jarsigner's holds (not read)");
            return;
        }
        List<X509Certificate> certificates = new ArrayList<>();
        for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(block))) {
            if (c instanceof X509Certificate x) {
                certificates.add(x);
            }
        }
        if (certificates.size() > MAX_CERTIFICATES_READ) {
            found.add(Refusal.quote(name) + " holds " + certificates.size() + " certificates, more than a"
                    + " signer's chain (not read further)");
            return;
        }
        // an algorithm of the block's own (its signer information), not of a certificate it carries
        List<String> weak = new ArrayList<>();
        for (int i = 0; i < WEAK_OIDS.length; i++) {
            int n = occurrences(block, WEAK_OIDS[i]);
            for (X509Certificate c : certificates) {
                n -= occurrences(c.getEncoded(), WEAK_OIDS[i]);
            }
            if (n > 0) {
                weak.add(WEAK_NAMES[i]);
            }
        }
        if (!weak.isEmpty()) {
            found.add(Refusal.quote(name) + " is signed with " + String.join(", ", weak));
        }
        // the signer's: the certificate that issued none of the others (a SET OF is stored sorted)
        X509Certificate signer = null;
        for (X509Certificate c : certificates) {
            boolean issuer = false;
            for (X509Certificate d : certificates) {
                issuer |= d != c && d.getIssuerX500Principal().equals(c.getSubjectX500Principal());
            }
            signer = issuer ? signer : c;
        }
        if (signer == null) {
            return;
        }
        String subject = Refusal.quote(Refusal.subject(signer));
        java.security.PublicKey key = signer.getPublicKey();
        int bits = key instanceof java.security.interfaces.RSAKey rsa ? rsa.getModulus().bitLength()
                : key instanceof java.security.interfaces.DSAKey dsa && dsa.getParams() != null
                ? dsa.getParams().getP().bitLength() : 0;
        if (bits > 0 && bits < 1024) {
            found.add("the key of " + subject + " is a " + bits + "-bit " + key.getAlgorithm() + " key");
        }
        boolean[] keyUsage = signer.getKeyUsage();
        if (keyUsage != null && (keyUsage.length == 0 || !keyUsage[0])) {
            found.add("the key usage of " + subject + " does not include digitalSignature");
        }
    }

    private static int occurrences(byte[] in, byte[] what) {
        int n = 0;
        for (int i = 0; i + what.length <= in.length; i++) {
            if (Arrays.equals(in, i, i + what.length, what, 0, what.length)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Whether the JAR has a signature file, each with the main attributes covered (the signature
     * files are read from the same bytes; a JAR without one is unsigned); adds to {@code listed} the
     * names of the entries they cover.
     */
    private static boolean hasSignatureFile(PatchJarBytes jar, Set<String> listed) throws IOException, PatchException {
        SignatureFiles files = signatureFiles(jar, listed);
        if (files.leavingOutMainAttributes() != null) {
            throw Refusal.of("patch JAR " + Refusal.quote(jar.source()) + ": signature file "
                    + Refusal.quote(files.leavingOutMainAttributes()) + " does not cover the manifest's main attributes"
                    + " (the patch's name and classes): sign it with jarsigner or jlivepatch build --sign");
        }
        return files.found();
    }

    /**
     * The first signature file of {@code jar} that does not cover the manifest's main attributes
     * ({@link #coversMainAttributes}), as the JAR names it, or null when each covers them or there is
     * none: the JAR that {@link #of} refuses for it, whose entries the JDK verifies all the same.
     */
    static String leavingOutMainAttributes(PatchJarBytes jar) throws IOException {
        return signatureFiles(jar, new HashSet<>()).leavingOutMainAttributes();
    }

    /**
     * What the signature files say of the main attributes.
     *
     * @param found                    whether the JAR has a signature file
     * @param leavingOutMainAttributes the first that does not cover them (read no further), or null
     */
    private record SignatureFiles(boolean found, String leavingOutMainAttributes) {
    }

    /**
     * Reads the signature files ({@code *.SF} in META-INF itself, where jarsigner writes them) up to
     * the first that does not cover the manifest's main attributes, adding to {@code listed} the names
     * of the entries they cover.
     */
    private static SignatureFiles signatureFiles(PatchJarBytes jar, Set<String> listed) throws IOException {
        boolean found = false;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(jar.bytes()))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String name = e.getName().toUpperCase(Locale.ROOT);
                if (name.startsWith("META-INF/") && name.indexOf('/', 9) < 0 && name.endsWith(".SF")) {
                    found = true;
                    Manifest sf = new Manifest(new ByteArrayInputStream(zip.readAllBytes()));
                    listed.addAll(sf.getEntries().keySet()); // every entry this signature file covers
                    if (!coversMainAttributes(sf)) {
                        return new SignatureFiles(true, e.getName());
                    }
                }
            }
        }
        return new SignatureFiles(found, null);
    }

    /**
     * Whether the JDK's verifier takes {@code name} as part of a signature (and so leaves it
     * unsigned): the manifest, and in META-INF itself (not below) {@code *.SF}, {@code *.RSA},
     * {@code *.DSA}, {@code *.EC} and {@code SIG-*} without an extension or with one of 1 to 3
     * letters or digits (the JDK's rule: a {@code SIG-NOTES.properties} must be signed like any entry).
     */
    static boolean isSignatureFile(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (!n.startsWith("META-INF/") || n.indexOf('/', 9) >= 0) {
            return false;
        }
        String file = n.substring(9);
        if (file.equals("MANIFEST.MF") || file.endsWith(".SF") || file.endsWith(".RSA") || file.endsWith(".DSA")
                || file.endsWith(".EC")) {
            return true;
        }
        if (!file.startsWith("SIG-")) {
            return false;
        }
        int dot = file.lastIndexOf('.');
        if (dot < 0) {
            return true;
        }
        String extension = file.substring(dot + 1);
        if (extension.isEmpty() || extension.length() > 3) {
            return false;
        }
        for (int i = 0; i < extension.length(); i++) {
            char c = extension.charAt(i);
            if ((c < 'A' || c > 'Z') && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }
}
