package io.jlivepatch.agent.cli;

import jdk.security.jarsigner.JarSigner;
import jdk.security.jarsigner.JarSignerException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.UnrecoverableKeyException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipFile;

/**
 * {@code jlivepatch build --sign}: signs a written patch JAR with a key of a keystore, as
 * {@code jarsigner} does, through the JDK's supported {@link JarSigner} API (module
 * {@code jdk.jartool}; no timestamp, which would need the network). The key is opened, and tried,
 * before the build runs, so that a wrong password or alias, or a key this JDK cannot sign with,
 * costs no build and writes nothing.
 */
final class PatchSigner {

    private final KeyStore.PrivateKeyEntry key;
    private final String alias;
    /** Made, and tried on a few bytes, when the key is opened: a key this JDK cannot sign with costs no build. */
    private final JarSigner signer;

    private PatchSigner(KeyStore.PrivateKeyEntry key, String alias, JarSigner signer) {
        this.key = key;
        this.alias = alias;
        this.signer = signer;
    }

    /**
     * The private key {@code alias} of {@code keystore} (PKCS12 or JKS), or a refusal saying what is wrong.
     *
     * @param storeGiven where the store's password was given, which a refusal of it names
     * @param keyGiven   where the key's was given; {@code null} when the key's is the store's
     */
    static PatchSigner open(Path keystore, String alias, char[] storePassword, char[] keyPassword,
            GivenPassword storeGiven, GivenPassword keyGiven) throws Refused {
        String where = "keystore " + keystore;
        KeyStore store = SigningStore.open(keystore, alias, storePassword, keyPassword, storeGiven, keyGiven);
        try {
            if (!store.containsAlias(alias)) {
                throw new Refused(where + " has no entry " + quote(alias) + " (its entries: " + aliases(store)
                        + "): give --alias the signing key's alias (keytool -list shows them)");
            }
            if (!store.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
                throw new Refused("entry " + quote(alias) + " of " + where + " is not a private key (it is a "
                        + (store.isCertificateEntry(alias) ? "certificate" : "secret key") + "): give --alias a key"
                        + " pair, a PrivateKeyEntry in keytool -list");
            }
            java.security.cert.Certificate[] chain = store.getCertificateChain(alias);
            if (chain == null || chain.length == 0) {
                // a PKCS12 file may hold a key without it (openssl pkcs12 -export -nocerts); the
                // JDK's PrivateKeyEntry would fail on it with a bare NullPointerException
                throw new Refused("entry " + quote(alias) + " of " + where + " is a private key without its"
                        + " certificate, which a signed JAR carries: give --alias a key pair (keytool -genkeypair),"
                        + " or make the store again with the key's certificate (openssl pkcs12 -export -in <cert>)");
            }
            KeyStore.PrivateKeyEntry entry = (KeyStore.PrivateKeyEntry) store.getEntry(alias,
                    new KeyStore.PasswordProtection(keyPassword));
            if (!(entry.getCertificate() instanceof X509Certificate)) {
                throw new Refused("entry " + quote(alias) + " of " + where + " has no X.509 certificate: make the key"
                        + " with keytool -genkeypair");
            }
            CertificateDates.check(entry.getCertificateChain(), "entry " + quote(alias) + " of " + where);
            return new PatchSigner(entry, alias, TrialSignature.signer(entry, alias, "the key " + quote(alias)
                    + " of " + where));
        } catch (UnrecoverableKeyException e) {
            // A PKCS12 store wraps every failure to decode the key in this exception, the key's
            // algorithm missing from this JDK included: that one is no matter of the password.
            NoSuchAlgorithmException lacked = lacked(e);
            if (lacked != null) {
                throw new Refused("the key " + quote(alias) + " of " + where + " cannot be opened by this JDK, which"
                        + " lacks an algorithm the key uses (" + lacked.getMessage() + "): " + LACKING, e);
            }
            // the option it came from, not every option it could have (a key without one of its own is
            // opened with the store's password, which opened the store: the key has another)
            throw new Refused("the key " + quote(alias) + " of " + where + " cannot be opened: its password is wrong: "
                    + (keyGiven != null ? "check the key's password " + keyGiven.where()
                    : "it was taken to be the keystore's, " + storeGiven.where() + ": give the key's own with"
                    + " --keypass-env or --keypass-file"), e);
        } catch (GeneralSecurityException e) {
            throw new Refused("the key " + quote(alias) + " of " + where + " cannot be read (" + e + ")", e);
        } catch (IllegalArgumentException e) {
            // KeyStore.PrivateKeyEntry's own check: a key whose algorithm is not its certificate's (a JKS
            // store hands back a key of an algorithm this JDK lacks under that algorithm's number)
            throw new Refused("the key " + quote(alias) + " of " + where + " cannot be used (" + e.getMessage()
                    + "): " + LACKING, e);
        }
    }

    /**
     * What to do about a store or key this JDK cannot read (made by a JDK or provider with an algorithm
     * this one lacks, say a later JDK's ML-DSA): a key pair this JDK makes, or a JDK that reads it.
     */
    static final String LACKING = "give --sign a key pair made with this JDK's keytool -genkeypair (e.g."
            + " -keyalg EC), or run jlivepatch build on a JDK that reads it";

    /** The {@code NoSuchAlgorithmException} among {@code e}'s causes, {@code e} included; {@code null} if none. */
    static NoSuchAlgorithmException lacked(Throwable e) {
        int depth = 0;
        for (Throwable c = e; c != null && depth++ < 16; c = c.getCause()) { // bounded: a cause may loop
            if (c instanceof NoSuchAlgorithmException n) {
                return n;
            }
        }
        return null;
    }

    /** The signing certificate's subject, as the trust policy names the signer. */
    String subject() {
        return ((X509Certificate) key.getCertificate()).getSubjectX500Principal().getName();
    }

    /** Tests: run with the unsigned JAR's path before it is opened for signing; {@code null} for none. */
    static volatile java.util.function.Consumer<Path> beforeSignForTests;

    /**
     * Writes {@code jar} signed to {@code out}: beside it first, then moved into place, so that a
     * failure leaves no file.
     */
    void sign(Path jar, Path out) throws IOException {
        java.util.function.Consumer<Path> hook = beforeSignForTests;
        if (hook != null) {
            hook.accept(jar);
        }
        Path tmp = out.toAbsolutePath().getParent()
                .resolve("." + out.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".signing");
        try {
            try (ZipFile in = new ZipFile(jar.toFile());
                 OutputStream os = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW)) {
                signer.sign(in, os);
            } catch (JarSignerException e) {
                throw new IOException("cannot sign " + out + " with " + quote(alias) + ": " + e.getMessage()
                        + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")"), e);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The name of the signature files (META-INF/NAME.SF), from the alias as jarsigner makes it. */
    static String signerName(String alias) {
        StringBuilder sb = new StringBuilder();
        for (char c : alias.toUpperCase(Locale.ROOT).toCharArray()) {
            if (sb.length() < 8 && (c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                sb.append(c);
            }
        }
        return sb.length() == 0 ? "SIGNER" : sb.toString();
    }

    private static String aliases(KeyStore store) throws KeyStoreException {
        List<String> all = new ArrayList<>();
        for (String a : Collections.list(store.aliases())) {
            all.add(quote(a));
        }
        Collections.sort(all);
        return all.isEmpty() ? "none" : String.join(", ", all);
    }

    private static String quote(String s) {
        return "'" + s + "'";
    }
}
