package io.jlivepatch.internal.patch;

import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The loaded classes of given names, one entry per class loader that defines them. */
public final class LoadedClasses {

    private LoadedClasses() {
    }

    public static Map<String, List<Class<?>>> named(Instrumentation inst, Set<String> names) {
        Map<String, List<Class<?>>> found = new HashMap<>();
        if (names.isEmpty()) {
            return found;
        }
        for (Class<?> c : inst.getAllLoadedClasses()) {
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
        return found;
    }
}
