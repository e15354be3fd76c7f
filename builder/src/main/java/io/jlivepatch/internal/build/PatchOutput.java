package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Text;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the patch JAR goes ({@code -o}): refused, in one line naming it (escaped: a path may hold
 * control characters) and saying what to do, before anything is read or written, when the JAR could
 * not be written there or writing it would lose something; and the words for a write that fails all
 * the same. Before, a missing or unwritable directory, or one that was a file, surfaced after the
 * whole build as the file system's exception, whose message was the raw path of a temporary file.
 */
final class PatchOutput {

    private PatchOutput() {
    }

    /** See {@link Builder#checkOutput}. */
    static void check(Path out, String name, List<Path> inputs) throws IOException {
        String shown = Text.clean(out.toString());
        if (Files.isDirectory(out)) {
            throw new IOException(shown + " is a directory: give the patch JAR's file name (" + Text.clean(out.resolve(
                    (name == null ? "fix" : name) + ".jar").toString()) + ")");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            Path existing = parent;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing != null && !Files.isDirectory(existing)) {
                throw new IOException("cannot write the patch JAR " + shown + ": " + Text.clean(existing.toString())
                        + (Files.isRegularFile(existing) ? " is a file, not a directory" : " is not a directory") + ": give"
                        + " the patch JAR a path in a directory");
            }
            throw new IOException("cannot write the patch JAR " + shown + ": its directory " + Text.clean(parent
                    .toString()) + " does not exist: create it, or give the patch JAR a path in an existing directory");
        }
        // the JAR is written beside its place and moved there: the directory must take a new file
        if (!Files.isWritable(parent)) {
            throw new IOException("cannot write the patch JAR " + shown + ": its directory " + Text.clean(parent
                    .toString()) + " is not writable: make it writable, or give the patch JAR a path in a directory"
                    + " you may write");
        }
        for (Path in : inputs) {
            boolean same;
            try {
                same = Files.exists(out) && Files.exists(in) && Files.isSameFile(out, in);
            } catch (IOException e) {
                // both were there a moment before: one changed meanwhile, or cannot be looked at
                throw new IOException("cannot tell whether " + shown + " is the build " + Text.clean(in.toString())
                        + " (" + reason(e) + "): check that both can be read and that nothing changes them meanwhile;"
                        + " then retry", e);
            }
            if (same) {
                throw new IOException(shown + " is the build " + Text.clean(in.toString()) + " that the patch is made"
                        + " from: writing the patch there would replace it; give the patch JAR another file name");
            }
            Path inside = fileInside(out, in);
            if (inside != null) {
                throw new IOException(shown + " is " + Text.clean(inside.toString()) + ", a file of the build "
                        + Text.clean(in.toString()) + " that the patch is made from: writing the patch there would"
                        + " replace it; give the patch JAR a path outside the build");
            }
        }
    }

    /**
     * The file {@code out} names (its real path) when it is one already there in directory {@code in} or
     * below, however either is reached (a link to a package directory, a build given as a link): the
     * JAR's move into place would replace a class file or resource of that build. Of the directory the
     * build is read from: a Maven project's {@code target/classes}, not the project, whose
     * {@code target/fix.jar} is the patch of the build before. Null when it is not, and when {@code out}
     * is a new file: one added beside the build's files loses nothing.
     */
    private static Path fileInside(Path out, Path given) throws IOException {
        Path in = Files.isDirectory(given) ? ClassSet.mavenClasses(given) : given;
        if (!Files.isDirectory(in) || !Files.exists(out)) {
            return null;
        }
        Path file;
        Path dir;
        try {
            file = out.toRealPath();
            dir = in.toRealPath();
        } catch (IOException e) {
            throw new IOException("cannot tell whether " + Text.clean(out.toString()) + " is in the build "
                    + Text.clean(in.toString()) + " (" + reason(e) + "): check that both can be read and that"
                    + " nothing changes them meanwhile; then retry", e);
        }
        return file.startsWith(dir) ? file : null;
    }

    /** A write of the patch JAR to {@code out} that failed after {@link #check} let it through. */
    static IOException notWritten(Path out, IOException e) {
        return new IOException("cannot write the patch JAR " + Text.clean(out.toString()) + " (" + reason(e) + "):"
                + " check that its directory exists and is writable, and that its disk has room; then retry", e);
    }

    /** Why, in words: a file system exception's message is often only the path it failed on. */
    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "its directory is gone, or a file is: removed meanwhile?";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        String m = e instanceof FileSystemException fs ? fs.getReason() : e.getMessage();
        return m == null || m.isBlank() ? "an input/output error" : Text.clean(Text.truncate(m.strip(), 200));
    }
}
