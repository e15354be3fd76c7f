package io.jlivepatch.trust;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.trust.TrustPolicy;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;

/**
 * CarriedAcrossLoadersTest's JVM for an unsigned carrier enabled before the raise (webapp.CTool into webapp C's
 * loader), whose target a loader made after the raise (webapp D) defines: D's copy would carry webapp.CTool
 * there unchecked. Arguments: the directory of the JARs and the webapps' class directories, the trust store, its
 * password.
 */
public final class LaterLoaderCarryDriver {

    /** The application's loaders, kept for the JVM's life. */
    private static URLClassLoader webC;
    private static URLClassLoader webD;

    private LaterLoaderCarryDriver() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        ClassLoader app = ClassLoader.getSystemClassLoader();
        webC = new URLClassLoader("webapp-c", new URL[] {dir.resolve("web-c").toUri().toURL()}, app);
        Class<?> otherC = Class.forName("webapp.Other", true, webC);
        int unpatched = quote(otherC);
        PatchHandle carrier = lp.load(dir.resolve("carry-c.jar"));
        carrier.enable();
        check(carrier.awaitTransition(Duration.ofSeconds(30)) && carrier.isEnabled(), "carry-c enabled");
        check(quote(otherC) == 10 && unpatched != 10, "carry-c runs in C: " + quote(otherC) + ", " + unpatched);
        check(Class.forName("webapp.CTool", false, webC).getClassLoader() == webC, "webapp.CTool carried into C");
        check(TrustPolicy.install(TrustPolicy.fromStore(Path.of(args[1]), args[2])), "the policy installed");

        webD = new URLClassLoader("webapp-d", new URL[] {dir.resolve("web-d").toUri().toURL()}, app);
        Class<?> otherD = Class.forName("webapp.Other", true, webD);
        check(quote(otherD) == unpatched, "D's copy keeps its own code: " + quote(otherD));
        try {
            Class<?> tool = Class.forName("webapp.CTool", false, webD);
            throw new AssertionError("webapp.CTool, which no policy checked, was carried into " + tool.getClassLoader()
                    + " after the raise");
        } catch (ClassNotFoundException expected) {
            // nothing carried
        }
        check(quote(otherC) == 10, "C's copy stays patched");
        boolean sawD = false;
        for (FunctionStatus.LoaderStatus l : carrier.functions().get(0).loaders()) {
            if (l.classLoader().contains("webapp-d")) {
                sawD = true;
                check(l.state() == FunctionStatus.State.FAILED && l.detail().contains("class webapp.CTool was not"
                        + " carried: this JVM's trust policy was raised"), "D's status: " + l.state() + " " + l.detail());
            }
        }
        check(sawD, "D's copy in the status: " + carrier.functions().get(0).loaders());
        System.out.println("RESULT ok");
    }

    private static int quote(Class<?> other) throws Exception {
        Object o = other.getConstructor().newInstance();
        return (int) other.getMethod("quote", int.class).invoke(o, 1);
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
