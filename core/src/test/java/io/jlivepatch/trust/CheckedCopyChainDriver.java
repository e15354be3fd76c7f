package io.jlivepatch.trust;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.trust.TrustPolicy;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * UncheckedCarrierTest's JVM for a checked class file that links to an unchecked one: before the raise an
 * unsigned patch carries jarapp.ChainHead (which calls jarapp.ChainTail) and jarapp.ChainTail into the
 * application's class loader; after it a signed patch of a plugin's class, in a loader of its own, carries
 * the very same ChainHead bytes and another ChainTail there. Those bytes are checked code, but the
 * application loader's ChainHead still runs the unsigned ChainTail: a signed patch that uses ChainHead there
 * is refused, naming both classes, unless it carries that ChainTail's very bytes itself. Arguments: the
 * directory of the JARs (the plugin's classes in {@code plugin/}), the trust store, its password.
 */
public final class CheckedCopyChainDriver {

    /** The plugin's loader, kept for the JVM's life: its class is the signed carrier's target. */
    private static URLClassLoader plugin;

    private CheckedCopyChainDriver() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        lp.load(dir.resolve("chain-u.jar")).unregister(); // its two classes stay in the application's loader
        check(TrustPolicy.install(TrustPolicy.fromStore(Path.of(args[1]), args[2])), "the policy installed");

        plugin = new URLClassLoader("plugin", new URL[] {dir.resolve("plugin").toUri().toURL()},
                ClassLoader.getPlatformClassLoader());
        Class.forName("jarapp.Plugin", true, plugin);
        PatchHandle other = lp.load(dir.resolve("chain-other.jar")); // signed: ChainHead's bytes are checked now
        check(other.isRegistered(), "chain-other loads");
        other.unregister(); // its classes stay in the plugin's loader, checked; the enable below needs none below it

        PatchException e;
        try {
            PatchHandle h = lp.load(dir.resolve("uses-head.jar"));
            throw new AssertionError("not refused: uses-head links to jarapp.ChainHead in the application's loader,"
                    + " whose jarapp.ChainTail there no policy checked: " + h);
        } catch (PatchException refused) {
            e = refused;
        }
        String m = e.getMessage();
        String expected = "its code uses class jarapp.ChainHead, whose code uses class jarapp.ChainTail, which patch"
                + " 'chain-u' (JAR SHA-256 " + Sha256.hex(Files.readAllBytes(dir.resolve("chain-u.jar"))) + ") carried"
                + " into the application's class loader unchecked";
        check(m.contains(expected) && m.contains("nothing was changed") && !m.contains("\n"), "refusal: " + m);
        check(e.reason() == PatchException.Reason.UNTRUSTED, "UNTRUSTED: " + e.reason());
        check(lp.find("uses-head").isEmpty(), "uses-head is not registered");

        // The same use, carrying the identical ChainTail class file itself: what runs is code its signer signed.
        PatchHandle tail;
        try {
            tail = lp.load(dir.resolve("uses-head-tail.jar"));
        } catch (PatchException refused) {
            throw new AssertionError("uses-head-tail refused, though it carries the very ChainTail bytes: "
                    + refused.getMessage(), refused);
        }
        tail.enable();
        check(tail.awaitTransition(Duration.ofSeconds(30)) && tail.isEnabled(), "uses-head-tail enabled");
        check(new jarapp.Counter().next() == -1, "uses-head-tail runs"); // ChainHead.value, ChainTail.value, -1
        System.out.println("RESULT ok");
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
