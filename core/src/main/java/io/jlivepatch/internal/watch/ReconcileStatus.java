package io.jlivepatch.internal.watch;

/**
 * What the fleet's monitoring reads ({@code DesiredPatches}, {@code ReconcileState},
 * {@code LastReconcile} of the {@code Livepatch} MBean): one immutable value, replaced whole, so a
 * reader never sees the state of one reconcile with the desired patches of another.
 *
 * @param directory     the watched directory as given, or {@code ""} when none is watched
 * @param desired       the patch names the directory asks for, space-separated, in stack order
 * @param state         {@code converged}, {@code applying}, {@code waiting: <why>}, {@code failed: <reason>} or {@code off}
 * @param lastReconcile when the last reconcile ended, epoch milliseconds; 0 before the first
 */
public record ReconcileStatus(String directory, String desired, String state, long lastReconcile) {

    public static final ReconcileStatus OFF = new ReconcileStatus("", "", "off", 0);

    /** The status of this JVM's watched directory, {@link #OFF} when none is watched. */
    public static ReconcileStatus current() {
        PatchDirectoryWatch w = PatchDirectoryWatch.running();
        return w == null ? OFF : w.status();
    }
}
