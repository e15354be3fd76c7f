package io.jlivepatch.internal.patch;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The resolver that {@code Dispatch} calls on every link and relink: the replacement a hooked
 * method of a given class must run, typed exactly as its call site, or {@code null} to run the
 * original. It is where a replacement is checked against a class that was defined after
 * registration (in some other class loader, say): a misfit is recorded as a failure and the
 * method keeps its own code.
 */
final class ReplacementLinker implements BiFunction<Class<?>, String, MethodHandle> {

    private static final System.Logger LOG = System.getLogger("io.jlivepatch");

    private final Supplier<LinkTable> table;
    private final HookLedger ledger;

    ReplacementLinker(Supplier<LinkTable> table, HookLedger ledger) {
        this.table = table;
        this.ledger = ledger;
    }

    @Override
    public MethodHandle apply(Class<?> owner, String methodKey) {
        // Reads the table published by HookManager.apply (a volatile read); Dispatch calls this
        // under its link lock, so a relink that follows the publication sees the same table.
        ActiveFunction f = table.get().active(owner.getName(), methodKey);
        if (f == null) {
            return null;
        }
        Method target = Reflection.findDeclared(owner, f.spec().name(), f.spec().descriptor());
        MethodHandle replacement = null;
        String misfit;
        if (target == null) {
            misfit = "the class does not declare the method";
        } else {
            try {
                replacement = f.source().handleFor(owner.getClassLoader());
                misfit = SignatureCheck.misfit(owner, target, replacement.type());
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                misfit = "the replacement cannot be linked in this class loader: " + e;
            }
        }
        if (misfit != null) {
            LOG.log(System.Logger.Level.WARNING, "''{0}'': {1} in {2} keeps its own code: {3}",
                    f.patchName(), f.target(), LoaderNames.of(owner.getClassLoader()), misfit);
            ledger.linkFailed(owner.getClassLoader(), owner.getName(), methodKey, misfit);
            return null;
        }
        MethodType site = Modifier.isStatic(target.getModifiers())
                ? MethodType.methodType(target.getReturnType(), target.getParameterTypes())
                : MethodType.methodType(target.getReturnType(), target.getParameterTypes()).insertParameterTypes(0, owner);
        return replacement.asType(site);
    }
}
