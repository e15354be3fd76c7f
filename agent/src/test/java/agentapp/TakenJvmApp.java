package agentapp;

import java.lang.invoke.MethodHandle;
import java.util.function.BiFunction;

/**
 * {@link ServiceApp} in a JVM that another copy of jlivepatch took before this JVM's agent made its
 * first change: the agent's install (on a thread of its own while main starts, waited for here) put
 * the dispatch classes on the boot class path and left the rest for the first operation; this main then installs a resolver of its own into that
 * Dispatch, as an older copy of jlivepatch that does not claim {@code jlivepatch.owner} does at its
 * install. Prints {@code taken=true} when it got the JVM (the test's precondition), then runs the service.
 */
public final class TakenJvmApp {

    public static void main(String[] args) throws Exception {
        io.jlivepatch.internal.BackgroundInstall.await();
        Class<?> dispatch = Class.forName("io.jlivepatch.internal.bootstrap.Dispatch", true, null);
        BiFunction<Class<?>, String, MethodHandle[]> foreign = (owner, key) -> null; // no patch of its own
        boolean taken = (boolean) dispatch.getMethod("install", BiFunction.class).invoke(null, foreign);
        System.out.println("taken=" + taken);
        System.out.flush();
        ServiceApp.main(args);
    }
}
