package io.jlivepatch.agent.cli;

import jdk.security.jarsigner.JarSigner;
import jdk.security.jarsigner.JarSignerException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.interfaces.DSAKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipFile;

/**
 * The {@link JarSigner} of a signing key, tried on a JAR of one entry before anything is built: a
 * key this JDK reads but cannot sign with (no signature algorithm for its key's, as a JKS key of an
 * algorithm this JDK lacks is handed back undecoded; an EC curve it no longer signs with, such as
 * secp256k1), or whose signature its own verifier takes for none (a key that
 * {@code jdk.jar.disabledAlgorithms} leaves out, say RSA of 512 bits: a JVM with a trust store would
 * refuse the patch as not signed), would otherwise be found only once the patch was built, or not
 * at all.
 */
final class TrialSignature {

    private TrialSignature() {
    }

    /** The entry the trial JAR holds beside its manifest. */
    private static final String ENTRY = "trial.txt";

    /** The signer of {@code entry}, or a refusal naming {@code what} (the key and its store). */
    static JarSigner signer(KeyStore.PrivateKeyEntry entry, String alias, String what) throws Refused {
        JarSigner signer;
        try {
            signer = new JarSigner.Builder(entry).digestAlgorithm("SHA-256").signerName(PatchSigner.signerName(alias))
                    .build();
        } catch (NoSuchAlgorithmException e) {
            throw new Refused("this JDK has no SHA-256 to sign with (" + e.getMessage() + "): run jlivepatch build on"
                    + " a JDK that has", e);
        } catch (IllegalArgumentException e) { // JDK 17's JarSigner finds no signature algorithm for the key's
            throw noAlgorithm(what, e.getMessage(), e);
        }
        byte[] signed = trial(signer, what);
        if (signed != null && !signedByOne(signed)) {
            throw new Refused(what + " signs what this JDK's verifier takes for unsigned (the jdk.jar.disabledAlgorithms"
                    + " of its java.security leave out " + signer.getSignatureAlgorithm() + " or its "
                    + describe(entry.getCertificate().getPublicKey()) + "), so a JVM with a trust store would refuse"
                    + " the patch as not signed: give --sign a key pair made with keytool -genkeypair -keyalg EC"
                    + " -groupname secp256r1");
        }
        return signer;
    }

    /** The refusal of a key, {@code what}, for which this JDK has no signature algorithm ({@code detail}: the JDK's words). */
    private static Refused noAlgorithm(String what, String detail, Exception e) {
        return new Refused(what + " cannot sign on this JDK, which has no signature algorithm for it (" + detail + "): "
                + PatchSigner.LACKING, e);
    }

    /**
     * A JAR of one entry signed by {@code signer}; {@code null} if the trial JAR cannot be written to
     * the temporary directory (the JarSigner API signs files only): the real signing then tells.
     */
    private static byte[] trial(JarSigner signer, String what) throws Refused {
        Path jar;
        try {
            jar = Files.createTempFile("jlivepatch-trial-", ".jar");
        } catch (IOException | SecurityException e) {
            return null;
        }
        try {
            Manifest m = new Manifest();
            m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m)) {
                j.putNextEntry(new JarEntry(ENTRY));
                j.write('x');
            }
            ByteArrayOutputStream signed = new ByteArrayOutputStream();
            try (ZipFile in = new ZipFile(jar.toFile())) {
                signer.sign(in, signed);
            } catch (JarSignerException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                NoSuchAlgorithmException lacked = PatchSigner.lacked(e);
                if (lacked != null) { // JDK 25's JarSigner takes the key's algorithm for the signature's
                    throw noAlgorithm(what, lacked.getMessage(), e);
                }
                throw new Refused(what + " cannot sign on this JDK (" + signer.getSignatureAlgorithm() + ": "
                        + cause.getMessage() + "): " + PatchSigner.LACKING, e);
            }
            return signed.toByteArray();
        } catch (IOException e) {
            return null;
        } finally {
            try {
                Files.deleteIfExists(jar);
            } catch (IOException e) {
                // a temporary file: nothing depends on it
            }
        }
    }

    /** Whether this JDK's verifier, as a JVM's trust policy reads a patch, finds the trial entry signed. */
    private static boolean signedByOne(byte[] jar) {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar), true)) {
            for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                in.readAllBytes(); // an entry's signers are known once it is read
                if (e.getName().equals(ENTRY)) {
                    return e.getCodeSigners() != null;
                }
            }
            return false;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** The key's algorithm and size, as jdk.jar.disabledAlgorithms names them. */
    private static String describe(PublicKey key) {
        int bits = key instanceof RSAKey r ? r.getModulus().bitLength()
                : key instanceof ECKey ec ? ec.getParams().getCurve().getField().getFieldSize()
                : key instanceof DSAKey d && d.getParams() != null ? d.getParams().getP().bitLength() : 0;
        return key.getAlgorithm() + " key" + (bits > 0 ? " of " + bits + " bits" : "");
    }
}
