package io.jlivepatch.internal.patch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable snapshot of every method's patch stack, reduced to what dispatch needs: per method,
 * the replacement of the topmost enabled patch (the head of the kernel's {@code func_stack}), and,
 * while a transition runs, the {@link Route} of each method whose top it changes. The methods it
 * names are exactly the methods that must carry a hook.
 */
public final class LinkTable {

    public static final LinkTable EMPTY = new LinkTable(Map.of());

    /** Class name to method key to route; a steady method's route has the same previous and next. */
    private final Map<String, Map<String, Route>> byClass;
    /** The same class names in the JVM's internal form ({@code a/b/C}), sorted: see {@link #hooksClass}. */
    private final String[] internalNames;

    private LinkTable(Map<String, Map<String, Route>> byClass) {
        this.byClass = byClass;
        String[] names = new String[byClass.size()];
        int i = 0;
        for (String n : byClass.keySet()) {
            names[i++] = n.replace('.', '/');
        }
        java.util.Arrays.sort(names);
        this.internalNames = names;
    }

    /**
     * Whether a class of this internal name ({@code a/b/C}) has hooked methods. Asked by the
     * transformer for every class the JVM defines, before it marks the thread as running
     * jlivepatch's code: so it calls only methods of {@code String}, which no patch can hook (a
     * hooked {@code HashMap.get} here would run a replacement inside every class load).
     */
    public boolean hooksClass(String internalName) {
        return containsSorted(internalNames, internalName);
    }

    /**
     * Whether {@code sorted} (in String's natural order) holds {@code name}: a binary search that calls
     * only {@code String.compareTo}, for the transformer's checks of every class the JVM defines
     * ({@link #hooksClass}, HookLedger.watches), which may call nothing a patch can hook.
     */
    static boolean containsSorted(String[] sorted, String name) {
        int lo = 0;
        int hi = sorted.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = sorted[mid].compareTo(name);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return true;
            }
        }
        return false;
    }

    /** The steady table of the given enabled patches' functions, in stack order: later ones win. */
    public static LinkTable of(List<List<ActiveFunction>> enabledInStackOrder) {
        return transition(enabledInStackOrder, enabledInStackOrder, null);
    }

    /**
     * The table while a patch is in transition: {@code unpatched} are the enabled patches without
     * it, {@code patched} with it; methods whose top differs are routed per thread by {@code routing}.
     */
    public static LinkTable transition(List<List<ActiveFunction>> unpatched, List<List<ActiveFunction>> patched,
                                       ThreadRouting routing) {
        return transition(unpatched, patched, routing, Map.of());
    }

    /**
     * The same, with the methods the transition's patch holds (class name to methods): each gets a
     * hook for the transition unless a patch replaces it already, so that a thread entering one
     * moves itself to the target state there (its stack holds no method of the patch then).
     */
    public static LinkTable transition(List<List<ActiveFunction>> unpatched, List<List<ActiveFunction>> patched,
                                       ThreadRouting routing, Map<String, List<MethodSpec>> held) {
        Map<String, Map<String, ActiveFunction>> from = tops(unpatched);
        // The steady table (of) asks with one list for both sides: its tops once, not twice.
        Map<String, Map<String, ActiveFunction>> to = patched == unpatched ? from : tops(patched);
        Set<String> classes = new HashSet<>(from.keySet());
        classes.addAll(to.keySet());
        classes.addAll(held.keySet());
        Map<String, Map<String, Route>> m = new HashMap<>();
        for (String c : classes) {
            Map<String, ActiveFunction> a = from.getOrDefault(c, Map.of());
            Map<String, ActiveFunction> b = to.getOrDefault(c, Map.of());
            Set<String> keys = new java.util.LinkedHashSet<>(a.keySet());
            keys.addAll(b.keySet());
            Map<String, Route> routes = new LinkedHashMap<>();
            for (String k : keys) {
                ActiveFunction p = a.get(k);
                ActiveFunction n = b.get(k);
                routes.put(k, new Route(p, n, Objects.equals(p, n) ? null : routing));
            }
            for (MethodSpec h : held.getOrDefault(c, List.of())) {
                routes.putIfAbsent(h.key(), new Route(null, null, routing, h));
            }
            m.put(c, Collections.unmodifiableMap(routes));
        }
        return new LinkTable(Collections.unmodifiableMap(m));
    }

    private static Map<String, Map<String, ActiveFunction>> tops(List<List<ActiveFunction>> patches) {
        Map<String, Map<String, ActiveFunction>> m = new HashMap<>();
        for (List<ActiveFunction> patch : patches) {
            for (ActiveFunction f : patch) {
                Map<String, ActiveFunction> byKey = m.get(f.className()); // no lambda on the first load (issue 10)
                if (byKey == null) {
                    byKey = new LinkedHashMap<>();
                    m.put(f.className(), byKey);
                }
                // The top so far is what this patch's replacement sits on: what its @Next runs.
                byKey.put(f.spec().key(), f.over(byKey.get(f.spec().key())));
            }
        }
        return m;
    }

    /** The route of a hooked method, or {@code null} when it needs no hook. */
    public Route route(String className, String methodKey) {
        Map<String, Route> perClass = byClass.get(className);
        return perClass == null ? null : perClass.get(methodKey);
    }

    /**
     * The patches whose replacement of {@code className.methodKey} this table routes to, on either
     * side of a transition and down each chain of {@code @Next}: those a hook that cannot be put in
     * fails. Each as its {@link ActiveFunction#label}, once. Empty when the method needs no hook, or
     * only a held one.
     */
    public List<Object> patchesOn(String className, String methodKey) {
        Route r = route(className, methodKey);
        if (r == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>(2);
        List<Object> labels = new ArrayList<>(2);
        for (ActiveFunction f = r.unpatched(); f != null; f = f.below()) {
            names.add(f.patchName());
            labels.add(f.label());
        }
        for (ActiveFunction f = r.patched(); f != null; f = f.below()) {
            if (!names.contains(f.patchName())) {
                names.add(f.patchName());
                labels.add(f.label());
            }
        }
        return labels;
    }

    /** The names of the classes with hooked methods. */
    public Set<String> classNames() {
        return byClass.keySet();
    }

    /** The methods of {@code className} that must carry a hook. */
    public List<MethodSpec> hooksFor(String className) {
        Map<String, Route> perClass = byClass.get(className);
        if (perClass == null) {
            return List.of();
        }
        List<MethodSpec> specs = new ArrayList<>(perClass.size());
        for (Route r : perClass.values()) {
            specs.add(r.spec());
        }
        return specs;
    }

    public Set<String> hookKeys(String className) {
        Map<String, Route> perClass = byClass.get(className);
        return perClass == null ? Set.of() : perClass.keySet();
    }

    /** Class names whose set of hooked methods differs between the two tables. */
    public static Set<String> classesWithChangedHooks(LinkTable a, LinkTable b) {
        Set<String> names = new HashSet<>(a.byClass.keySet());
        names.addAll(b.byClass.keySet());
        // A loop, not removeIf with a lambda, which would spin a class at the first patch (ClassInit.byName)
        for (java.util.Iterator<String> i = names.iterator(); i.hasNext(); ) {
            String n = i.next();
            if (a.hookKeys(n).equals(b.hookKeys(n))) {
                i.remove();
            }
        }
        return names;
    }
}
