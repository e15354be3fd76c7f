package io.jlivepatch.internal.patch;

import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Per (class loader, class name): which methods carry a hook and which failed, as the transformer
 * and the linker last saw them. Class loaders are held weakly.
 */
public final class HookLedger {

    // Guarded by this. The boot loader (null) has its own map: WeakHashMap takes no null key.
    private final Map<ClassLoader, Map<String, ClassHooks>> byLoader = new WeakHashMap<>();
    private final Map<String, ClassHooks> boot = new HashMap<>();

    private Map<String, ClassHooks> perLoader(ClassLoader loader, boolean create) {
        if (loader == null) {
            return boot;
        }
        Map<String, ClassHooks> m = byLoader.get(loader);
        if (m == null && create) {
            m = new HashMap<>();
            byLoader.put(loader, m);
        }
        return m;
    }

    public synchronized ClassHooks get(ClassLoader loader, String className) {
        Map<String, ClassHooks> m = perLoader(loader, false);
        ClassHooks h = m == null ? null : m.get(className);
        return h == null ? ClassHooks.NONE : h;
    }

    synchronized void put(ClassLoader loader, String className, ClassHooks hooks) {
        if (hooks.hooked().isEmpty() && hooks.failures().isEmpty()) {
            Map<String, ClassHooks> m = perLoader(loader, false);
            if (m != null) {
                m.remove(className);
            }
            return;
        }
        perLoader(loader, true).put(className, hooks);
    }

    /** A hooked method whose replacement turned out not to fit this loader's class at link time. */
    synchronized void linkFailed(ClassLoader loader, String className, String key, String reason) {
        ClassHooks old = get(loader, className);
        Map<String, String> failures = new HashMap<>(old.failures());
        failures.put(key, reason);
        perLoader(loader, true).put(className, new ClassHooks(old.hooked(), failures));
    }
}
