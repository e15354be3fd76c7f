package io.jlivepatch.agent.cli;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJar;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The start-up directory of {@code -javaagent:...=patches=<dir>}, whose {@code *.jar} files the
 * agent loads and enables in file-name order when the JVM starts. A JAR appears in it whole or
 * not at all: it is written to a temporary file that does not end in {@code .jar} (so a JVM
 * starting meanwhile skips it), forced to disk, then renamed over the final name.
 */
final class PatchDirectory {

    private final Path dir;

    PatchDirectory(Path dir) throws Refused {
        if (!Files.isDirectory(dir)) {
            throw new Refused("no directory " + Text.clean(dir.toString()) + ": give the directory the JVM loads its"
                    + " patches from at start-up (-javaagent:jlivepatch-agent.jar=patches=<dir>); create it first");
        }
        this.dir = dir;
    }

    Path path() {
        return dir;
    }

    /** The file {@code fileName} of this directory: a plain {@code .jar} name, not a path. */
    Path file(String fileName) throws Refused {
        if (!isPlainJarName(fileName)) {
            throw new Refused("'" + Text.clean(fileName) + "' is not a file name the start-up loader reads: use a"
                    + " name ending in .jar, without a directory, not starting with '.'");
        }
        return dir.resolve(fileName);
    }

    static boolean isPlainJarName(String name) {
        return name.endsWith(".jar") && name.length() > ".jar".length() && !name.startsWith(".")
                && name.indexOf('/') < 0 && name.indexOf('\\') < 0 && name.equals(Text.clean(name));
    }

    /**
     * Whether {@code name} begins or ends with white space (a no-break space too), which a listing does
     * not show: install refuses to write such a name, uninstall still removes one found there.
     */
    static boolean hasEdgeSpace(String name) {
        return !name.isEmpty() && (isSpace(name.codePointAt(0)) || isSpace(name.codePointBefore(name.length())));
    }

    /** {@code name} without the white space at its ends, as {@link #hasEdgeSpace} sees it. */
    static String withoutEdgeSpace(String name) {
        int from = 0;
        int to = name.length();
        while (from < to && isSpace(name.codePointAt(from))) {
            from += Character.charCount(name.codePointAt(from));
        }
        while (to > from && isSpace(name.codePointBefore(to))) {
            to -= Character.charCount(name.codePointBefore(to));
        }
        return name.substring(from, to);
    }

    private static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /**
     * The patch name of every {@code *.jar} of the directory that can be read as a patch JAR, by
     * file, in file-name order (the start-up loader's); a JAR that cannot be read maps to {@code null}.
     */
    Map<Path, String> patches() throws Refused {
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.jar")) {
            for (Path p : s) {
                if (Files.isRegularFile(p)) {
                    jars.add(p);
                }
            }
        } catch (IOException e) {
            throw new Refused("directory " + Text.clean(dir.toString()) + " cannot be read (" + Text.clean(
                    String.valueOf(e.getMessage())) + "): check its permissions", e);
        }
        jars.sort(null);
        Map<Path, String> names = new LinkedHashMap<>();
        for (Path jar : jars) {
            String name;
            try {
                name = PatchJar.read(jar, JarLimits.current()).name();
            } catch (PatchException e) {
                name = null;
            }
            names.put(jar, name);
        }
        return names;
    }

    /** {@code file.jar (patch-name), ...}, or {@code none}, for messages. */
    static String describe(Map<Path, String> patches) {
        List<String> all = new ArrayList<>();
        for (Map.Entry<Path, String> e : patches.entrySet()) {
            all.add(e.getKey().getFileName() + " (" + (e.getValue() == null ? "not a readable patch JAR"
                    : "'" + e.getValue() + "'") + ")");
        }
        return all.isEmpty() ? "none" : Text.clean(String.join(", ", all));
    }

    /**
     * Writes {@code content} as {@code target} atomically: {@code .<name>.tmp} first, forced to
     * disk, renamed over {@code target}, then the directory forced so that the rename survives a
     * crash. A temporary file left by an interrupted install is not overwritten (another install
     * may be writing it): the refusal names it. Without {@code replace}, a {@code target} that
     * appears meanwhile (another install) is never overwritten: the file is published with a hard
     * link, which fails when the name exists, where the file system has them.
     */
    void write(Path target, byte[] content, boolean replace) throws Refused {
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            if (replace) {
                // On the same file system (the same directory) a rename; it replaces target, if any.
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } else {
                publishNew(tmp, target);
            }
        } catch (FileAlreadyExistsException e) {
            if (e.getFile() != null && Paths.get(e.getFile()).equals(target)) {
                deleteQuietly(tmp);
                throw new Refused(Text.clean(target.toString()) + " was created by someone else while this install"
                        + " ran: nothing was installed; check it, then install again (--replace to overwrite)", e);
            }
            throw new Refused(Text.clean(tmp.toString()) + " exists: another install is writing it, or one was"
                    + " interrupted; remove it once no install runs, then install again", e);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new Refused("cannot write " + Text.clean(target.toString()) + " (" + Text.clean(String.valueOf(
                    e.getMessage())) + "): nothing was installed; check the directory's permissions and space", e);
        }
        forceDirectory();
    }

    /** Publishes {@code tmp} as {@code target}, failing when {@code target} exists; removes {@code tmp}. */
    private static void publishNew(Path tmp, Path target) throws IOException {
        try {
            Files.createLink(target, tmp); // atomic, and never replaces
        } catch (UnsupportedOperationException noHardLinks) {
            if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(target.toString());
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE); // the check above, then a rename
            return;
        }
        Files.delete(tmp);
    }

    /** Removes {@code file}; as the rename, made durable by forcing the directory. */
    void delete(Path file) throws Refused {
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new Refused("cannot remove " + Text.clean(file.toString()) + " (" + Text.clean(String.valueOf(
                    e.getMessage())) + "): check the directory's permissions", e);
        }
        forceDirectory();
    }

    private void forceDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Some systems cannot open or force a directory: the file is written and renamed all the
            // same, only its survival of a power failure in the next seconds is not guaranteed.
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the refusal already says nothing was installed; a stale .tmp is never loaded
        }
    }
}
