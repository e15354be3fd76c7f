package io.jlivepatch.internal.trust;

import io.jlivepatch.internal.BoundedOpen;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;

/**
 * A trust store file as read once, at start-up: its certificates, or what is wrong with it.
 *
 * <p>How keytool's stores load (found on JDK 17.0.15 and 25, the same on both):
 * <ul>
 * <li>JKS keeps certificates in the clear; the password only checks the file's integrity, so it
 *     loads with or without one, and a wrong one fails ("Keystore was tampered with, or password
 *     was incorrect").</li>
 * <li>PKCS12 as keytool writes it encrypts the certificates with the store password. Loaded with
 *     {@code null} it succeeds but holds nothing: trusted-cert entries are missing, key entries have
 *     no certificate. So without a password such a store reads as empty, and the message says to
 *     give the password. A wrong password fails ("keystore password was incorrect").</li>
 * <li>PKCS12 written with {@code -J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE
 *     -J-Dkeystore.pkcs12.macAlgorithm=NONE} loads with any password or none.</li>
 * </ul>
 * Hence: the store is loaded with the password given, or with {@code null} when none is given (no
 * integrity check then: the file's permissions protect it, as they protect the agent JAR).
 *
 * @param path         the file, for messages
 * @param certificates the X.509 certificates of its trusted-cert entries and its key entries
 * @param problem      why it cannot be used ("cannot be read (...): do ..."), {@code null} when it can
 */
record TrustStore(Path path, List<X509Certificate> certificates, String problem) {

    /** No trust store is larger: the JDK's own cacerts, 150 certificates, is under 200 KB. */
    static final int MAX_BYTES = 16 * 1024 * 1024;

    private static final int JKS_MAGIC = 0xFEEDFEED;

    TrustStore {
        certificates = List.copyOf(certificates);
    }

    /**
     * Tests only (TrustEnforcementIT): a pipe the store's read waits at until a writer comes, standing
     * for a file system that does not answer, which no local file can be made to do; since a pipe given
     * as the store itself is refused unread, the tests hold the installation here instead.
     */
    static final String TEST_GATE_PROPERTY = "jlivepatch.test.trustStoreGate";

    /**
     * Reads {@code path}; never throws: a store that cannot be used comes back with its problem.
     *
     * @param options how the problem names the options the store and its password were given with
     */
    static TrustStore load(Path path, String password, StoreOptions options) {
        holdAtTestGate();
        String where = "trust store " + Refusal.quote(path.toString());
        byte[] bytes;
        try {
            if (Files.isDirectory(path)) {
                return broken(path, where + " is a directory: give the path of a PKCS12 or JKS file");
            }
            // Never opened: the open of a pipe waits for a writer, for ever maybe, and held premain there
            // (the application never started) or the attach that named it (a review's finding)
            if (Files.exists(path) && !Files.isRegularFile(path)) {
                return broken(path, where + " is not a regular file (a pipe, a device or a socket): it is not read;"
                        + " give the path of a PKCS12 or JKS file");
            }
            bytes = read(path);
            if (bytes == null) {
                return broken(path, where + " is larger than " + MAX_BYTES + " bytes, too large for a trust store:"
                        + " give the path of a PKCS12 or JKS file of the certificates that sign patches");
            }
        } catch (NoSuchFileException e) {
            return broken(path, where + " does not exist: check the path given as " + options.store());
        } catch (AccessDeniedException e) {
            return broken(path, where + " cannot be read (permission denied): make it readable by "
                    + options.reader());
        } catch (IOException | SecurityException e) {
            return broken(path, where + " cannot be read (" + describe(e) + "): check the file");
        }
        String type = type(bytes);
        if (type == null) {
            return broken(path, where + " is not a PKCS12 or JKS key store: make one with keytool -importcert");
        }
        KeyStore store;
        try {
            store = KeyStore.getInstance(type);
            store.load(new ByteArrayInputStream(bytes), password == null ? null : password.toCharArray());
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                return broken(path, where + " cannot be read: the password is wrong (or the file was changed): "
                        + options.wrong());
            }
            return broken(path, where + " cannot be read as " + type + " (" + describe(e) + "): it is damaged or"
                    + " not a key store; make it again with keytool -importcert");
        } catch (GeneralSecurityException | RuntimeException e) {
            return broken(path, where + " cannot be read as " + type + " (" + describe(e) + "): make it again with"
                    + " keytool -importcert");
        }
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            for (Enumeration<String> aliases = store.aliases(); aliases.hasMoreElements(); ) {
                // a trusted-cert entry's certificate, or the first certificate of a key entry's chain
                Certificate c = store.getCertificate(aliases.nextElement());
                if (c instanceof X509Certificate x && !certificates.contains(x)) {
                    certificates.add(x);
                }
            }
        } catch (GeneralSecurityException e) {
            return broken(path, where + " cannot be read (" + describe(e) + "): make it again with keytool"
                    + " -importcert");
        }
        if (certificates.isEmpty()) {
            if (type.equals("PKCS12") && password == null) {
                // Read without its password, a PKCS12 store shows none of the certificates it holds: "add
                // the certificate" would send the operator to add one it has already.
                return broken(path, where + " shows no certificate without its password (a PKCS12 store's"
                        + " certificates are encrypted): give its password as " + options.password()
                        + " (a store that holds none: add the certificate that signs patches with keytool -importcert)");
            }
            return broken(path, where + " holds no certificate: add the certificate that signs patches"
                    + " with keytool -importcert");
        }
        return new TrustStore(path, certificates, null);
    }

    /** Waits at {@link #TEST_GATE_PROPERTY}'s pipe, if set, until its writer is done. */
    private static void holdAtTestGate() {
        String gate;
        try {
            gate = System.getProperty(TEST_GATE_PROPERTY);
        } catch (SecurityException e) {
            return;
        }
        if (gate == null) {
            return;
        }
        try (InputStream in = Files.newInputStream(Path.of(gate))) {
            in.readAllBytes();
        } catch (IOException | RuntimeException e) {
            // a gate that cannot be read holds nothing
        }
    }

    private static TrustStore broken(Path path, String problem) {
        return new TrustStore(path, List.of(), problem);
    }

    /** The file's bytes, or {@code null} when it has more than {@link #MAX_BYTES}. */
    private static byte[] read(Path path) throws IOException {
        // Opened a bounded time (BoundedOpen): a pipe renamed over the store after the check above
        // would hold premain, or the attach, in its open for good, as an unchecked one did.
        java.nio.channels.FileChannel channel = BoundedOpen.open(path, java.util.Set.of(StandardOpenOption.READ));
        if (channel == null) {
            throw new IOException("it could not be opened within " + BoundedOpen.describe(BoundedOpen.waitTime())
                    + ", though it was a regular file when checked: something else is there now (a pipe nobody"
                    + " writes, a device), or its file system does not answer");
        }
        try (InputStream in = java.nio.channels.Channels.newInputStream(channel)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            return bytes.length > MAX_BYTES ? null : bytes;
        }
    }

    /**
     * The store's type from its first bytes, {@code null} when it is neither: said here rather than
     * by the KeyStore, whose message for a text file is a DER parse error.
     */
    private static String type(byte[] bytes) {
        if (bytes.length >= 4 && ((bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8
                | (bytes[3] & 0xff)) == JKS_MAGIC) {
            return "JKS";
        }
        if (bytes.length >= 2 && bytes[0] == 0x30) { // a DER SEQUENCE: PKCS12's PFX
            return "PKCS12";
        }
        return null;
    }

    private static String describe(Exception e) {
        return Refusal.describe(e);
    }
}
