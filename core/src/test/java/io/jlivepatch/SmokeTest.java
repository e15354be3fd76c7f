package io.jlivepatch;

import testapp.Greeter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SmokeTest {

    public static String greet(Greeter g, String name) {
        return "Hi, " + name.trim();
    }

    public static int twice(int x) {
        return 3 * x;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    @Test
    void patchesAndUnpatches() throws Exception {
        Greeter g = new Greeter();
        assertEquals("Hello, bob ", g.greet("bob "));
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("smoke")
                .replace(TestSupport.method(Greeter.class, "greet", String.class),
                        TestSupport.method(SmokeTest.class, "greet", Greeter.class, String.class))
                .replace(TestSupport.method(Greeter.class, "twice", int.class),
                        TestSupport.method(SmokeTest.class, "twice", int.class))
                .build());
        h.enable();
        assertEquals("Hi, bob", g.greet("bob "));
        assertEquals(9, Greeter.twice(3));
        System.out.println(h.functions());
        h.disable();
        assertEquals("Hello, bob ", g.greet("bob "));
        assertEquals(6, Greeter.twice(3));
        h.enable();
        assertEquals("Hi, bob", g.greet("bob "));
    }
}
