package io.jlivepatch.build;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;

/**
 * The archives people ship, written from class directories with {@code java.util.jar}: a Spring
 * Boot fat JAR laid out as Spring Boot's Maven plugin lays it out ({@code BOOT-INF/classes/},
 * nested JARs stored uncompressed in {@code BOOT-INF/lib/}, the launcher at the root, a manifest
 * naming {@code JarLauncher} and the {@code Start-Class}), and a WAR ({@code WEB-INF/classes/},
 * {@code WEB-INF/lib/}). No Spring dependency: only the layout matters to {@code build}.
 */
final class Archives {

    static final String LAUNCHER = "org/springframework/boot/loader/launch/JarLauncher";

    private Archives() {
    }

    /** A Spring Boot fat JAR of {@code classes} and the {@code libs} (file name to class directory). */
    static Path bootJar(Path out, Path classes, Map<String, Path> libs, String startClass) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, LAUNCHER.replace('/', '.'));
        m.getMainAttributes().putValue("Start-Class", startClass);
        m.getMainAttributes().putValue("Spring-Boot-Classes", "BOOT-INF/classes/");
        m.getMainAttributes().putValue("Spring-Boot-Lib", "BOOT-INF/lib/");
        Map<String, byte[]> entries = new TreeMap<>();
        entries.put(LAUNCHER + ".class", launcher());
        files(classes).forEach((name, bytes) -> entries.put("BOOT-INF/classes/" + name, bytes));
        return write(out, m, entries, libs, "BOOT-INF/lib/");
    }

    /** A WAR of {@code classes} and the {@code libs} (file name to class directory). */
    static Path war(Path out, Path classes, Map<String, Path> libs) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        Map<String, byte[]> entries = new TreeMap<>();
        entries.put("WEB-INF/web.xml", "<web-app/>".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        entries.put("index.html", "<html/>".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        files(classes).forEach((name, bytes) -> entries.put("WEB-INF/classes/" + name, bytes));
        return write(out, m, entries, libs, "WEB-INF/lib/");
    }

    /** A JAR of these entries, in this order, deflated. */
    static byte[] jar(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (JarOutputStream jar = new JarOutputStream(bytes, m)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The files under a directory by relative path, sorted. */
    static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                out.put(dir.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
        }
        return out;
    }

    /** Writes each entry as a file under {@code dir}: an extracted archive. */
    static Path extract(Path archive, Path dir) throws IOException {
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(archive.toFile())) {
            for (ZipEntry e : zip.stream().map(ZipEntry.class::cast).toList()) {
                if (!e.isDirectory()) {
                    Path f = dir.resolve(e.getName());
                    Files.createDirectories(f.getParent());
                    try (var in = zip.getInputStream(e)) {
                        Files.write(f, in.readAllBytes());
                    }
                }
            }
        }
        return dir;
    }

    private static Path write(Path out, Manifest m, Map<String, byte[]> entries, Map<String, Path> libs,
                              String libDir) throws IOException {
        try (OutputStream os = Files.newOutputStream(out); JarOutputStream jar = new JarOutputStream(os, m)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
            for (Map.Entry<String, Path> lib : new TreeMap<>(libs).entrySet()) {
                stored(jar, libDir + lib.getKey(), jar(files(lib.getValue())));
            }
        }
        return out;
    }

    /** An entry stored uncompressed, as Spring Boot stores nested JARs (its loader maps them in place). */
    static void stored(JarOutputStream jar, String name, byte[] bytes) throws IOException {
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

    /** A stand-in for Spring Boot's launcher: a class at the root that is not the application's. */
    private static byte[] launcher() {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, LAUNCHER, null, "java/lang/Object", null);
        cw.visitEnd();
        return cw.toByteArray();
    }

    static List<String> withoutLayoutNotes(List<String> lines) {
        return lines.stream().filter(l -> !l.matches("note: .* is a (Spring Boot fat JAR|WAR): .*")).toList();
    }
}
