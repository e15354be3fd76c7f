package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each warning once, and a bounded memory of them: a JVM that makes new class loaders forever does not grow it. */
class ReportedOnceTest {

    @Test
    void aKeyIsFirstOnceUntilTheMemoryIsFull() {
        ReportedOnce once = new ReportedOnce();
        assertTrue(once.first("app@1 com.acme.A.f()V misfit"));
        assertFalse(once.first("app@1 com.acme.A.f()V misfit"), "logged once");
        assertTrue(once.first("app@2 com.acme.A.f()V misfit"), "another loader's is another warning");
    }

    @Test
    void newLoadersForeverKeepItBoundedAndAWarningStillTrueComesBackOnce() {
        ReportedOnce once = new ReportedOnce();
        assertTrue(once.first("kept"));
        // A redeployed web application's loader, a thousand times and more: each a new key.
        for (int i = 0; i < ReportedOnce.REMEMBERED * 10; i++) {
            once.first("webapp@" + i + " com.acme.A.f()V misfit");
        }
        // Emptied when full: the first key is forgotten and logged once more, then remembered again.
        assertTrue(once.first("kept"));
        assertFalse(once.first("kept"));
    }
}
