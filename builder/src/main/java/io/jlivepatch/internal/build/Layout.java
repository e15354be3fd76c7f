package io.jlivepatch.internal.build;

import java.util.Collection;
import java.util.List;

/**
 * Where a build keeps its classes, told by its entries' names: a plain JAR or class directory
 * keeps them at its root; a Spring Boot fat JAR in {@code BOOT-INF/classes/} with its libraries
 * nested in {@code BOOT-INF/lib/}; a WAR in {@code WEB-INF/classes/} and {@code WEB-INF/lib/}
 * ({@code WEB-INF/lib-provided/} too: Spring Boot's executable WARs run with those). The same for
 * an extracted directory of each.
 */
enum Layout {

    PLAIN("", "", List.of()),
    SPRING_BOOT("a Spring Boot fat JAR", "BOOT-INF/classes/", List.of("BOOT-INF/lib/")),
    WAR("a WAR", "WEB-INF/classes/", List.of("WEB-INF/lib/", "WEB-INF/lib-provided/"));

    /** What a class entry is to the build. */
    enum Role {
        /** one of the application's classes, named by the path after {@link #classes} */
        APPLICATION,
        /** a library JAR nested in the archive, whose classes are compared too */
        LIBRARY,
        /** a class at the root of a fat JAR or WAR: its launcher, never the application's code */
        LAUNCHER,
        /** anything else (resources, {@code META-INF/}, {@code module-info}) */
        OTHER
    }

    final String description;
    /** the directory of the application's classes, with its trailing slash ({@code ""} for the root) */
    final String classes;
    private final List<String> libraries;

    Layout(String description, String classes, List<String> libraries) {
        this.description = description;
        this.classes = classes;
        this.libraries = libraries;
    }

    /** Whether classes are nested below the root: the archive is then no class path entry of its own. */
    boolean nested() {
        return this != PLAIN;
    }

    static Layout of(Collection<String> entryNames) {
        for (String n : entryNames) {
            if (n.startsWith("BOOT-INF/")) {
                return SPRING_BOOT;
            }
        }
        for (String n : entryNames) {
            if (n.startsWith("WEB-INF/")) {
                return WAR;
            }
        }
        return PLAIN;
    }

    Role role(String entry) {
        for (String lib : libraries) {
            if (entry.startsWith(lib) && entry.endsWith(".jar") && entry.indexOf('/', lib.length()) < 0) {
                return Role.LIBRARY;
            }
        }
        if (!isClass(entry)) {
            return Role.OTHER;
        }
        if (entry.startsWith(classes)) {
            return isClass(entry.substring(classes.length())) ? Role.APPLICATION : Role.OTHER;
        }
        return nested() && !entry.startsWith("BOOT-INF/") && !entry.startsWith("WEB-INF/") ? Role.LAUNCHER : Role.OTHER;
    }

    /** A class file the JVM loads by its path: not a module descriptor, nothing under {@code META-INF/}. */
    static boolean isClass(String path) {
        return path.endsWith(".class") && !path.endsWith("module-info.class") && !path.startsWith("META-INF/");
    }
}
