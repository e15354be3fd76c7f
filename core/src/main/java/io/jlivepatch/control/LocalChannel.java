package io.jlivepatch.control;

/**
 * Where a JVM's jlivepatch listens for the {@code jlivepatch} command: a UNIX domain socket in a
 * directory only the JVM's OS user can open ({@code ${java.io.tmpdir}/jlivepatch-<user>/}, mode
 * {@code 0700}). Its path, in the JVM's own file system, is the system property {@link #PROPERTY},
 * readable over the attach API ({@code VirtualMachine.getSystemProperties}). Over it, the command
 * calls the operations of {@link LivepatchMBean} and {@link PatchMBean}; the framing is the
 * command's and may change between versions, the interfaces may not.
 */
public final class LocalChannel {

    /** The socket's path, set once it listens. */
    public static final String PROPERTY = "jlivepatch.control";

    private LocalChannel() {
    }
}
