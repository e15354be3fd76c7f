package io.jlivepatch.trust;

import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJarBytes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Throwaway keys, trust stores and signed JARs for the trust tests, made with this JDK's own
 * {@code keytool} and {@code jarsigner}, as an operator makes them.
 */
final class Keys {

    static final String PASSWORD = "test-secret";

    private Keys() {
    }

    /** Runs a tool of this JDK's bin directory in {@code dir}; it must exit 0. */
    static String tool(Path dir, String tool, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", tool).toString());
        // the tools start a JVM each, dozens of times: the quick compiler is enough for them
        cmd.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), tool + " hung"); // a hang detector only
        assertTrue(p.exitValue() == 0, String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }

    /** keytool on {@code store} (PKCS12, {@link #PASSWORD}) with {@code args}. */
    static String keytool(Path dir, Path store, String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-keystore", store.toString(), "-storepass", PASSWORD, "-noprompt"));
        return tool(dir, "keytool", all.toArray(new String[0]));
    }

    /** A key pair whose certificate is self-signed, with extra keytool options (-startdate, -ext ...). */
    static void keyPair(Path dir, Path store, String alias, String dname, String... options)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", alias, "-dname", dname, "-keyalg", "EC",
                "-groupname", "secp256r1", "-validity", "365"));
        args.addAll(List.of(options));
        keytool(dir, store, args.toArray(new String[0]));
    }

    /** Makes {@code alias}'s certificate one issued by {@code ca} (of the same store), the chain imported. */
    static void issue(Path dir, Path store, String ca, String alias, String... gencertOptions)
            throws IOException, InterruptedException {
        Path request = dir.resolve(alias + ".csr");
        Path reply = dir.resolve(alias + ".reply.pem");
        keytool(dir, store, "-certreq", "-alias", alias, "-file", request.toString());
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-alias", ca, "-infile", request.toString(),
                "-outfile", reply.toString(), "-rfc", "-validity", "365"));
        gencert.addAll(List.of(gencertOptions));
        keytool(dir, store, gencert.toArray(new String[0]));
        keytool(dir, store, "-importcert", "-alias", alias, "-file", reply.toString());
    }

    /** Exports {@code alias}'s certificate to a file. */
    static Path export(Path dir, Path store, String alias) throws IOException, InterruptedException {
        Path cer = dir.resolve(alias + ".cer");
        keytool(dir, store, "-exportcert", "-alias", alias, "-file", cer.toString());
        return cer;
    }

    /** A trust store of {@code type} (PKCS12 or JKS) holding these certificates as trusted-cert entries. */
    static Path trustStore(Path dir, String name, String type, Path... certificates)
            throws IOException, InterruptedException {
        Path store = dir.resolve(name);
        for (Path cer : certificates) {
            String alias = cer.getFileName().toString().replace(".cer", "");
            tool(dir, "keytool", "-importcert", "-noprompt", "-alias", alias, "-file", cer.toString(), "-keystore",
                    store.toString(), "-storetype", type, "-storepass", PASSWORD);
        }
        return store;
    }

    /** {@code jar} signed by {@code alias} of {@code keys} with jarsigner, as a new file. */
    static Path sign(Path dir, Path keys, Path jar, String alias, String signed) throws IOException, InterruptedException {
        Path out = dir.resolve(signed);
        tool(dir, "jarsigner", "-keystore", keys.toString(), "-storepass", PASSWORD, "-signedjar", out.toString(),
                jar.toString(), alias);
        return out;
    }

    /** A small patch JAR as jlivepatch build writes one: manifest, a class, a properties file, a directory. */
    static Path patchJar(Path dir, String name) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "fix-signed");
        m.getMainAttributes().putValue("Livepatch-Description", "a signed test patch");
        m.getMainAttributes().putValue("Livepatch-Class", "com.acme.fix.Fix");
        Path jar = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m)) {
            jos.putNextEntry(new JarEntry("com/acme/fix/"));
            jos.closeEntry();
            jos.putNextEntry(new JarEntry("com/acme/fix/Fix.class"));
            jos.write(classBytes());
            jos.closeEntry();
            jos.putNextEntry(new JarEntry("META-INF/jlivepatch/old-classes.properties"));
            jos.write("com.acme.Target=abc\n".getBytes(StandardCharsets.ISO_8859_1));
            jos.closeEntry();
        }
        return jar;
    }

    private static byte[] classBytes() throws IOException {
        try (var in = Keys.class.getResourceAsStream("Keys.class")) {
            return in.readAllBytes();
        }
    }

    /** The JAR's content as the load pipeline holds it. */
    static PatchJarBytes bytes(Path jar) throws Exception {
        return PatchJarBytes.read(jar, JarLimits.current());
    }

    /** The entries of a zip, in order, with their bytes. */
    static Map<String, byte[]> entries(byte[] zip) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries.put(e.getName(), in.readAllBytes());
            }
        }
        return entries;
    }

    /**
     * {@code jar} rewritten entry by entry (signature files kept as they are), each entry's bytes
     * through {@code change} (name to new bytes, {@code null} to keep), then {@code added} appended.
     */
    static PatchJarBytes rewrite(Path jar, Map<String, UnaryOperator<byte[]>> change, Map<String, byte[]> added)
            throws Exception {
        return rewrite(jar, change, added, java.util.Set.of());
    }

    /** {@link #rewrite(Path, Map, Map)}, leaving out the entries named in {@code removed}. */
    static PatchJarBytes rewrite(Path jar, Map<String, UnaryOperator<byte[]>> change, Map<String, byte[]> added,
                                 java.util.Set<String> removed) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries(Files.readAllBytes(jar)).entrySet()) {
                if (removed.contains(e.getKey())) {
                    continue;
                }
                out.putNextEntry(new ZipEntry(e.getKey()));
                UnaryOperator<byte[]> c = change.get(e.getKey());
                out.write(c == null ? e.getValue() : c.apply(e.getValue()));
                out.closeEntry();
            }
            for (Map.Entry<String, byte[]> e : added.entrySet()) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return PatchJarBytes.of(jar.toString(), bytes.toByteArray(), JarLimits.current());
    }
}
