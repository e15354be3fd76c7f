package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar jlivepatch-agent.jar build} on Spring Boot fat JARs as an operator runs it
 * (issue 17): the classes of {@code BOOT-INF/classes} and of the JARs in {@code BOOT-INF/lib} under
 * their real names, {@code --include 'com.acme.*'}, the dry run printing what the real build
 * prints, {@code --source} compiled against a fat JAR, and a damaged nested JAR refused by name.
 */
class BuildArchivesIT {

    private static final String SERVICE = """
            package com.acme.shop;
            public class PricingService {
                public long quote(int cents, int quantity) { return com.lib.money.Money.round((long) cents * quantity%s); }
            }
            """;
    private static final String MONEY = """
            package com.lib.money;
            public final class Money {
                public static long round(long cents) { return %s; }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void aFixInTheApplicationAndOneInALibraryAreFoundInFatJarsAndTheDryRunPrintsWhatTheBuildPrints() throws Exception {
        Path oldJar = bootJar("1.0", "", "cents");
        Path newJar = bootJar("1.0-fixed", " - 1", "Math.max(0, cents)");
        Path patch = dir.resolve("fix-quote.jar");

        CliProcess dry = CliProcess.run("build", "--old", oldJar, "--new", newJar, "--include", "com.acme.*", "--dry-run");
        CliProcess real = CliProcess.run("build", "--old", oldJar, "--new", newJar, "--include", "com.acme.*",
                "--name", "fix-quote", "-o", patch);
        assertEquals(0, dry.exitCode(), dry.toString());
        assertEquals(0, real.exitCode(), real.toString());
        assertEquals(List.of("changed function: com.acme.shop.PricingService.quote(II)J",
                "note: " + oldJar + " is a Spring Boot fat JAR: compared 1 classes of BOOT-INF/classes and 1 of its 1"
                        + " nested JARs; the launcher's 1 classes at its root are left alone",
                "note: " + newJar + " is a Spring Boot fat JAR: compared 1 classes of BOOT-INF/classes and 1 of its 1"
                        + " nested JARs; the launcher's 1 classes at its root are left alone",
                "1 changed, 0 new function(s), 0 new class(es)"), dry.out().lines().toList());
        assertEquals(dry.out() + "patch written: " + patch + "\n", real.out());
        try (JarFile jar = new JarFile(patch.toFile())) {
            assertEquals("com.acme.shop.PricingService$$Livepatch=com.acme.shop.PricingService",
                    jar.getManifest().getMainAttributes().getValue("Livepatch-Nestmates"));
        }

        // without --include the library's nested JAR is compared too: its fix is found
        CliProcess all = CliProcess.run("build", "--old", oldJar, "--new", newJar, "--dry-run");
        assertEquals(0, all.exitCode(), all.toString());
        assertTrue(all.out().contains("changed function: com.lib.money.Money.round(J)J\n"), all.toString());
        assertTrue(all.out().contains("2 changed, 0 new function(s), 0 new class(es)"), all.toString());
    }

    @Test
    void sourcesCompileAgainstAFatJar() throws Exception {
        Path oldJar = bootJar("1.0", "", "cents");
        Path src = Files.createDirectories(dir.resolve("src/com/acme/shop")).resolve("PricingService.java");
        Files.writeString(src, SERVICE.formatted(" - 1"));
        CliProcess c = CliProcess.run("build", "--old", oldJar, "--source", src, "--dry-run");
        assertEquals(0, c.exitCode(), c.toString());
        assertTrue(c.out().startsWith("changed function: com.acme.shop.PricingService.quote(II)J\n"), c.toString());
    }

    @Test
    void aDamagedNestedJarIsRefusedByNameInTheDryRunAndTheBuild() throws Exception {
        Path good = bootJar("1.0", "", "cents");
        Path bad = dir.resolve("damaged.jar");
        try (JarFile in = new JarFile(good.toFile()); OutputStream os = Files.newOutputStream(bad);
             JarOutputStream out = new JarOutputStream(os, in.getManifest())) {
            for (JarEntry e : in.stream().toList()) {
                if (!e.getName().equals(JarFile.MANIFEST_NAME)) {
                    byte[] bytes = in.getInputStream(e).readAllBytes();
                    stored(out, e.getName(), e.getName().endsWith(".jar") ? new byte[] {'P', 'K', 3, 4, 9, 9} : bytes);
                }
            }
        }
        Path patch = dir.resolve("never.jar");
        for (Object[] args : List.of(new Object[] {"build", "--old", bad, "--new", good, "--dry-run"},
                new Object[] {"build", "--old", bad, "--new", good, "--name", "fix", "-o", patch})) {
            CliProcess c = CliProcess.run(args);
            assertEquals(1, c.exitCode(), c.toString());
            assertTrue(c.err().startsWith("jlivepatch: refused: cannot read the build " + bad + ": entry"
                    + " BOOT-INF/lib/money-1.0.jar of " + bad + " is a damaged JAR (it has no central directory: cut short?)"), c.toString());
            assertFalse(c.err().contains("NullPointerException"), c.toString());
            assertFalse(Files.exists(patch));
        }
    }

    /** A Spring Boot fat JAR: the service in BOOT-INF/classes, the Money library in BOOT-INF/lib. */
    private Path bootJar(String version, String quoteChange, String round) throws IOException {
        Path work = Files.createDirectories(dir.resolve(version));
        Path lib = compile(work.resolve("lib"), Map.of("com/lib/money/Money.java", MONEY.formatted(round)), List.of());
        Path app = compile(work.resolve("classes"), Map.of("com/acme/shop/PricingService.java",
                SERVICE.formatted(quoteChange)), List.of(lib));
        Path jar = work.resolve("shop-" + version + ".jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "org.springframework.boot.loader.launch.JarLauncher");
        m.getMainAttributes().putValue("Start-Class", "com.acme.shop.ShopApplication");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os, m)) {
            // the launcher at the root: any class will do, it is never compared
            stored(out, "org/springframework/boot/loader/launch/JarLauncher.class",
                    Files.readAllBytes(lib.resolve("com/lib/money/Money.class")));
            for (Map.Entry<String, byte[]> e : files(app).entrySet()) {
                stored(out, "BOOT-INF/classes/" + e.getKey(), e.getValue());
            }
            ByteArrayOutputStream nested = new ByteArrayOutputStream();
            try (JarOutputStream n = new JarOutputStream(nested)) {
                for (Map.Entry<String, byte[]> e : files(lib).entrySet()) {
                    n.putNextEntry(new JarEntry(e.getKey()));
                    n.write(e.getValue());
                    n.closeEntry();
                }
            }
            stored(out, "BOOT-INF/lib/money-1.0.jar", nested.toByteArray());
        }
        return jar;
    }

    private static Path compile(Path out, Map<String, String> sources, List<Path> classpath) throws IOException {
        Path src = Files.createDirectories(out.resolveSibling(out.getFileName() + "-src"));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-g", "-d", out.toString()));
        if (!classpath.isEmpty()) {
            args.addAll(List.of("-classpath", classpath.get(0).toString()));
        }
        for (Map.Entry<String, String> s : sources.entrySet()) {
            Path f = src.resolve(s.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, s.getValue());
            args.add(f.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, null, err, args.toArray(String[]::new));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        return out;
    }

    private static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                out.put(dir.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
        }
        return out;
    }

    /** Stored uncompressed, as Spring Boot stores its entries' nested JARs. */
    private static void stored(JarOutputStream jar, String name, byte[] bytes) throws IOException {
        JarEntry e = new JarEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(bytes.length);
        e.setCompressedSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        e.setCrc(crc.getValue());
        jar.putNextEntry(e);
        jar.write(bytes);
        jar.closeEntry();
    }
}
