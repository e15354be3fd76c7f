package agentapp;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;

/**
 * An application compiled against jlivepatch-core that runs with nothing but the agent JAR: it
 * patches one of its own methods and prints what it sees, one fact per line.
 */
public final class PatchedApp {

    public static String greet(String name) {
        return "hello " + name;
    }

    public static String greetFixed(String name) {
        return "HELLO " + name.trim();
    }

    public static void main(String[] args) throws Exception {
        System.out.println("before=" + greet(" a "));
        Livepatch lp = Livepatch.get();
        PatchHandle h = lp.register(Patch.builder("agent-it")
                .replace(PatchedApp.class.getMethod("greet", String.class),
                        PatchedApp.class.getMethod("greetFixed", String.class))
                .build());
        h.enable();
        System.out.println("patched=" + greet(" a "));
        System.out.println("state=" + h.functions().get(0).state());
        h.disable();
        h.unregister();
        System.out.println("after=" + greet(" a "));
    }
}
