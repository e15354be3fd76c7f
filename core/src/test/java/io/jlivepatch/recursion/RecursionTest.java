package io.jlivepatch.recursion;

import com.acme.recursion.RecursionDriver;
import io.jlivepatch.ChildJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/**
 * The kernel's ftrace recursion protection: patches of JDK methods that jlivepatch itself uses on
 * the hook path (routing, stack checks, transition bookkeeping, logging) work under load, through
 * transitions, a reversal and a force, and can be removed; no thread of jlivepatch's own runs a
 * replacement. Each runs in a fresh JVM, since a failure here used to kill every thread of the JVM
 * it ran in.
 */
class RecursionTest {

    @ParameterizedTest
    @ValueSource(strings = {"hash", "arraylist", "threadlocal", "stringbuilder", "logger"})
    void aPatchOfAJdkMethodJlivepatchUsesWorksAndComesOff(String target) throws Exception {
        // java.lang opened for the ThreadLocal replacement, which reads ThreadLocal's private state
        ChildJvm.runOk(RecursionDriver.class, List.of("--add-opens", "java.base/java.lang=ALL-UNNAMED"),
                List.of(target), 150);
    }
}
