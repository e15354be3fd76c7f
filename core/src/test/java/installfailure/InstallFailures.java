package installfailure;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * What the drivers of failed installations share, each in a JVM of its own: a method to patch, the
 * transformers an Instrumentation holds, an Instrumentation whose chosen calls fail, and the checks,
 * which end the driver's JVM when they fail ({@code ChildJvm} reads {@code RESULT}).
 */
final class InstallFailures {

    private InstallFailures() {
    }

    public static final class Target {
        public static int value() {
            return 1;
        }
    }

    public static final class Fix {
        public static int value() {
            return 2;
        }
    }

    /** That the failed install left no claim and no registry; the transformers, each driver as it expects. */
    static void leftNothing(String attempt) {
        check(System.getProperty("jlivepatch.owner") == null, "the " + attempt + " failed install left its claim"
                + " jlivepatch.owner=" + System.getProperty("jlivepatch.owner"));
        check(PatchRegistry.installed() == null, "the " + attempt + " failed install left its registry");
    }

    /** Registers, enables and disables a patch of {@link Target} through {@code lp}: the installation works. */
    static PatchHandle patchesAndUnpatches(Livepatch lp, String name) throws Exception {
        PatchHandle h = lp.register(Patch.builder(name)
                .replace(Target.class.getMethod("value"), Fix.class.getMethod("value")).build());
        h.enable();
        check(h.awaitTransition(Duration.ofSeconds(10)) && Target.value() == 2, "not patched after the retry");
        h.disable();
        check(h.awaitTransition(Duration.ofSeconds(10)) && Target.value() == 1, "not unpatched after the retry");
        return h;
    }

    /** {@code real}, except that a call {@code fails} picks throws {@code thrown}, as a JVM out of memory would. */
    static Instrumentation failing(Instrumentation real, BiPredicate<Method, Object[]> fails, Error thrown) {
        return (Instrumentation) Proxy.newProxyInstance(Instrumentation.class.getClassLoader(),
                new Class<?>[] {Instrumentation.class}, (proxy, m, a) -> {
                    if (fails.test(m, a)) {
                        throw thrown;
                    }
                    try {
                        return m.invoke(real, a);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** How many of {@code names} (class names) are of the simple name {@code simpleName}. */
    static long count(List<String> names, String simpleName) {
        return names.stream().filter(n -> n.endsWith("." + simpleName)).count();
    }

    /**
     * The class names of the transformers {@code inst} holds, both kinds (retransformation capable or
     * not). Needs --add-opens java.instrument/sun.instrument.
     */
    static List<String> transformers(Instrumentation inst) throws ReflectiveOperationException {
        List<String> names = new ArrayList<>();
        for (Field m : inst.getClass().getDeclaredFields()) {
            if (!m.getType().getName().endsWith("TransformerManager")) {
                continue;
            }
            m.setAccessible(true);
            Object manager = m.get(inst);
            if (manager == null) {
                continue;
            }
            for (Field l : manager.getClass().getDeclaredFields()) {
                if (!l.getType().isArray()) {
                    continue;
                }
                l.setAccessible(true);
                Object list = l.get(manager);
                for (int i = 0; list != null && i < Array.getLength(list); i++) {
                    Object info = Array.get(list, i);
                    for (Field t : info.getClass().getDeclaredFields()) {
                        if (ClassFileTransformer.class.isAssignableFrom(t.getType())) {
                            t.setAccessible(true);
                            names.add(t.get(info).getClass().getName());
                        }
                    }
                }
            }
        }
        return names;
    }

    /** With -Dobserve=true (run by hand) a failed check is printed and the rest still runs: what a retry then meets. */
    static void check(boolean ok, String what) {
        if (!ok && Boolean.getBoolean("observe")) {
            System.out.println("FAILED (going on to observe the rest): " + what);
        } else if (!ok) {
            fail(what);
        }
    }

    static void fail(String what) {
        System.out.println("FAILED: " + what);
        System.exit(1);
    }
}
