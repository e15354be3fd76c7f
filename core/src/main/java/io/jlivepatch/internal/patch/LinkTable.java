package io.jlivepatch.internal.patch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable snapshot of every method's patch stack, reduced to what dispatch needs: per method,
 * the replacement of the topmost enabled patch (the head of the kernel's {@code func_stack}). The
 * methods it names are exactly the methods that must carry a hook.
 */
public final class LinkTable {

    public static final LinkTable EMPTY = new LinkTable(Map.of());

    private final Map<String, Map<String, ActiveFunction>> byClass;

    private LinkTable(Map<String, Map<String, ActiveFunction>> byClass) {
        this.byClass = byClass;
    }

    /** Builds the table of the given enabled patches' functions, in stack order: later ones win. */
    public static LinkTable of(List<List<ActiveFunction>> enabledInStackOrder) {
        Map<String, Map<String, ActiveFunction>> m = new HashMap<>();
        for (List<ActiveFunction> patch : enabledInStackOrder) {
            for (ActiveFunction f : patch) {
                m.computeIfAbsent(f.className(), k -> new LinkedHashMap<>()).put(f.spec().key(), f);
            }
        }
        Map<String, Map<String, ActiveFunction>> frozen = new HashMap<>();
        m.forEach((k, v) -> frozen.put(k, Collections.unmodifiableMap(v)));
        return new LinkTable(Collections.unmodifiableMap(frozen));
    }

    public ActiveFunction active(String className, String methodKey) {
        Map<String, ActiveFunction> perClass = byClass.get(className);
        return perClass == null ? null : perClass.get(methodKey);
    }

    /** The methods of {@code className} that must carry a hook. */
    public List<MethodSpec> hooksFor(String className) {
        Map<String, ActiveFunction> perClass = byClass.get(className);
        if (perClass == null) {
            return List.of();
        }
        List<MethodSpec> specs = new ArrayList<>(perClass.size());
        for (ActiveFunction f : perClass.values()) {
            specs.add(f.spec());
        }
        return specs;
    }

    public Set<String> hookKeys(String className) {
        Map<String, ActiveFunction> perClass = byClass.get(className);
        return perClass == null ? Set.of() : perClass.keySet();
    }

    /** Class names whose set of hooked methods differs between the two tables. */
    public static Set<String> classesWithChangedHooks(LinkTable a, LinkTable b) {
        Set<String> names = new HashSet<>(a.byClass.keySet());
        names.addAll(b.byClass.keySet());
        names.removeIf(n -> a.hookKeys(n).equals(b.hookKeys(n)));
        return names;
    }
}
