package coexist.order;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.security.ProtectionDomain;

/**
 * An agent that adds its retransformation-capable transformer first thing in its premain, and says
 * on stderr, at each retransformation of {@code coexist.app.Pricing}, whether the class file it is
 * given already holds jlivepatch's hook (a reference to its Dispatch class): that is, whether its
 * transformer runs after jlivepatch's. It changes nothing.
 */
public final class WatchingAgent {

    private static final byte[] DISPATCH = "io/jlivepatch/internal/bootstrap/Dispatch".getBytes(StandardCharsets.US_ASCII);

    private WatchingAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        inst.addTransformer(new Watcher(), true);
    }

    private static final class Watcher implements ClassFileTransformer {
        @Override
        public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                                ProtectionDomain domain, byte[] classFile) {
            if (redefined != null && "coexist/app/Pricing".equals(name)) {
                System.err.println("[watching-agent] retransforming " + name + " after jlivepatch's hook: "
                        + contains(classFile, DISPATCH));
            }
            return null;
        }

        private static boolean contains(byte[] data, byte[] what) {
            outer:
            for (int i = 0; i + what.length <= data.length; i++) {
                for (int j = 0; j < what.length; j++) {
                    if (data[i + j] != what[j]) {
                        continue outer;
                    }
                }
                return true;
            }
            return false;
        }
    }
}
