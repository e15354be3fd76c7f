package io.jlivepatch.internal;

/**
 * Closes what jlivepatch opened where a failed close changes nothing for the caller, which goes on
 * either way. Its callers and why each may ignore a failure:
 * <ul>
 * <li>the control socket's listening channel and its selector (ControlServer): closed because it was
 *     lost, replaced, failed to open, or the JVM exits; nothing accepts on it after, and what a
 *     close leaves open the process's end takes;</li>
 * <li>a command's selector (SessionChannel): its session ends, nothing waits in it;</li>
 * <li>a file channel nobody read or wrote (BoundedOpen): its caller gave the open up;</li>
 * <li>what the JVM's exit closes ({@link ClosedAtExit}): the JVM ends either way.</li>
 * </ul>
 * A close of a JDK channel or selector throws an IOException, a RuntimeException where a patch of a
 * method it runs throws, or a LinkageError where such a patch's code fails to link; none of them
 * makes it more or less closed to the caller.
 */
public final class Closing {

    private Closing() {
    }

    /** Closes {@code c} (nothing when null); never throws what a close throws. */
    public static void quietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception | LinkageError ignored) {
            // see the class's comment: each caller goes on either way
        }
    }
}
