package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Adds and removes entry prologues. It runs both when a class is defined (a class loaded after
 * its patch was enabled: the kernel's {@code klp_module_coming}) and when jlivepatch retransforms
 * a class. Being retransformation-capable, it always starts from the class's own bytes, so
 * returning {@code null} puts a class back to its own bytecode.
 *
 * <p>It never throws into the JVM, which would swallow the exception: failures are logged and
 * recorded in the {@link HookLedger}, where {@code functions()} shows them.
 */
final class HookTransformer implements ClassFileTransformer {


    private final Supplier<LinkTable> table;
    private final HookLedger ledger;
    private final Instrumentation instrumentation;
    /** The bootstrap class path's unnamed module, where Dispatch is; found at the first hook (see {@link #makeReadable}). */
    private volatile Module dispatchModule;
    /**
     * Whether some class's hooks ran {@code @Next} down to the original: from then on every class
     * file the transformer gets is told to {@link OriginalCopies}, which keeps or forgets it. Until
     * then that class is never named, so never loaded (FootprintIT). Written and read by
     * transforming threads; a stale false only skips a forget of a file never kept.
     */
    private volatile boolean originalsKept;

    /**
     * Run by a hooking pass right after it read the table, when set: lets a test hold a class's
     * definition there while an operation publishes another table (TableDuringTransformTest). Tests only.
     */
    static volatile Runnable afterTableReadForTests;

    HookTransformer(Supplier<LinkTable> table, HookLedger ledger, Instrumentation instrumentation) {
        this.table = table;
        this.ledger = ledger;
        this.instrumentation = instrumentation;
    }

    /**
     * Runs the path nearly every class definition takes (a class no patch hooks) once, on the
     * installing thread, before the JVM can call it. Run cold by the JVM, that path could need the
     * very class being defined: the first {@code VarHandle} call in the JVM (an {@code AtomicBoolean}'s
     * {@code compareAndSet}, say) defines {@code VarHandle$AccessDescriptor}; the transformer, called
     * for it, links its own first {@code VarHandle} call (HookLedger's {@code AtomicLongArray}), which
     * needs that class again: a ClassCircularityError on that thread, which the JVM keeps for the JDK's
     * call site, so that every later call of it in the application fails the same way. Found with a
     * second class-loading thread at start-up, which changed what premain's thread loads first
     * (ColdTransformerTest). The name is no class's: the ledger notes a definition in that name's
     * bucket, which only makes one later look at the loaded classes scan again.
     */
    void warmUp() {
        transform(null, null, "io/jlivepatch/internal/patch/HookTransformer$WarmUp", null, (ProtectionDomain) null, null);
    }

    /**
     * Catches whatever its work throws, here at its entry, where the JDK's frames called it with room
     * for this frame: the JDK would drop it silently (TransformerManager catches every Throwable of a
     * transformer), and a failure that nobody logs or records is a class whose hooks status cannot
     * tell. Within about 8 KB of the stack's edge ({@link io.jlivepatch.internal.bootstrap.StackRoom})
     * it does not start the hooking, whose ASM work goes deep, and records why instead; the record
     * comes before the log line, which is the deeper of the two.
     */
    @Override
    public byte[] transform(Module module, ClassLoader loader, String internalName, Class<?> redefined,
                            ProtectionDomain domain, byte[] classFile) {
        try {
            return transformAtEntry(module, loader, internalName, redefined, classFile);
        } catch (Throwable t) {
            // Out of stack in the record itself, most likely: nothing more can be done here without
            // risking the class's definition.
            return null;
        }
    }

    private byte[] transformAtEntry(Module module, ClassLoader loader, String internalName, Class<?> redefined,
                                    byte[] classFile) {
        if (internalName == null) {
            return null; // hidden classes and lambda proxies: never targets
        }
        if (redefined == null) {
            ledger.entering(loader, internalName); // before watches below: see HookLedger.watch
        }
        // Reads the table published by HookManager.apply (a volatile read).
        LinkTable current = table.get();
        if (redefined == null && !current.hooksClass(internalName) && !ledger.watches(internalName)) {
            // Nearly every class the JVM defines: nothing to do. Decided without a method a patch can
            // hook (see LinkTable.hooksClass), so the thread is not marked: marking it would take the
            // hooks' guard off its constant (RecursionGuard) at every class load of the application.
            // A target of a registered patch goes on, to be recorded in flight (InFlight) even when no
            // table hooks it yet: the enable may come before its definition is visible.
            ledger.defined(loader, internalName); // after the table was read: see HookManager.retransformLateComers
            return null;
        }
        if (!io.jlivepatch.internal.bootstrap.StackRoom.left()) {
            try {
                failed(loader, internalName.replace('/', '.'), current, "no stack left to hook the class: it was"
                        + " defined or retransformed at the edge of its thread's stack, and keeps its own bytecode");
            } finally {
                if (redefined == null) {
                    ledger.defined(loader, internalName);
                }
            }
            return null;
        }
        // The transformer runs jlivepatch's code on any thread that defines a class: hooks it meets
        // run the original methods (pairs with the guard ReplacementLinker puts first in every hook).
        // enterIfActive: never the hooks' installation inside a class definition. Until it is done the
        // table is empty: nothing below hooks anything, and no hook exists to be met.
        int mark = RecursionGuard.enterIfActive();
        try {
            Runnable hold = afterTableReadForTests;
            if (hold != null) {
                hold.run();
            }
            PrologueInjector.Result out = transform(module, loader, internalName, redefined, classFile, current, false);
            // Recorded before the table is read again below: an operation that publishes a table
            // after that read finds this record with the table of the last pass (InFlight.Definition).
            InFlight.Definition inFlight = redefined == null ? inFlight(loader, internalName, current) : null;
            // A table published while this pass worked (an enable, a disable) came after the operation's
            // scan, which cannot have found this class: it is not defined yet (or, retransformed, is
            // retransformed again by that operation only if its scan found it). Hooked from the older
            // table, it would keep hooks the current one does not want, or miss some it does, for as
            // long as it lives. So the pass is redone from the newer table, from the same class file,
            // until none came meanwhile. No bound is needed: each pass more needs a new table, and
            // tables are published only by operations (serialized by the registry's lock), a few per
            // operation. A table published after the last read is the in-flight case HookManager
            // follows (InFlight): this closes only the window of the transformer itself.
            for (LinkTable now = table.get(); now != current; now = table.get()) { // pairs with HookManager.apply's write
                current = now;
                if (inFlight != null) {
                    inFlight.madeFrom = current; // before the next read: see InFlight.Definition.madeFrom
                }
                out = transform(module, loader, internalName, redefined, classFile, current, true);
            }
            if (redefined == null && out != null) {
                applied(loader, internalName, current, out.hooked());
            }
            return out == null ? null : out.bytes();
        } finally {
            try {
                if (redefined == null) {
                    ledger.defined(loader, internalName); // after the table was read: see HookManager.retransformLateComers
                }
            } finally {
                RecursionGuard.exit(mark); // whatever the line above met: a mark left is every patch off on this thread
            }
        }
    }

    /**
     * A class defined after its patches were enabled got their hooks (the kernel's {@code klp_module_coming},
     * which says {@code applying patch '%s' to loading module '%s'}): handed to the ledger's reader, which
     * logs it and puts it on record off this thread, which holds the class loader's lock. Once per
     * definition, from the table its last pass read; a patch whose every hook failed here is not named
     * (its failures are on record). Never throws: the hooks stand whatever happens to their record (a
     * throw would reach {@link #transform}'s catch, which drops them).
     */
    private void applied(ClassLoader loader, String internalName, LinkTable current, List<String> hooked) {
        try {
            if (hooked.isEmpty()) {
                return;
            }
            String className = internalName.replace('/', '.');
            java.util.ArrayList<Object> patches = new java.util.ArrayList<>(2);
            for (String key : hooked) {
                for (Object label : current.patchesOn(className, key)) {
                    if (!containsSame(patches, label)) {
                        patches.add(label);
                    }
                }
            }
            ledger.applied(loader, className, HookLedger.DEFINED, patches);
        } catch (Throwable t) {
            // out of memory or stack for the record: the class is hooked all the same, and status shows it
        }
    }

    /**
     * By identity: a patch's label is one object per registration (the reader names each patch once per
     * class and loader all the same), and a label's equals, a record's, would bootstrap ObjectMethods here.
     */
    private static boolean containsSame(List<Object> labels, Object label) {
        for (Object l : labels) {
            if (l == label) {
                return true;
            }
        }
        return false;
    }

    /**
     * One pass from table {@code current}: what the injector made ({@code null} when the class keeps
     * its own bytes: nothing wanted, or the pass failed). {@code again}: a pass that follows one made
     * from an older table, whose record of this class it replaces even when {@code current} hooks
     * nothing in it.
     */
    private PrologueInjector.Result transform(Module module, ClassLoader loader, String internalName,
                                              Class<?> redefined, byte[] classFile, LinkTable current, boolean again) {
        String className = internalName.replace('/', '.');
        List<MethodSpec> wanted;
        try {
            wanted = current.hooksFor(className);
            boolean keep = reachesOriginal(current, className, wanted);
            if (keep || originalsKept) {
                originalsKept = true;
                OriginalCopies.received(loader, className, classFile, keep, instrumentation);
            }
            if (wanted.isEmpty()) {
                if (redefined != null || again) {
                    ledger.put(loader, className, ClassHooks.NONE, current);
                }
                return null;
            }
            PrologueInjector.Result result = PrologueInjector.inject(classFile, wanted);
            if (!result.failures().isEmpty()) {
                result.failures().forEach((key, why) -> Log.get().log(System.Logger.Level.WARNING,
                        "''{0}'': cannot hook {1}.{2} in {3}: {4}", patchOf(current, className, key), className, key,
                        LoaderNames.of(loader), why));
            }
            if (result.bytes() != null) {
                makeReadable(module);
            }
            ledger.put(loader, className, new ClassHooks(Set.copyOf(result.hooked()), result.failures(),
                    result.code()), current);
            return result;
        } catch (Throwable t) {
            // Recorded first: the log line goes deeper, and at the edge of the stack may not fit.
            failed(loader, className, current, "instrumentation failed: " + t);
            if (!io.jlivepatch.internal.bootstrap.StackRoom.left()) {
                // An overflow, most likely. The logger's handler takes a lock (java.util.logging's a
                // ReentrantLock on recent JDKs), which an overflow there could leave held, and the
                // application's logging with it: the record above is audited by jlivepatch's own thread.
                return null;
            }
            try {
                Log.get().log(System.Logger.Level.ERROR, "transforming " + className + " in "
                        + LoaderNames.of(loader) + " failed; the class keeps its own bytecode", t);
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                // recorded above: status shows it FAILED, and the audit log has it
            }
            return null;
        }
    }

    /**
     * Records a definition in flight (see {@link InFlight}); {@code null} when none is kept. Never
     * throws: the hooks the pass made are returned whatever happens to their record (out of memory
     * here leaves the class to the late-comer look's older rule, as before records).
     */
    private InFlight.Definition inFlight(ClassLoader loader, String internalName, LinkTable current) {
        try {
            InFlight f = ledger.inFlight();
            return f == null ? null : f.add(loader, internalName, current);
        } catch (RuntimeException | Error e) {
            return null;
        }
    }

    /** Records every hook {@code current} wants in the class as failed, for {@code why}: status shows them FAILED. */
    private void failed(ClassLoader loader, String className, LinkTable current, String why) {
        Map<String, String> failures = new HashMap<>();
        for (MethodSpec m : current.hooksFor(className)) {
            failures.put(m.key(), why);
        }
        ledger.put(loader, className, new ClassHooks(Set.of(), failures, Map.of()), current);
    }

    /** The patch whose hook of {@code className.key} the table asks for, for the log line. */
    private static String patchOf(LinkTable current, String className, String key) {
        Route r = current.route(className, key);
        ActiveFunction f = r == null ? null : r.any();
        return f != null ? f.patchName() : "?";
    }

    /** Whether a hook of {@code wanted} runs the original code through {@code @Next}: a copy of it is due. */
    private static boolean reachesOriginal(LinkTable current, String className, List<MethodSpec> wanted) {
        for (MethodSpec m : wanted) {
            Route r = current.route(className, m.key());
            if (r != null && (r.unpatched() != null && r.unpatched().reachesOriginal()
                    || r.patched() != null && r.patched().reachesOriginal())) {
                return true;
            }
        }
        return false;
    }

    /** A class of a named module must read the bootstrap class path's unnamed module to link its hooks. */
    private void makeReadable(Module module) throws ClassNotFoundException {
        Module dispatchModule = this.dispatchModule;
        if (dispatchModule == null) {
            // Loaded and linked by the activation that put a method into the table (HookManager.activate).
            dispatchModule = Class.forName(BootstrapClassPath.DISPATCH, false, null).getModule();
            this.dispatchModule = dispatchModule; // the same value whichever thread writes it
        }
        if (module != null && module.isNamed() && !module.canRead(dispatchModule)
                && instrumentation.isModifiableModule(module)) {
            instrumentation.redefineModule(module, Set.of(dispatchModule), Map.of(), Map.of(), Set.of(), Map.of());
        }
    }
}
