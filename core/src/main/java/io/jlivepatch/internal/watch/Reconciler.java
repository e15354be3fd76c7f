package io.jlivepatch.internal.watch;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJarLoader;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.watch.DirectorySnapshot.DesiredJar;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Brings the patch stack to what a watched directory asks for, with the life cycle's own
 * operations (every refusal, log line and audit entry is the one a person's command would get):
 * keep the bottom of the stack that still matches (name and SHA-256, enabled), take the rest down
 * from the top, then load and enable what is missing, in order. A cumulative patch is enabled
 * directly over the stack, as the kernel's atomic replace is meant to be used: no patch comes off
 * before its replacement is in.
 *
 * <p>A reconcile that fails leaves the stack as it found it: a transition that does not end within
 * the timeout is reversed (a disable goes back to enabled, a load comes off and is unregistered), a
 * refused load leaves nothing registered, and the patches taken down for it are put back from the
 * bytes they were loaded from ({@link PatchRegistry#loadedFrom}, whoever loaded them: at start-up,
 * a command, the watch), so that a bad new version never un-fixes a fleet.
 */
final class Reconciler {

    /**
     * Why a reconcile stopped. {@code key} names the failing step, the same for the same failure (the
     * retry's backoff); {@code waitsForLoader}: a patch's classes cannot be loaded until a class loader
     * that can load the application's exists (a Spring Boot fat JAR's, made after premain).
     */
    record Failure(String key, String message, boolean waitsForLoader) {

        Failure(String key, String message) {
            this(key, message, false);
        }
    }

    private final PatchRegistry registry;
    private final Duration timeout;
    private final String label;
    /** The level of {@link #load}'s {@code loading} line, for the apply under way. Its thread's only: the watch's. */
    private Level loadingAt = Level.INFO;

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
     *         already logged and audited, and what it had taken down is back)
     */
    Failure apply(List<DesiredJar> want) throws InterruptedException {
        return apply(want, Level.INFO);
    }

    /**
     * {@link #apply(List)}, its {@code loading} lines at {@code progress}: {@code DEBUG} for a retry of a reconcile
     * that waits for a class loader, which says once that it waits, not once per retry (PatchDirectoryWatch).
     */
    Failure apply(List<DesiredJar> want, Level progress) throws InterruptedException {
        loadingAt = progress;
        Failure busy = awaitNoTransition();
        if (busy != null) {
            return busy;
        }
        List<PatchHandle> stack = registry.patches();
        int keep = matching(stack, want);
        int next = keep;
        List<TakenDown> takenDown = new ArrayList<>();
        List<PatchHandle> loadedNow = new ArrayList<>();
        Failure failed = null;
        if (keep == 0 && !want.isEmpty() && want.get(0).replace() && !stack.isEmpty()
                && registry.find(want.get(0).name()).isEmpty()) {
            failed = load(want.get(0), loadedNow); // over the whole stack: its transition replaces every patch
            next = 1;
        } else {
            if (keep == 0 && !want.isEmpty() && want.get(0).replace() && !stack.isEmpty()) {
                DesiredJar cumulative = want.get(0);
                Log.get().log(Level.WARNING, label + ": cumulative patch '" + cumulative.name() + "' of "
                        + cumulative.file() + " has the name of a loaded patch: the stack comes off before it goes"
                        + " on, so its functions run unpatched meanwhile; give each version of a cumulative patch a"
                        + " name of its own to replace it with no gap");
            }
            failed = takeDown(stack, keep, takenDown);
        }
        for (int i = next; i < want.size() && failed == null; i++) {
            failed = load(want.get(i), loadedNow);
        }
        if (failed != null && !takenDown.isEmpty()) {
            // What this reconcile put on comes off first: the old versions go back where they were,
            // not over (or beside, under the same name) the new ones.
            String off = takeOff(loadedNow);
            boolean allOff = true;
            for (PatchHandle h : loadedNow) {
                allOff &= !h.isRegistered();
            }
            // A new version that stayed would have the old ones put back over it: they wait instead.
            failed = new Failure(failed.key(), failed.message() + off + (allOff ? restore(takenDown)
                    : "; what was taken down stays off until the next reconcile"), failed.waitsForLoader());
        }
        return failed;
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
    private Failure awaitNoTransition() throws InterruptedException {
        for (PatchHandle h : registry.patches()) {
            if (h.inTransition() && !h.awaitTransition(timeout)) {
                return new Failure("transition " + h.name(), "patch '" + h.name() + "' is still in transition after "
                        + timeout.toSeconds() + " s" + waitingFor(h) + ": the reconcile waits for it to end"
                        + " ('jlivepatch status' shows it)");
            }
        }
        return null;
    }

    /** A patch a reconcile took down, and whether it was enabled: what putting it back restores. */
    private record TakenDown(PatchHandle patch, boolean enabled) {
    }

    /** Why {@link #takeDown(List, int, List)} takes a patch down, for its log line. */
    private static final String NO_LONGER_ASKED = "the directory no longer asks for it as it is (removed, another"
            + " version, or a patch below it changed)";
    /** Why {@link #takeOff} takes a patch down, for its log line. */
    private static final String LOADED_BY_FAILED_RECONCILE = "a new version this reconcile loaded before it failed:"
            + " it comes off so that the old versions go back where they were";

    /**
     * Disables (top first) and unregisters every patch of {@code stack} from {@code keep} up;
     * {@code takenDown} gets each one that came off, bottom first.
     */
    private Failure takeDown(List<PatchHandle> stack, int keep, List<TakenDown> takenDown)
            throws InterruptedException {
        for (int i = stack.size() - 1; i >= keep; i--) {
            PatchHandle h = stack.get(i);
            String key = "take down " + h.name() + " " + registry.provenance(h).sha256();
            boolean enabled = h.isEnabled();
            try {
                String stuck = takeDown(h, NO_LONGER_ASKED);
                if (stuck != null) {
                    return new Failure(key, stuck);
                }
                takenDown.add(0, new TakenDown(h, enabled));
            } catch (PatchException e) {
                return new Failure(key, "'" + h.name() + "' could not be taken down: " + e.reason() + ": "
                        + e.getMessage());
            }
        }
        return null;
    }

    /**
     * Disables {@code h} (if enabled) and unregisters it, logging {@code why}. A disable whose
     * transition does not end within the timeout is reversed, so that the patch stays as it was
     * rather than half off.
     *
     * @return {@code null} once it is unregistered, else what became of the disable that did not end
     */
    private String takeDown(PatchHandle h, String why) throws PatchException, InterruptedException {
        if (h.isEnabled()) {
            Log.get().log(Level.INFO, label + ": taking down '" + h.name() + "': " + why);
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
        return null;
    }

    /**
     * Takes the patches a failed reconcile loaded off again, top first, as {@link #takeDown(List, int,
     * List)} does (a disable that does not end is reversed); says how that went. Stops at the first
     * that does not come off (what is below it stays too).
     */
    private String takeOff(List<PatchHandle> loadedNow) throws InterruptedException {
        StringBuilder sb = new StringBuilder();
        for (int i = loadedNow.size() - 1; i >= 0; i--) {
            PatchHandle h = loadedNow.get(i);
            String outcome;
            try {
                String stuck = takeDown(h, LOADED_BY_FAILED_RECONCILE);
                outcome = stuck == null ? "'" + h.name() + "' (new) is off again"
                        : "'" + h.name() + "' (new) could not be taken off: " + stuck;
            } catch (PatchException e) {
                outcome = "'" + h.name() + "' (new) could not be taken off: " + e.reason() + ": " + e.getMessage();
            }
            Log.get().log(Level.INFO, label + ": the reconcile failed: " + outcome);
            sb.append("; ").append(outcome);
            if (h.isRegistered()) {
                break;
            }
        }
        return sb.toString();
    }

    /**
     * Puts back, bottom first, the patches a failed reconcile took down, from the bytes they were
     * loaded from, enabled or not as they were (one an operator had disabled stays off); says how
     * that went, for the failure's message.
     */
    private String restore(List<TakenDown> takenDown) throws InterruptedException {
        StringBuilder sb = new StringBuilder();
        for (TakenDown t : takenDown) {
            PatchHandle h = t.patch();
            PatchJarBytes bytes = registry.loadedFrom(h);
            String outcome;
            if (bytes == null) {
                outcome = "'" + h.name() + "' stays off (it was built in code, not loaded from a JAR: load it again"
                        + " as it was)";
            } else {
                try {
                    PatchHandle back = registry.load(bytes, t.enabled(), false);
                    String is = t.enabled() ? "'" + h.name() + "' is back" : "'" + h.name() + "' is back, disabled";
                    outcome = back.awaitTransition(timeout) ? is : is + ", its transition still running";
                } catch (PatchException e) {
                    outcome = "'" + h.name() + "' could not be put back: " + e.reason() + ": " + e.getMessage();
                }
            }
            Log.get().log(Level.INFO, label + ": the reconcile failed: " + outcome);
            sb.append("; ").append(outcome);
        }
        return sb.toString();
    }

    /**
     * Loads and enables one JAR, read again: loaded only if it still has the content that was
     * checked. On a transition that does not end in time, takes it off again.
     */
    private Failure load(DesiredJar jar, List<PatchHandle> loadedNow) throws InterruptedException {
        String key = "load " + jar.name() + " " + jar.sha256();
        PatchJarBytes bytes;
        try {
            bytes = PatchJarBytes.read(jar.path(), jar.source(), JarLimits.current());
        } catch (PatchException e) {
            return new Failure(key, jar + " cannot be read again (" + e.getMessage() + "); read again on the next"
                    + " change of the directory");
        }
        if (!bytes.sha256().equals(jar.sha256())) {
            return new Failure(key, jar + " changed while the reconcile ran (sha256 now " + bytes.sha256()
                    + "); read again on the next change of the directory");
        }
        Log.get().log(loadingAt, label + ": loading " + jar);
        PatchHandle h;
        try {
            h = registry.load(bytes, true, false);
        } catch (PatchException e) {
            if (PatchJarLoader.waitsForItsLoader(e)) {
                return new Failure(key, jar + " waits for a class loader that can load its classes (" + e.getCause()
                        + "); loaded as soon as one defines a class", true);
            }
            return new Failure(key, jar + " was refused: " + e.reason() + ": " + e.getMessage());
        }
        if (h.awaitTransition(timeout)) {
            loadedNow.add(h);
            return null;
        }
        String waiting = waitingFor(h);
        String late = jar + ": its transition did not end within " + timeout.toSeconds() + " s" + waiting;
        try {
            h.disable(); // reverses the enable
            if (!h.awaitTransition(timeout)) {
                return new Failure(key, late + "; its reversal is still running, and the next reconcile takes it off");
            }
            h.unregister();
        } catch (PatchException e) {
            return new Failure(key, late + ", and taking it off was refused: " + e.reason() + ": " + e.getMessage());
        }
        return new Failure(key, late + "; reversed and unloaded: raise timeout=, or see what holds those threads");
    }

    private String waitingFor(PatchHandle h) {
        List<String> threads = registry.waitingThreads(h);
        if (threads.isEmpty()) {
            String closing = registry.closingCallback(h); // every thread has moved: its end waits for the callback
            return closing == null ? "" : " (its closing callback is running: " + closing + ")";
        }
        int shown = Math.min(3, threads.size());
        return " (threads still in old code: " + String.join("; ", threads.subList(0, shown))
                + (threads.size() > shown ? "; and " + (threads.size() - shown) + " more" : "") + ")";
    }
}
