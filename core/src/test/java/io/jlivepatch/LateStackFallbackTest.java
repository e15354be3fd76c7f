package io.jlivepatch;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

/**
 * A call of a late class that cannot run its callbacks (from a static initializer while jlivepatch's
 * lock is taken) runs the topmost version of a patch with no callbacks for the class, however many
 * waiting patches' versions are above it, and an {@code @Next} of such a version calls down past every
 * waiting one. Before, past two waiting versions the call ran the class's own code, a fix below them
 * bypassed. In a fresh JVM each ({@link LateStackFallbackDriver}: the stack, bottom first: {@code P}
 * plain and {@code N} {@code @Next} versions without callbacks, {@code W} {@code @Next} and {@code X}
 * plain versions of patches with callbacks for the class; what the deferred calls return; what the
 * calls after the callbacks have run return). The bound is a hang detector, not a measurement.
 */
class LateStackFallbackTest {

    static Stream<Arguments> stacks() {
        String twenty = "N".repeat(20);
        return Stream.of(
                Arguments.of("PWWW", "v", "w(w(w(v)))"),
                Arguments.of("PWWWW", "v", "w(w(w(w(v))))"),
                Arguments.of("PXXX", "v", "x"),
                Arguments.of("WPWW", "v", "w(w(v))"),
                Arguments.of("WPWWW", "v", "w(w(w(v)))"),
                Arguments.of("PWWWN", "n(v)", "n(w(w(w(v))))"),
                Arguments.of("PWNWWW", "n(v)", "w(w(w(n(w(v)))))"),
                Arguments.of("NWWW", "n(original)", "w(w(w(n(original))))"),
                Arguments.of("WWW", "original", "w(w(w(original)))"),
                // every version of a late class is gated while its callbacks are pending: 24 of them link in
                // one go, not one side per set of versions left out (2^n)
                Arguments.of("PWWW" + twenty, nested(20, "v"), nested(20, "w(w(w(v)))")));
    }

    @ParameterizedTest
    @MethodSource("stacks")
    void aDeferredCallRunsTheTopmostVersionWithNothingLeftToRunHoweverManyWaitAboveIt(String stack, String deferred,
                                                                                   String settled) throws Exception {
        ChildJvm.runOk(LateStackFallbackDriver.class, List.of(), List.of(stack, deferred, settled), 120);
    }

    private static String nested(int n, String inner) {
        return "n(".repeat(n) + inner + ")".repeat(n);
    }
}
