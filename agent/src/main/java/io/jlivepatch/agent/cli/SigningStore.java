package io.jlivepatch.agent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.UnrecoverableKeyException;
import java.security.cert.CertificateException;
import java.util.Arrays;

/**
 * The key store of {@code build --sign}, opened with its password, or a refusal saying what is
 * wrong with the file: missing, not a file, unreadable, empty, damaged or no key store, of an
 * algorithm this JDK lacks, or a password that does not open it.
 */
final class SigningStore {

    private SigningStore() {
    }

    /** What to do about a file that is no key store or a damaged one. */
    private static final String GIVE = "give --sign the PKCS12 or JKS file that holds the signing key";

    /**
     * {@code keystore} loaded with {@code storePassword}; {@code alias} and {@code keyPassword} only
     * tell a damaged file from a wrong password when the store does not open, and {@code storeGiven}
     * and {@code keyGiven} ({@code null} when the key's password is the store's) say where those
     * passwords were given.
     */
    static KeyStore open(Path keystore, String alias, char[] storePassword, char[] keyPassword,
            GivenPassword storeGiven, GivenPassword keyGiven) throws Refused {
        String where = "keystore " + keystore;
        if (Files.isDirectory(keystore)) {
            throw new Refused(where + " is a directory: " + GIVE);
        }
        if (!Files.exists(keystore)) {
            throw new Refused(where + " does not exist: " + GIVE);
        }
        if (!Files.isRegularFile(keystore)) { // a pipe or a device: never opened, it could block
            throw new Refused(where + " is not a regular file: " + GIVE);
        }
        boolean empty;
        // its first byte read here, not by the KeyStore, whose IOException is a damaged file as well as an
        // unreadable one; no more, as the KeyStore's probe reads only a few of a file that is no store
        try (InputStream in = Files.newInputStream(keystore)) {
            empty = in.read() < 0;
        } catch (IOException e) {
            throw new Refused(where + " cannot be read (" + e + "): check that this user may read it", e);
        }
        if (empty) {
            throw new Refused(where + " is empty: " + GIVE + " (keytool -genkeypair makes one)");
        }
        try {
            return KeyStore.getInstance(keystore.toFile(), storePassword);
        } catch (IOException e) {
            NoSuchAlgorithmException lacked = PatchSigner.lacked(e);
            if (lacked != null) { // a PKCS12 store's integrity or encryption algorithm
                throw lacking(where, lacked, e);
            }
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw passwordOrDamage(where, keystore, alias, storePassword, keyPassword, storeGiven, keyGiven, e);
            }
            // the type was recognized (else a KeyStoreException): what follows in the file is not
            throw new Refused(where + " is damaged, or is not a PKCS12 or JKS key store (" + e + "): " + GIVE
                    + ", an intact copy", e);
        } catch (KeyStoreException e) {
            throw new Refused(where + " is not a PKCS12 or JKS key store, or is damaged (no key store type reads"
                    + " it): " + GIVE + ", an intact copy", e);
        } catch (CertificateException e) {
            // The store's type was recognized (else a KeyStoreException above): it is one, of a certificate
            // this JDK has no factory for, as a JKS store names each certificate's type.
            throw new Refused(where + " holds a certificate this JDK cannot read (" + e.getMessage() + "): "
                    + PatchSigner.LACKING, e);
        } catch (NoSuchAlgorithmException e) {
            throw lacking(where, e, e);
        } catch (GeneralSecurityException | IllegalArgumentException | SecurityException e) {
            throw new Refused(where + " cannot be read (" + e + "): " + GIVE, e);
        }
    }

    /** The refusal of a store that uses an algorithm this JDK lacks ({@code lacked}, among {@code e}'s causes). */
    private static Refused lacking(String where, NoSuchAlgorithmException lacked, Exception e) {
        return new Refused(where + " cannot be read by this JDK, which lacks an algorithm the store uses ("
                + lacked.getMessage() + "): " + PatchSigner.LACKING, e);
    }

    /**
     * A store the password does not open: its integrity check (PKCS12's MAC, JKS's keyed digest) or
     * its certificates' decryption failed, which a wrong password and damaged bytes both do. The
     * key's own encryption tells them apart as far as it can: a store read without its password (no
     * check) whose key opens with the password given is damaged, unless that password is the key's
     * only and the store has another (a JKS store may; keytool makes PKCS12 stores with one).
     */
    private static Refused passwordOrDamage(String where, Path keystore, String alias, char[] storePassword,
            char[] keyPassword, GivenPassword storeGiven, GivenPassword keyGiven, IOException e) {
        // the cause says what failed; the IOException's own words ("keystore password was incorrect")
        // are the JDK's guess, which a damaged file makes too
        String failed = e.getCause().getMessage();
        KeyStore unchecked = withoutPassword(keystore);
        // (one that cannot be read without it either is named both ways too: the JDK's readers meet
        // such damage before the check, without an UnrecoverableKeyException, so none was found)
        if (unchecked != null && Arrays.equals(storePassword, keyPassword) && opens(unchecked, alias, keyPassword)) {
            // the options the operator gave, by name: the store's and the key's (or those to give it with)
            return new Refused(where + " fails its integrity check with the password given, which opens its key '"
                    + alias + "' (" + failed + "): the file is damaged, or that is the key's password and the store"
                    + " has another: put the store's password " + storeGiven.where() + " and "
                    + (keyGiven != null ? "keep the key's " + keyGiven.where()
                    : "give the key's with --keypass-env or --keypass-file") + "; if the two are one, " + GIVE
                    + ", an intact copy", e);
        }
        return new Refused(where + " cannot be opened: the password is wrong, or the file is damaged (it fails its"
                + " integrity check, which either does: " + failed + "): check the keystore's password "
                + storeGiven.where() + "; if it is right, " + GIVE + ", an intact copy", e);
    }

    /** The store {@code keystore} read without a password, which skips its integrity check; {@code null} if it cannot be. */
    private static KeyStore withoutPassword(Path keystore) {
        // PKCS12 reads a JKS file too (keystore.type.compat); JKS for a JDK configured otherwise
        for (String type : new String[] {"PKCS12", "JKS"}) {
            try (InputStream in = Files.newInputStream(keystore)) {
                KeyStore store = KeyStore.getInstance(type);
                store.load(in, null);
                return store;
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                // not of this type, or damaged: the other type, then none
            }
        }
        return null;
    }

    /** Whether {@code alias} of {@code store} is a key that {@code password} decrypts. */
    private static boolean opens(KeyStore store, String alias, char[] password) {
        try {
            Key key = store.getKey(alias, password);
            return key != null;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
