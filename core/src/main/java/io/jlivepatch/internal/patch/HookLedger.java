package io.jlivepatch.internal.patch;

import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Per (class loader, class name): which methods carry a hook and which failed, as the transformer
 * and the linker last saw them. Class loaders are held weakly.
 *
 * <p>Transform results and link failures are kept apart: a later retransformation (by jlivepatch
 * or by any other agent) rewrites the hooks but does not relink their call sites, so a link
 * failure stays true for as long as its method stays hooked, or until a relink succeeds.
 */
public final class HookLedger {

    /** Both maps of one loader. */
    private static final class PerLoader {
        final Map<String, ClassHooks> transformed = new HashMap<>();
        final Map<String, Map<String, String>> linkFailures = new HashMap<>();
    }

    // Guarded by this. The boot loader (null) has its own entry: WeakHashMap takes no null key.
    private final Map<ClassLoader, PerLoader> byLoader = new WeakHashMap<>();
    private final PerLoader boot = new PerLoader();

    private PerLoader perLoader(ClassLoader loader, boolean create) {
        if (loader == null) {
            return boot;
        }
        PerLoader m = byLoader.get(loader);
        if (m == null && create) {
            m = new PerLoader();
            byLoader.put(loader, m);
        }
        return m;
    }

    /** The hooks of a class, its transform failures and the link failures of its hooked methods. */
    public synchronized ClassHooks get(ClassLoader loader, String className) {
        PerLoader m = perLoader(loader, false);
        if (m == null) {
            return ClassHooks.NONE;
        }
        ClassHooks h = m.transformed.getOrDefault(className, ClassHooks.NONE);
        Map<String, String> links = m.linkFailures.get(className);
        if (links == null || links.isEmpty()) {
            return h;
        }
        Map<String, String> failures = new HashMap<>(h.failures());
        links.forEach((key, why) -> {
            if (h.hooked().contains(key)) {
                failures.put(key, why);
            }
        });
        return new ClassHooks(h.hooked(), failures);
    }

    synchronized void put(ClassLoader loader, String className, ClassHooks hooks) {
        PerLoader m = perLoader(loader, !hooks.hooked().isEmpty() || !hooks.failures().isEmpty());
        if (m == null) {
            return;
        }
        if (hooks.hooked().isEmpty() && hooks.failures().isEmpty()) {
            m.transformed.remove(className);
        } else {
            m.transformed.put(className, hooks);
        }
        Map<String, String> links = m.linkFailures.get(className);
        if (links != null) {
            links.keySet().retainAll(hooks.hooked());
            if (links.isEmpty()) {
                m.linkFailures.remove(className);
            }
        }
    }

    /** A hooked method whose replacement turned out not to fit this loader's class at link time. */
    synchronized void linkFailed(ClassLoader loader, String className, String key, String reason) {
        perLoader(loader, true).linkFailures.computeIfAbsent(className, k -> new HashMap<>()).put(key, reason);
    }

    /** A hooked method that linked: an earlier link failure no longer holds. */
    synchronized void linked(ClassLoader loader, String className, String key) {
        PerLoader m = perLoader(loader, false);
        Map<String, String> links = m == null ? null : m.linkFailures.get(className);
        if (links != null) {
            links.remove(key);
        }
    }
}
