package io.jlivepatch.trust;

import io.jlivepatch.internal.trust.TrustPolicy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * {@link TrustPolicy#install} in a fresh JVM (the policy is global): the first enforcing policy
 * stays. Arguments: mode ({@code good-first} or {@code broken-first}), a store, another store, a
 * missing file, the password. Prints {@code RESULT ok}, or fails.
 */
public final class InstallDriver {

    /** Held strongly: java.util.logging forgets the handlers of a logger that is collected. */
    private static final Logger LOGGER = Logger.getLogger("io.jlivepatch");

    private InstallDriver() {
    }

    public static void main(String[] args) {
        List<String> warnings = new ArrayList<>();
        LOGGER.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        String password = args[4];
        TrustPolicy a = TrustPolicy.fromStore(Path.of(args[1]), password);
        TrustPolicy b = TrustPolicy.fromStore(Path.of(args[2]), password);
        TrustPolicy missing = TrustPolicy.fromStore(Path.of(args[3]), password);

        check(TrustPolicy.current() == TrustPolicy.none(), "none at first");
        check(TrustPolicy.install(TrustPolicy.none()), "none over none: in force");
        TrustPolicy first = args[0].equals("good-first") ? a : missing;
        TrustPolicy other = args[0].equals("good-first") ? missing : a;
        check(TrustPolicy.install(first), "the first enforcing policy is installed");
        check(TrustPolicy.current() == first, "and is current");

        int warned = warnings.size(); // installing a broken store warned: counted from here
        check(TrustPolicy.install(TrustPolicy.fromStore(Path.of(args[0].equals("good-first") ? args[1] : args[3]),
                password)), "the same store again: in force");
        check(TrustPolicy.current() == first && warnings.size() == warned, "unchanged, without a warning");

        check(!TrustPolicy.install(TrustPolicy.none()), "none never lowers it");
        check(TrustPolicy.current() == first && warnings.size() == warned, "unchanged, without a warning");

        for (TrustPolicy later : new TrustPolicy[] {other, b}) {
            check(!TrustPolicy.install(later), "a different policy is not installed");
            check(TrustPolicy.current() == first, "the first stays");
            check(warnings.size() == warned + 1, "one warning: " + warnings);
            String w = warnings.get(warned);
            check(w.contains("it stays \"" + first.describe() + "\"") && w.contains("\"" + later.describe() + "\" was"
                    + " asked for and not installed") && w.contains("cannot be changed while the JVM runs"), w);
            warned++;
        }
        System.out.println("RESULT ok");
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
