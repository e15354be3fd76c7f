package io.jlivepatch;

import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A patch MBean's {@code Waiting} names its items {@code thread}, {@code threadId}, {@code method},
 * {@code inside} (README) whatever the target's default locale: the JDK's MXBean mapping lower-cased
 * {@code getInside}'s first letter with it, {@code ınside} under a Turkish or Azeri one. In a fresh JVM
 * ({@link WaitingItemNamesDriver}), so that the first patch MBean is registered under that locale, as the
 * JDK keeps the type it made then; the bound is a hang detector.
 */
class WaitingItemNamesTest {

    @Test
    void aTurkishTargetsWaitingHasAnInsideItem() throws Exception {
        ChildJvm.runOk(WaitingItemNamesDriver.class, List.of("-Duser.language=tr", "-Duser.country=TR"), List.of("tr"),
                120);
    }

    @Test
    void anAzeriTargetsWaitingHasAnInsideItem() throws Exception {
        ChildJvm.runOk(WaitingItemNamesDriver.class, List.of("-Duser.language=az", "-Duser.country=AZ"), List.of("az"),
                120);
    }

    /** Where the JDK names them right too, Waiting's type is the JDK's own, and a client's MXBean proxy reads it. */
    @Test
    void anEnglishTargetsWaitingIsTheTypeTheJdkMakesThere() throws Exception {
        ChildJvm.runOk(WaitingItemNamesDriver.class, List.of("-Duser.language=en", "-Duser.country=US"), List.of("en"),
                120);
    }
}
