package io.jlivepatch.internal.watch;

import io.jlivepatch.PatchException;

import java.nio.file.Path;
import java.util.List;

/**
 * One reading of the watched directory: either the patches it asks for, or why it cannot be acted
 * on now. Reading never changes the stack; a snapshot that is not {@link Kind#READY} changes
 * nothing at all, so a broken or half-written directory never takes a patch down.
 *
 * @param kind     whether it can be acted on
 * @param desired  READY: the patches to be enabled, bottom first, from the last cumulative JAR on
 * @param skipped  READY: what was found and is not loaded, one line each (other file names, JARs a
 *                 later cumulative patch replaces), for the log and status
 * @param why      WAITING or FAILED: what is wrong and what to do; {@code ""} when READY
 * @param refusal  FAILED because of a file's content: the refusal, audited; else {@code null}
 * @param asked    WAITING or FAILED on a file of the directory: what the directory asks for as far as
 *                 it was read, for status ({@code watch-a 20-b.jar(refused) 30-c.jar(unread)}): the
 *                 directory asks for something new, which the last stack it asked for is not; {@code
 *                 null} when the directory itself could not be read (it says nothing new)
 */
record DirectorySnapshot(Kind kind, List<DesiredJar> desired, List<String> skipped, String why,
                         PatchException refusal, String asked) {

    enum Kind {
        /** Every file is whole and checked: act on it. */
        READY,
        /** The directory does not exist yet, or a file is still being written: look again soon. */
        WAITING,
        /** The directory or a file in it is wrong: nothing changes until it changes. */
        FAILED
    }

    DirectorySnapshot {
        desired = List.copyOf(desired);
        skipped = List.copyOf(skipped);
    }

    static DirectorySnapshot ready(List<DesiredJar> desired, List<String> skipped) {
        return new DirectorySnapshot(Kind.READY, desired, skipped, "", null, null);
    }

    static DirectorySnapshot waiting(String why) {
        return new DirectorySnapshot(Kind.WAITING, List.of(), List.of(), why, null, null);
    }

    static DirectorySnapshot failed(String why) {
        return new DirectorySnapshot(Kind.FAILED, List.of(), List.of(), why, null, null);
    }

    static DirectorySnapshot refused(PatchException refusal) {
        return new DirectorySnapshot(Kind.FAILED, List.of(), List.of(), refusal.reason() + ": " + refusal.getMessage(),
                refusal, null);
    }

    /** This WAITING or FAILED snapshot, saying what the directory asks for as far as it was read. */
    DirectorySnapshot asking(String asked) {
        return new DirectorySnapshot(kind, desired, skipped, why, refusal, asked);
    }

    /** The desired patch names, space-separated (the {@code DesiredPatches} attribute). */
    String desiredNames() {
        StringBuilder sb = new StringBuilder();
        for (DesiredJar j : desired) {
            sb.append(sb.length() == 0 ? "" : " ").append(j.name());
        }
        return sb.toString();
    }

    /**
     * A patch JAR of the directory, read whole and checked when the directory was read. Its bytes
     * are not kept (a directory may hold many large JARs): the reconcile reads the one it loads
     * again and loads it only if it still has this SHA-256.
     *
     * @param file    its file name in the directory
     * @param source  its path as people see it ({@code <dir>/<file>}), for provenance and the audit log
     * @param path    where it is read: in a Kubernetes volume, inside the {@code ..data} directory
     * @param sha256  the SHA-256 of the content that was checked
     * @param name    its patch's name ({@code Livepatch-Name})
     * @param replace whether it is a cumulative patch ({@code Livepatch-Replace: true})
     */
    record DesiredJar(String file, String source, Path path, String sha256, String name, boolean replace) {

        @Override
        public String toString() {
            return "'" + name + "' (" + file + ", sha256 " + sha256.substring(0, 12) + "…)";
        }
    }
}
