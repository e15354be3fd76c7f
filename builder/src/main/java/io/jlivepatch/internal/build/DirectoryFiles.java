package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The files under a directory of classes or of sources, as the JVM's class path (and javac) finds
 * them: symbolic links followed, to directories and to files alike. A walk that does not follow
 * them built a patch without the classes under a linked package directory (a patch without the fix)
 * and found nothing at all under a build given as a link ({@code /opt/app/current}). What cannot be
 * read as a whole tree is refused, naming the path: a link that leads back to a directory holding
 * it (a loop, which the JVM never reads through: its classes would have other names), a link to
 * nothing or to a device or pipe where a file is wanted (never opened: a pipe's read may never
 * return), and a directory or file that cannot be read, or is gone while it is read.
 */
final class DirectoryFiles {

    /**
     * For tests: wraps the walk's visitor, to change or fail the tree at a chosen point of the
     * walk. Set and reset by a test around its build (the builder's tests run one at a time);
     * volatile: the write in WalkHook pairs with the read at the start of each walk, whichever thread
     * builds.
     */
    static volatile UnaryOperator<FileVisitor<Path>> visitorForTests = UnaryOperator.identity();

    /** A refusal of the tree: its message names the path and what to do. */
    static final class Unreadable extends IOException {
        Unreadable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * What a tree holds, each by its path relative to the tree ({@code com/acme/A.class}, with
     * {@code /}), sorted.
     *
     * @param files     its files
     * @param irregular what is there but can be no file: a link to nothing, a device, a pipe; the
     *                  refusal to give if the caller would read it (a layout tells that from all the
     *                  names, so the walk cannot)
     */
    record Listing(Map<String, Path> files, Map<String, Unreadable> irregular) {
        /** The files, once none of {@code wanted}'s names is irregular. */
        Map<String, Path> files(Predicate<String> wanted) throws Unreadable {
            for (Map.Entry<String, Unreadable> e : irregular.entrySet()) {
                if (wanted.test(e.getKey())) {
                    throw e.getValue();
                }
            }
            return files;
        }
    }

    private DirectoryFiles() {
    }

    /**
     * Everything under {@code dir}.
     *
     * @param what what the tree is, for the advice: {@code "the build"}, {@code "the sources"}
     * @throws Unreadable for a loop, and any directory or file attribute that cannot be read
     */
    static Listing list(Path dir, String what) throws IOException {
        Map<String, Path> files = new TreeMap<>();
        Map<String, Unreadable> irregular = new TreeMap<>();
        FileVisitor<Path> visitor = new FileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                if (!d.equals(dir) && Files.isSymbolicLink(d)) {
                    refuseLoop(d);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                String name = dir.relativize(f).toString().replace('\\', '/');
                if (attrs.isRegularFile()) {
                    files.put(name, f);
                } else if (attrs.isSymbolicLink()) {
                    // the walk follows links: it gives one's own attributes only when its target cannot be read
                    irregular.put(name, new Unreadable(Text.clean(f.toString()) + " is a symbolic link to " + target(f)
                            + ", which does not exist or cannot be read: point it at the file, or remove it", null));
                } else {
                    irregular.put(name, new Unreadable(Text.clean(f.toString()) + " is not a file (a device, a pipe or"
                            + " a socket): remove it from " + what, null));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof FileSystemLoopException) {
                    throw loop(f, e);
                }
                throw cannotRead(f, e, what);
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw cannotRead(d, e, what);
                }
                return FileVisitResult.CONTINUE;
            }
        };
        Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                visitorForTests.apply(visitor));
        return new Listing(files, irregular);
    }

    /**
     * Refuses a link to a directory that holds it, {@code /} or the build's own parent say, before
     * the walk goes in: the walk would find the loop only once back at the build, after all else
     * that directory holds.
     */
    private static void refuseLoop(Path link) throws IOException {
        Path target;
        Path parent;
        try {
            target = link.toRealPath();
            parent = link.toAbsolutePath().getParent().toRealPath();
        } catch (IOException e) {
            return; // gone since the walk read it: the walk says so next
        }
        if (parent.startsWith(target)) {
            throw loop(link, null);
        }
    }

    private static Unreadable loop(Path link, Throwable cause) {
        return new Unreadable(Text.clean(link.toString()) + " is a symbolic link to " + target(link) + ", a"
                + " directory that holds it (a loop): remove the link", cause);
    }

    private static String target(Path link) {
        try {
            return Text.clean(Files.readSymbolicLink(link).toString());
        } catch (IOException | UnsupportedOperationException e) {
            return "a place that cannot be read";
        }
    }

    /** Opens a file {@link #list} found; the same refusal as the walk's when it cannot. */
    static InputStream open(Path file, String what) throws IOException {
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw cannotRead(file, e, what);
        }
    }

    /**
     * {@code path} cannot be read, and why, in words; the advice fits a tree being changed as it is
     * read (a build running beside it) as well as one that cannot be read at all.
     */
    static Unreadable cannotRead(Path path, IOException e, String what) {
        return new Unreadable(Text.clean(path.toString()) + " cannot be read (" + reason(e) + "): check that it is"
                + " there and readable, and that nothing changes " + what + " while jlivepatch reads it; then retry", e);
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "it is gone: removed while it was read?";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "it is no longer a directory: replaced while it was read?";
        }
        String m = e instanceof FileSystemException fs ? fs.getReason() : e.getMessage();
        if (e instanceof FileNotFoundException && m != null && m.endsWith(")") && m.lastIndexOf(" (") > 0) {
            m = m.substring(m.lastIndexOf(" (") + 2, m.length() - 1); // "path (Permission denied)"
        }
        return m == null || m.isBlank() ? "an input/output error" : Text.clean(Text.truncate(m.strip(), 200));
    }
}
