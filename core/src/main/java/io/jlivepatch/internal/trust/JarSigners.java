package io.jlivepatch.internal.trust;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.jar.PatchJarBytes;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.CodeSigner;
import java.util.Arrays;
import java.util.HashSet;
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
     * refusal naming the entry that is unsigned, tampered with or signed by others.
     */
    static List<CodeSigner> of(PatchJarBytes jar) throws PatchException {
        String what = "patch JAR " + Refusal.quote(jar.source());
        Set<CodeSigner> signers = null;
        String first = null;
        String entry = null;
        byte[] sink = new byte[8192];
        Set<String> listed = new HashSet<>();
        Set<String> seen = new HashSet<>();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar.bytes()), true)) {
            if (in.getManifest() == null || !hasSignatureFile(jar, listed)) {
                throw Refusal.of(what + " is not signed, and this JVM loads only patches signed by a certificate of"
                        + " its trust store: sign it (jlivepatch build --sign, or jarsigner; README 'Signed patches')");
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
                    throw Refusal.of(what + " holds entry " + Refusal.quote(entry) + ", which its signature does"
                            + " not cover (added after signing): sign the whole JAR again");
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
            if (entry == null || isSignatureFile(entry)) {
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
        if (signers == null) {
            throw Refusal.of(what + " holds no signed entry: sign it (jlivepatch build --sign, or jarsigner)");
        }
        // A signature proves what each present entry holds, not that every signed entry is still
        // there: removing one (a carried class, the build digests) would otherwise go unnoticed.
        for (String name : listed) {
            String n = name.startsWith("./") ? name.substring(2) : name.startsWith("/") ? name.substring(1) : name;
            if (!seen.contains(n)) {
                throw Refusal.of(what + ": entry " + Refusal.quote(n) + ", which its signature covers, is missing"
                        + " (removed after signing); build and sign it again, and find out who changed it");
            }
        }
        return List.copyOf(signers);
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
     * Whether the JAR has a signature file, each with the main attributes covered (the signature
     * files are read from the same bytes; a JAR without one is unsigned); adds to {@code listed} the
     * names of the entries they cover.
     */
    private static boolean hasSignatureFile(PatchJarBytes jar, Set<String> listed) throws IOException, PatchException {
        boolean found = false;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(jar.bytes()))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String name = e.getName().toUpperCase(Locale.ROOT);
                if (name.startsWith("META-INF/") && name.indexOf('/', 9) < 0 && name.endsWith(".SF")) {
                    found = true;
                    Manifest sf = new Manifest(new ByteArrayInputStream(zip.readAllBytes()));
                    listed.addAll(sf.getEntries().keySet()); // every entry this signature file covers
                    if (!coversMainAttributes(sf)) {
                        throw Refusal.of("patch JAR " + Refusal.quote(jar.source()) + ": signature file "
                                + Refusal.quote(e.getName()) + " does not cover the manifest's main attributes (the"
                                + " patch's name and classes): sign it with jarsigner or jlivepatch build --sign");
                    }
                }
            }
        }
        return found;
    }

    /**
     * Whether the JDK's verifier takes {@code name} as part of a signature (and so leaves it
     * unsigned): the manifest, and in META-INF itself (not below) {@code *.SF}, {@code *.RSA},
     * {@code *.DSA}, {@code *.EC} and {@code SIG-*}.
     */
    static boolean isSignatureFile(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (!n.startsWith("META-INF/") || n.indexOf('/', 9) >= 0) {
            return false;
        }
        String file = n.substring(9);
        return file.equals("MANIFEST.MF") || file.endsWith(".SF") || file.endsWith(".RSA") || file.endsWith(".DSA")
                || file.endsWith(".EC") || file.startsWith("SIG-");
    }
}
