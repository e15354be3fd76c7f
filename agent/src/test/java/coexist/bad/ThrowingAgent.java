package coexist.bad;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;

/**
 * An agent whose retransformation-capable transformer throws whenever {@code coexist.app.Pricing}
 * is retransformed (as a buggy agent does): it says so on stderr with the prefix
 * {@code [throwing-agent]} each time, so the test can tell that it ran.
 */
public final class ThrowingAgent {

    private ThrowingAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        inst.addTransformer(new Thrower(), true);
    }

    private static final class Thrower implements ClassFileTransformer {
        @Override
        public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                                ProtectionDomain domain, byte[] classFile) {
            if (redefined != null && "coexist/app/Pricing".equals(name)) {
                System.err.println("[throwing-agent] throws on " + name);
                throw new IllegalStateException("throwing-agent refuses to retransform " + name);
            }
            return null;
        }
    }
}
