package io.jlivepatch.internal.patch;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The warnings already logged, by key (a loader's name, a class and a method, and what was wrong),
 * so that each is logged once rather than at every link or retransformation: status and the audit
 * log keep every occurrence. Names, not loaders, so that nothing here keeps a loader alive; and
 * bounded, because a JVM that redeploys web applications for months names new loaders forever: when
 * full it is emptied, and a warning still true is logged once more.
 */
final class ReportedOnce {

    /** Far more than the distinct warnings of any one deployment. */
    static final int REMEMBERED = 1024;

    private final Set<String> keys = ConcurrentHashMap.newKeySet();

    /** Whether {@code key} is new (to be logged now); remembers it. */
    boolean first(String key) {
        if (keys.size() >= REMEMBERED) {
            keys.clear(); // racy with add on other threads: at worst a warning is logged twice
        }
        return keys.add(key);
    }
}
