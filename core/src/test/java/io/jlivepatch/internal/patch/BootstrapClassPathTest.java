package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BootstrapClassPathTest {

    /**
     * Every class of the bootstrap package, nested ones included, must go on the boot class path,
     * and io.jlivepatch.Shadow (which has no nested class: a new one would have to be listed too).
     */
    @Test
    void theListedClassesAreExactlyTheBootstrapPackage() throws IOException, URISyntaxException {
        String pkg = "io/jlivepatch/internal/bootstrap";
        Path dir = Paths.get(getClass().getClassLoader().getResource(pkg).toURI());
        Set<String> classes;
        try (Stream<Path> files = Files.list(dir)) {
            classes = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.equals("package-info.class"))
                    .map(n -> pkg + "/" + n.substring(0, n.length() - ".class".length()))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        // The directory of Shadow.class (main classes), not the first io/jlivepatch (test classes).
        Path api = Paths.get(getClass().getClassLoader().getResource("io/jlivepatch/Shadow.class").toURI()).getParent();
        try (Stream<Path> files = Files.list(api)) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.equals("Shadow.class") || n.startsWith("Shadow$"))
                    .forEach(n -> classes.add("io/jlivepatch/" + n.substring(0, n.length() - ".class".length())));
        }
        assertTrue(classes.contains("io/jlivepatch/Shadow"), "io/jlivepatch/Shadow.class not found in " + api);
        assertEquals(classes, new TreeSet<>(BootstrapClassPath.CLASSES),
                "BootstrapClassPath.CLASSES must list every class of " + pkg + " and io/jlivepatch/Shadow: update it");
    }
}
