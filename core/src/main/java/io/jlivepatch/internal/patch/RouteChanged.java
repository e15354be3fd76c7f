package io.jlivepatch.internal.patch;

import java.util.function.BiPredicate;

/**
 * Selects the hooked methods whose route differs between two link tables: the only call sites a
 * change of tables must relink. A site's resolution is a function of its route (the gates of
 * initialization and callbacks have every site relinked when they settle), so a site whose route
 * is the same would get the same targets again, at the price of a resolution and of the compiled
 * code of every caller that inlined it.
 */
final class RouteChanged implements BiPredicate<Class<?>, String> {

    private final LinkTable from;
    private final LinkTable to;

    RouteChanged(LinkTable from, LinkTable to) {
        this.from = from;
        this.to = to;
    }

    @Override
    public boolean test(Class<?> owner, String methodKey) {
        String name = owner.getName();
        Route next = to.route(name, methodKey);
        // No route: the method loses its hook, and HookManager releases its sites right after the
        // relink (the guard false, the call the method itself); resolving them first would be wasted.
        return next != null && !next.equals(from.route(name, methodKey));
    }
}
