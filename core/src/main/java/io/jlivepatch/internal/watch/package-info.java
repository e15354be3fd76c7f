/**
 * A watched patch directory as the desired state of the patch stack (the fleet's side of the
 * kpatch service): {@link io.jlivepatch.internal.watch.PatchDirectoryWatch} reads the directory on
 * every change and every interval, {@link io.jlivepatch.internal.watch.WatchedDirectory} turns it into
 * a {@link io.jlivepatch.internal.watch.DirectorySnapshot}, and {@link io.jlivepatch.internal.watch.Reconciler}
 * brings the stack to it with the life cycle's own operations, so that every refusal, log line and
 * audit entry is the one a person's command would get.
 */
package io.jlivepatch.internal.watch;
