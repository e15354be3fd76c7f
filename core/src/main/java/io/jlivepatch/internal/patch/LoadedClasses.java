package io.jlivepatch.internal.patch;

import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The loaded classes of given names, one entry per class loader that defines them, as one scan of
 * {@code getAllLoadedClasses} found them: shared by the steps of one operation, since the scan and
 * the loop over its result (which runs rarely, so mostly interpreted) cost about a microsecond per
 * hundred loaded classes, several times per change. (One class, not a scanner and a record: each
 * class jlivepatch defines counts in a JVM's first load, issue 10.)
 */
public final class LoadedClasses {

    private final Set<String> names;
    private final Map<String, List<Class<?>>> classes;
    private final long takenAt;
    /** {@link InFlight#epoch()} before the scan: see {@link #stillComplete}. */
    private final long inFlightEpoch;

    private LoadedClasses(Set<String> names, Map<String, List<Class<?>>> classes, long takenAt, long inFlightEpoch) {
        this.names = names;
        this.classes = classes;
        this.takenAt = takenAt;
        this.inFlightEpoch = inFlightEpoch;
    }

    /** What a scan reads before it looks at the loaded classes: pass it to {@link #of}. */
    public static long inFlightEpoch() {
        return InFlight.epoch();
    }

    public static Map<String, List<Class<?>>> named(Instrumentation inst, Set<String> names) {
        return snapshot(inst, names).classes();
    }

    /**
     * The classes of {@code names} among {@code all}, as a scan taken at {@code takenAt} (a
     * {@link System#nanoTime()} read before the {@code getAllLoadedClasses} that gave {@code all}),
     * and {@code inFlightEpoch} ({@link #inFlightEpoch()}, read before it too), for a caller that
     * looked at {@code all} for something else too.
     */
    public static LoadedClasses of(Class<?>[] all, Set<String> names, long takenAt, long inFlightEpoch) {
        return new LoadedClasses(Set.copyOf(names), named(all, names), takenAt, inFlightEpoch);
    }

    /** One scan of the loaded classes for {@code names}. */
    public static LoadedClasses snapshot(Instrumentation inst, Set<String> names) {
        long inFlightEpoch = InFlight.epoch(); // before the scan: a record made after this may be missing
        long takenAt = System.nanoTime(); // before the scan: a class defined after this may be missing
        Class<?>[] all = names.isEmpty() ? new Class<?>[0] : inst.getAllLoadedClasses();
        return of(all, names, takenAt, inFlightEpoch);
    }

    /**
     * The classes of {@code names} among {@code all} (a {@code getAllLoadedClasses} the caller took,
     * to look at it for something else too).
     */
    public static Map<String, List<Class<?>>> named(Class<?>[] all, Set<String> names) {
        Map<String, List<Class<?>>> found = new HashMap<>();
        if (!names.isEmpty()) {
            for (Class<?> c : all) {
                if (names.contains(c.getName()) && !c.isArray()) {
                    // get/put, not computeIfAbsent: a lambda here would define a class in the target on the first load
                    List<Class<?>> sameName = found.get(c.getName());
                    if (sameName == null) {
                        sameName = new ArrayList<>();
                        found.put(c.getName(), sameName);
                    }
                    sameName.add(c);
                }
            }
        }
        return found;
    }

    /** {@code known} when it scanned for every one of {@code names} (it may be {@code null}), else a new scan. */
    public static LoadedClasses covering(LoadedClasses known, Instrumentation inst, Set<String> names) {
        return known != null && known.names.containsAll(names) ? known : snapshot(inst, names);
    }

    /** Per name scanned for, the classes found (one per defining loader). */
    public Map<String, List<Class<?>>> classes() {
        return classes;
    }

    /**
     * Whether this scan still finds every loaded class of its names, so that a later operation may
     * use it instead of scanning again. For a watched class (a registered patch's target), by the
     * records of definitions in flight ({@link InFlight}): none of its names is recorded now (one
     * recorded then may not have been visible to the scan), and none was recorded or seen loaded
     * since the scan ({@link InFlight#changedSince}). For a definition made before its class was watched,
     * which is recorded only when the watch found it ({@link HookLedger#watch}), by the older rule ({@link HookLedger#quietBetween}): none passed
     * {@code ledger}'s transformer since the scan, and every one before it had at least as long to
     * become visible before the scan as has gone by since. A class collected since is not an issue:
     * the scan holds its classes, so none of them can be collected while it is used.
     */
    public boolean stillComplete(HookLedger ledger) {
        InFlight f = ledger.inFlight();
        if (f != null && (f.changedSince(inFlightEpoch) || f.anyOf(names))) {
            return false;
        }
        return ledger.quietBetween(takenAt, System.nanoTime(), names);
    }

    /** {@code scan} while it {@link #stillComplete still finds} every class of its names, else {@code null}. */
    public static LoadedClasses ifStillComplete(LoadedClasses scan, HookLedger ledger) {
        return scan != null && scan.stillComplete(ledger) ? scan : null;
    }

    /** {@link System#nanoTime()} just before the scan. */
    public long takenAt() {
        return takenAt;
    }

    /** The classes of {@code wanted}, which the scan covers. */
    public List<Class<?>> of(Set<String> wanted) {
        List<Class<?>> out = new ArrayList<>();
        for (String n : wanted) {
            out.addAll(classes.getOrDefault(n, List.of()));
        }
        return out;
    }
}
