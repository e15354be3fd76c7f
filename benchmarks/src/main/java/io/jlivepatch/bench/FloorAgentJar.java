package io.jlivepatch.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

/** Writes {@link bench.startup.FloorAgent}'s JAR for {@link StartupCost}. */
final class FloorAgentJar {

    private FloorAgentJar() {
    }

    /**
     * The floor agent's JAR ({@link bench.startup.FloorAgent}): its classes and ASM's core package, stored
     * uncompressed as jlivepatch's own JAR is, with the capabilities of jlivepatch's manifest.
     */
    static Path write(Path jar) throws IOException {
        java.util.jar.Manifest manifest = StartupCost.agentManifest(bench.startup.FloorAgent.class.getName());
        Map<String, byte[]> classes = new java.util.TreeMap<>();
        String agentPrefix = bench.startup.FloorAgent.class.getName().replace('.', '/');
        String asm = "org/objectweb/asm/";
        for (Class<?> anchor : List.<Class<?>>of(bench.startup.FloorAgent.class, org.objectweb.asm.ClassReader.class)) {
            Path source;
            try {
                source = Paths.get(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (java.net.URISyntaxException e) {
                throw new IOException(e);
            }
            try (java.nio.file.FileSystem fs = Files.isDirectory(source) ? null
                    : java.nio.file.FileSystems.newFileSystem(source, (ClassLoader) null);
                 var files = Files.walk(fs == null ? source : fs.getPath("/"))) {
                Path root = fs == null ? source : fs.getPath("/");
                for (Path f : (Iterable<Path>) files::iterator) {
                    String name = root.relativize(f).toString().replace(File.separatorChar, '/');
                    boolean agentClass = name.startsWith(agentPrefix) && name.endsWith(".class");
                    boolean asmClass = name.startsWith(asm) && name.endsWith(".class")
                            && name.indexOf('/', asm.length()) < 0;
                    if (agentClass || asmClass) {
                        classes.put(name, Files.readAllBytes(f));
                    }
                }
            }
        }
        if (!classes.containsKey("org/objectweb/asm/ClassReader.class") || !classes.containsKey(agentPrefix + ".class")) {
            throw new IOException("the floor agent's classes or ASM's were not found: " + classes.keySet());
        }
        try (java.io.OutputStream out = Files.newOutputStream(jar);
             java.util.jar.JarOutputStream jos = new java.util.jar.JarOutputStream(out, manifest)) {
            for (Map.Entry<String, byte[]> e : classes.entrySet()) {
                java.util.jar.JarEntry entry = new java.util.jar.JarEntry(e.getKey());
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(e.getValue());
                entry.setMethod(java.util.zip.ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                entry.setCompressedSize(e.getValue().length);
                entry.setCrc(crc.getValue());
                jos.putNextEntry(entry);
                jos.write(e.getValue());
                jos.closeEntry();
            }
        }
        return jar;
    }
}
