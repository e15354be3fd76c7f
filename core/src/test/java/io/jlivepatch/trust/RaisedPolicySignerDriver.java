package io.jlivepatch.trust;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.trust.TrustPolicy;
import jarapp.Counter;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * In a fresh JVM (the policy is global): a signed patch JAR registered while no trust store was set
 * records no signer (nothing checked it); the policy raised meanwhile checks it at its enable, and
 * from then on the signer that check found is what status, the MBean and the audit log name, not
 * "unsigned" for code the JVM's policy has verified and runs.
 *
 * <p>Arguments: the signed JAR, the trust store, its password, the signer as recorded.
 */
public final class RaisedPolicySignerDriver {

    private RaisedPolicySignerDriver() {
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        String signer = args[3];
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        PatchRegistry registry = PatchRegistry.installed();
        PatchHandle h = lp.load(jar);
        check(registry.provenance(h).signer().isEmpty(), "no signer recorded without a policy: "
                + registry.provenance(h));

        check(TrustPolicy.install(TrustPolicy.fromStore(Path.of(args[1]), args[2])), "the policy installed");
        h.enable();
        check(h.awaitTransition(Duration.ofSeconds(30)) && h.isEnabled(), "enabled");
        check(new Counter().next() == -1, "the patch runs"); // CounterFix.next answers -1
        check(registry.provenance(h).signer().equals(signer), "the signer the raised policy checked is recorded: "
                + registry.provenance(h));
        List<AuditLog.Entry> entries = registry.audit().entries();
        AuditLog.Entry enable = entries.get(entries.size() - 1);
        for (AuditLog.Entry e : entries) {
            if (e.operation().equals("enable")) {
                enable = e;
            }
        }
        check(enable.operation().equals("enable") && enable.signer().equals(signer), "the enable's record names the"
                + " signer: " + entries);

        // A class defined after the enable is hooked as it is defined: jlivepatch's link line for it names the
        // signer too. It said unsigned: the link audit kept the provenance the patch had at its registration.
        Class<?> late = new OwnCounter().loadClass(Counter.class.getName());
        check(late.getClassLoader() instanceof OwnCounter, "a copy of its own: " + late.getClassLoader());
        AuditLog.Entry link = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (link == null && System.nanoTime() - deadline < 0) {
            for (AuditLog.Entry e : registry.audit().entries()) {
                if (e.operation().equals("link") && e.outcome().contains("hooked as it was defined")) {
                    link = e;
                }
            }
            Thread.sleep(10); // a poll of the record, bounded above: its writer is another thread
        }
        check(link != null && link.patch().equals("fix-counter") && link.signer().equals(signer), "the link line of"
                + " the class defined later names the signer: " + link);
        System.out.println("RESULT ok");
    }

    /** Defines its own copy of jarapp.Counter, from the class path's class file. */
    private static final class OwnCounter extends ClassLoader {

        OwnCounter() {
            super("own-counter", RaisedPolicySignerDriver.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals(Counter.class.getName())) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try (java.io.InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        byte[] b = in.readAllBytes();
                        c = defineClass(name, b, 0, b.length);
                    } catch (java.io.IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                return c;
            }
        }
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
