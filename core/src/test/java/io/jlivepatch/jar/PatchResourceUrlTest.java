package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileNotFoundException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A URL of a patch's resource is read from the JAR's checked bytes of the entry it names, also when
 * it is made from another (a relative include, {@code new URL(url, "b.txt")}). Before, every URL made
 * from a resource's URL read that first resource's bytes, whatever it named; a name outside the JAR
 * (a signature file, a path of the file system) read them too. Now it is not found, as a missing
 * entry of a JAR on the class path is, and no file is ever opened.
 */
class PatchResourceUrlTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aUrlMadeFromAResourcesUrlReadsTheEntryItNames() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>(Jars.classes("jarapp.fix.CounterFix"));
        entries.put("jarapp/fix/a.xml", "A".getBytes(StandardCharsets.UTF_8));
        entries.put("jarapp/fix/b.xml", "B".getBytes(StandardCharsets.UTF_8));
        entries.put("jarapp/fix/sub/c#1.xml", "C".getBytes(StandardCharsets.UTF_8));
        entries.put("jarapp/d.xml", "D".getBytes(StandardCharsets.UTF_8));
        Path jar = Jars.write(dir.resolve("resources.jar"), Jars.manifest("fix-resource-urls", "jarapp.fix.CounterFix"),
                entries);
        PatchHandle h = Jars.lp().load(jar);
        ClassLoader loader = h.patch().replacements().get(0).replacement().getDeclaringClass().getClassLoader();
        URL a = loader.getResource("jarapp/fix/a.xml");
        assertEquals("A", read(a));
        assertEquals("B", read(new URL(a, "b.xml")));
        assertEquals("C", read(new URL(a, "sub/c#1.xml")));
        assertEquals("C", read(loader.getResource("jarapp/fix/sub/c#1.xml")));
        assertEquals("D", read(new URL(a, "../d.xml")));
        // the class file it names: the checked bytes, as getResource gives them
        assertEquals(new String(entries.get("jarapp/fix/CounterFix.class"), StandardCharsets.ISO_8859_1),
                new String(new URL(a, "CounterFix.class").openStream().readAllBytes(), StandardCharsets.ISO_8859_1));
        Path outside = Files.writeString(dir.resolve("outside.xml"), "file");
        for (String name : new String[] {"missing.xml", "../../../META-INF/EVIL.SF", "../../../META-INF/MANIFEST.MF",
            outside.toString(), "../../../../../.." + outside}) {
            URL u = new URL(a, name);
            assertThrows(FileNotFoundException.class, () -> read(u), u.toString());
        }
    }

    private static String read(URL url) throws Exception {
        try (InputStream in = url.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
