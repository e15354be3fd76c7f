package io.jlivepatch.agent.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A path of another process's file system, to be read here through its {@code /proc/<pid>/root}: the
 * kernel follows that link into the process's root, but an absolute symbolic link met past it starts
 * again at this command's root, not the process's (a container's {@code /opt -> /data} would lead to
 * the host's {@code /data}). Its symbolic links are followed here instead, an absolute one from the
 * process's root, as the process itself would follow them.
 */
final class InRoot {

    /** The kernel's bound on the symbolic links one path may follow (MAXSYMLINKS). */
    private static final int LINKS = 40;

    private InRoot() {
    }

    /**
     * {@code name} as the process resolves it: an absolute one from {@code root} (its root seen here),
     * a relative one from {@code start} (its working directory seen here, or its root); null when its
     * links loop or cannot be read, or a name on the way cannot be looked up (a directory this command
     * may not search, a name too long): not known to be absent, which the process may see otherwise.
     * What is returned has no symbolic link past {@code root} or {@code start} but, perhaps, its last
     * name's target missing; a name known to be absent ends in a path that is absent too.
     */
    static Path resolve(Path root, Path start, String name) {
        Deque<String> names = new ArrayDeque<>();
        push(names, name);
        Path at = name.startsWith("/") ? root : start;
        int links = 0;
        try {
            while (!names.isEmpty()) {
                String n = names.pollFirst();
                if (n.isEmpty() || n.equals(".")) {
                    continue;
                }
                if (n.equals("..")) {
                    // the kernel takes .. of a real directory; at the process's root it stays there
                    at = at.equals(root) ? root : at.resolve("..");
                    continue;
                }
                Path next = at.resolve(n);
                if (!isSymbolicLink(next)) {
                    at = next;
                    continue;
                }
                if (++links > LINKS) {
                    return null;
                }
                String target = Files.readSymbolicLink(next).toString();
                push(names, target);
                if (target.startsWith("/")) {
                    at = root;
                }
            }
        } catch (IOException | SecurityException | InvalidPathException e) {
            return null;
        }
        return at;
    }

    /**
     * Whether {@code p} is a symbolic link; false when it is absent (and so is everything under it).
     * Files.isSymbolicLink says false also when it cannot tell (EACCES, ENAMETOOLONG), and the walk went
     * on past a name that was never looked at: a file the process has read as absent here.
     *
     * @throws IOException when the name cannot be looked up
     */
    private static boolean isSymbolicLink(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isSymbolicLink();
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** {@code path}'s names, put before those left to follow. */
    private static void push(Deque<String> names, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            names.addFirst(parts[i]);
        }
    }
}
