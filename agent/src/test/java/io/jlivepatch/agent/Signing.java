package io.jlivepatch.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** Throwaway keys, trust stores and signed JARs, made by the JDK's keytool and jarsigner as an operator makes them. */
final class Signing {

    /** The password of every key store made here. */
    static final String PASSWORD = "throwaway-pw";

    private static final long HANG_SECONDS = 120;

    /** A private key and its self-signed certificate, alias {@code alias} in a PKCS12 key store. */
    record Key(Path keystore, String alias, String subject) {
    }

    private Signing() {
    }

    static Key newKey(Path dir, String alias) throws IOException, InterruptedException {
        return newKey(dir, alias, "CN=" + alias + ",O=jlivepatch tests");
    }

    /** A key of alias {@code alias} whose certificate names {@code subject}: another's, say. */
    static Key newKey(Path dir, String alias, String subject) throws IOException, InterruptedException {
        Path keystore = dir.resolve(alias + "-key.p12");
        tool("keytool", "-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1",
                "-sigalg", "SHA256withECDSA", "-dname", subject, "-validity", "30", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
        return new Key(keystore, alias, subject);
    }

    /** A trust store ({@code PKCS12} or {@code JKS}) holding the certificates of {@code keys} only. */
    static Path trustStore(Path dir, String file, String type, Key... keys) throws IOException, InterruptedException {
        Path store = dir.resolve(file);
        for (Key k : keys) {
            Path cert = dir.resolve(k.alias() + ".cer");
            tool("keytool", "-exportcert", "-alias", k.alias(), "-keystore", k.keystore().toString(),
                    "-storetype", "PKCS12", "-storepass", PASSWORD, "-file", cert.toString());
            tool("keytool", "-importcert", "-noprompt", "-alias", k.alias(), "-file", cert.toString(),
                    "-keystore", store.toString(), "-storetype", type, "-storepass", PASSWORD);
        }
        return store;
    }

    /** {@code jar} signed by {@code key}, written as {@code dir/file}. */
    static Path sign(Path jar, Key key, Path dir, String file) throws IOException, InterruptedException {
        Path signed = dir.resolve(file);
        tool("jarsigner", "-keystore", key.keystore().toString(), "-storetype", "PKCS12", "-storepass", PASSWORD,
                "-signedjar", signed.toString(), jar.toString(), key.alias());
        return signed;
    }

    /** A copy of {@code jar} with one more entry, which its signature does not cover. */
    static Path withExtraEntry(Path jar, Path dir, String file, String entry) throws IOException {
        Path out = dir.resolve(file);
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
             ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(out))) {
            copyEntries(in, zos, null, null);
            zos.putNextEntry(new ZipEntry(entry));
            zos.write("added after signing".getBytes(StandardCharsets.UTF_8));
            zos.closeEntry();
        }
        return out;
    }

    /** A copy of {@code jar} without {@code entry}, which its signature still lists. */
    static Path withoutEntry(Path jar, Path dir, String file, String entry) throws IOException {
        Path out = dir.resolve(file);
        boolean removed = false;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
             ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                byte[] bytes = in.readAllBytes();
                if (e.getName().equals(entry)) {
                    removed = true;
                    continue;
                }
                zos.putNextEntry(new ZipEntry(e.getName()));
                zos.write(bytes);
                zos.closeEntry();
            }
        }
        if (!removed) {
            throw new AssertionError(jar + " has no entry " + entry);
        }
        return out;
    }

    /** A copy of {@code jar} whose {@code entry} has other bytes than those signed. */
    static Path withChangedEntry(Path jar, Path dir, String file, String entry, byte[] content) throws IOException {
        Path out = dir.resolve(file);
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
             ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(out))) {
            copyEntries(in, zos, entry, content);
        }
        return out;
    }

    /**
     * A copy of {@code signed} (signed by {@code key} with jarsigner) whose signature file {@code key} wrote is
     * rewritten by {@code sf} and signed again by openssl (a detached PKCS#7 SignedData over it, without signed
     * attributes, as the JDK's verifier takes it), its manifest rewritten by {@code manifest}: a signature as
     * tools other than jarsigner write it, which the JDK verifies.
     */
    static Path withSignatureFileRewritten(Path signed, Key key, Path dir, String file, UnaryOperator<String> sf,
            UnaryOperator<String> manifest) throws IOException, InterruptedException {
        String base = "META-INF/" + key.alias().toUpperCase(Locale.ROOT);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(signed))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries.put(e.getName(), in.readAllBytes());
            }
        }
        if (!entries.containsKey(base + ".SF") || !entries.containsKey(base + ".EC")) {
            throw new AssertionError(signed + " has no " + base + ".SF and .EC: " + entries.keySet());
        }
        Path sfFile = dir.resolve(file + ".sf");
        Files.writeString(sfFile, sf.apply(new String(entries.get(base + ".SF"), StandardCharsets.UTF_8)));
        Path pem = dir.resolve(file + "-" + key.alias() + ".pem"); // the key and its certificate
        run(List.of("openssl", "pkcs12", "-in", key.keystore().toString(), "-passin", "pass:" + PASSWORD, "-nodes",
                "-out", pem.toString()));
        Path block = dir.resolve(file + ".ec");
        run(List.of("openssl", "cms", "-sign", "-binary", "-noattr", "-outform", "DER", "-md", "sha256", "-signer",
                pem.toString(), "-in", sfFile.toString(), "-out", block.toString()));
        entries.put(base + ".SF", Files.readAllBytes(sfFile));
        entries.put(base + ".EC", Files.readAllBytes(block));
        entries.computeIfPresent("META-INF/MANIFEST.MF", (n, b) -> manifest.apply(new String(b,
                StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        Path out = dir.resolve(file);
        try (ZipOutputStream zos = new ZipOutputStream(Files.newOutputStream(out))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) { // in their order: the signature files first
                zos.putNextEntry(new ZipEntry(e.getKey()));
                zos.write(e.getValue());
                zos.closeEntry();
            }
        }
        return out;
    }

    /** Copies every entry, {@code changed} (if not null) with {@code content} instead of its own. */
    private static void copyEntries(ZipInputStream in, ZipOutputStream out, String changed, byte[] content)
            throws IOException {
        ZipEntry e;
        while ((e = in.getNextEntry()) != null) {
            out.putNextEntry(new ZipEntry(e.getName()));
            byte[] bytes = in.readAllBytes();
            if (e.getName().equals(changed)) {
                bytes = content;
            }
            out.write(bytes);
            out.closeEntry();
        }
    }

    private static void tool(String name, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", name).toString());
        cmd.addAll(List.of(args));
        run(cmd);
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        String name = Paths.get(cmd.get(0)).getFileName().toString();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(HANG_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(name + " still runs after " + HANG_SECONDS + " s: it hangs");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "):\n" + output);
        }
    }
}
