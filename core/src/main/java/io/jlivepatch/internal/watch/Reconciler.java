package io.jlivepatch.internal.watch;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.watch.DirectorySnapshot.DesiredJar;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;

/**
 * Brings the patch stack to what a watched directory asks for, with the life cycle's own
 * operations (every refusal, log line and audit entry is the one a person's command would get):
 * keep the bottom of the stack that still matches (name and SHA-256, enabled), take the rest down
 * from the top, then load and enable what is missing, in order. A cumulative patch is enabled
 * directly over the stack, as the kernel's atomic replace is meant to be used: no patch comes off
 * before its replacement is in.
 *
 * <p>A step that fails stops the reconcile there and leaves nothing half done: a transition that
 * does not end within the timeout is reversed (a disable goes back to enabled, a load comes off and
 * is unregistered), and a refused load leaves nothing registered.
 */
final class Reconciler {

    private final PatchRegistry registry;
    private final Duration timeout;
    private final String label;

    /**
     * @param timeout how long one transition may take before it is reversed
     * @param label   how log lines name the directory: {@code watch /etc/patches}
     */
    Reconciler(PatchRegistry registry, Duration timeout, String label) {
        this.registry = registry;
        this.timeout = timeout;
        this.label = label;
    }

    /** Whether the stack is exactly {@code want}, every patch enabled and none in transition. */
    boolean converged(List<DesiredJar> want) {
        List<PatchHandle> stack = registry.patches();
        return stack.size() == want.size() && matching(stack, want) == want.size();
    }

    /**
     * Applies {@code want}, the desired stack bottom first.
     *
     * @return {@code null} once the stack is {@code want}, else why it stopped (the failing step was
     *         already logged and audited)
     */
    String apply(List<DesiredJar> want) throws InterruptedException {
        String busy = awaitNoTransition();
        if (busy != null) {
            return busy;
        }
        List<PatchHandle> stack = registry.patches();
        int keep = matching(stack, want);
        int next = keep;
        if (keep == 0 && !want.isEmpty() && want.get(0).replace() && !stack.isEmpty()) {
            DesiredJar cumulative = want.get(0);
            if (registry.find(cumulative.name()).isEmpty()) {
                String failed = load(cumulative); // over the whole stack: its transition replaces every patch
                if (failed != null) {
                    return failed;
                }
                next = 1;
            } else {
                Log.get().log(Level.WARNING, label + ": cumulative patch '" + cumulative.name() + "' of "
                        + cumulative.file() + " has the name of a loaded patch: the stack comes off before it goes on,"
                        + " so its functions run unpatched meanwhile; give each version of a cumulative patch a name"
                        + " of its own to replace it with no gap");
                String failed = takeDown(stack, 0);
                if (failed != null) {
                    return failed;
                }
            }
        } else {
            String failed = takeDown(stack, keep);
            if (failed != null) {
                return failed;
            }
        }
        for (int i = next; i < want.size(); i++) {
            String failed = load(want.get(i));
            if (failed != null) {
                return failed;
            }
        }
        return null;
    }

    /** How many patches at the bottom of {@code stack} are those of {@code want}, enabled and settled. */
    private int matching(List<PatchHandle> stack, List<DesiredJar> want) {
        int n = 0;
        while (n < stack.size() && n < want.size()) {
            PatchHandle h = stack.get(n);
            DesiredJar j = want.get(n);
            if (!h.name().equals(j.name()) || !registry.provenance(h).sha256().equals(j.sha256()) || !h.isEnabled()
                    || h.inTransition()) {
                break;
            }
            n++;
        }
        return n;
    }

    /** Waits for a transition someone else started; {@code null} once none runs. */
    private String awaitNoTransition() throws InterruptedException {
        for (PatchHandle h : registry.patches()) {
            if (h.inTransition() && !h.awaitTransition(timeout)) {
                return "patch '" + h.name() + "' is still in transition after " + timeout.toSeconds() + " s"
                        + waitingFor(h) + ": the reconcile waits for it to end ('jlivepatch status' shows it)";
            }
        }
        return null;
    }

    /** Disables (top first) and unregisters every patch of {@code stack} from {@code keep} up. */
    private String takeDown(List<PatchHandle> stack, int keep) throws InterruptedException {
        for (int i = stack.size() - 1; i >= keep; i--) {
            PatchHandle h = stack.get(i);
            try {
                if (h.isEnabled()) {
                    Log.get().log(Level.INFO, label + ": taking down '" + h.name() + "': the directory no longer asks"
                            + " for it as it is (removed, another version, or a patch below it changed)");
                    h.disable();
                    if (!h.awaitTransition(timeout)) {
                        String waiting = waitingFor(h);
                        h.enable(); // reverses the disable: the patch stays as it was
                        boolean back = h.awaitTransition(timeout);
                        return "disabling '" + h.name() + "' did not end within " + timeout.toSeconds() + " s" + waiting
                                + "; " + (back ? "reversed, it stays enabled" : "its reversal is still running");
                    }
                }
                h.unregister();
            } catch (PatchException e) {
                return "'" + h.name() + "' could not be taken down: " + e.reason() + ": " + e.getMessage();
            }
        }
        return null;
    }

    /** Loads and enables one JAR; on a transition that does not end in time, takes it off again. */
    private String load(DesiredJar jar) throws InterruptedException {
        Log.get().log(Level.INFO, label + ": loading " + jar);
        PatchHandle h;
        try {
            h = registry.load(jar.bytes(), true, false);
        } catch (PatchException e) {
            return jar + " was refused: " + e.reason() + ": " + e.getMessage();
        }
        if (h.awaitTransition(timeout)) {
            return null;
        }
        String waiting = waitingFor(h);
        try {
            h.disable(); // reverses the enable
            if (!h.awaitTransition(timeout)) {
                return jar + ": its transition did not end within " + timeout.toSeconds() + " s" + waiting
                        + "; its reversal is still running, and the next reconcile takes it off";
            }
            h.unregister();
        } catch (PatchException e) {
            return jar + ": its transition did not end within " + timeout.toSeconds() + " s" + waiting
                    + ", and taking it off was refused: " + e.reason() + ": " + e.getMessage();
        }
        return jar + ": its transition did not end within " + timeout.toSeconds() + " s" + waiting
                + "; reversed and unloaded: raise timeout=, or see what holds those threads";
    }

    private String waitingFor(PatchHandle h) {
        List<String> threads = registry.waitingThreads(h);
        if (threads.isEmpty()) {
            return "";
        }
        int shown = Math.min(3, threads.size());
        return " (threads still in old code: " + String.join("; ", threads.subList(0, shown))
                + (threads.size() > shown ? "; and " + (threads.size() - shown) + " more" : "") + ")";
    }
}
