package io.jlivepatch.internal.jar;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A replacement without a descriptor whose target class is loaded nowhere is read from its own
 * parameters; where that reading could be wrong (a receiver typed as a supertype reads as a static
 * method's first parameter), the load says so.
 */
class ReadingWhenUnloadedTest {

    private static ReplacesScanner.Entry entry(String descriptor, String replacementDesc, boolean next) {
        return new ReplacesScanner.Entry("com.acme.fix.GreeterFix", "com.acme.Greeter", "greet", descriptor, "greet",
                replacementDesc, next, new int[0], false);
    }

    @Test
    void aReceiverTypedAsASupertypeIsReadAsAStaticMethodsParameterAndSaidSo() {
        ReplacesScanner.Entry e = entry("", "(Ljava/lang/Object;Ljava/lang/String;)Ljava/lang/String;", false);
        assertEquals("(Ljava/lang/Object;Ljava/lang/String;)Ljava/lang/String;", PatchJarLoader.descriptorWhenUnloaded(e));
        assertEquals("@Replaces(target = \"com.acme.Greeter\", method = \"greet\") gives no descriptor and"
                + " com.acme.Greeter is loaded nowhere yet, so it is read as the static method"
                + " greet(Ljava/lang/Object;Ljava/lang/String;)Ljava/lang/String;; if the target is an instance method,"
                + " add descriptor = its descriptor to @Replaces (or type the receiver as com.acme.Greeter), else the"
                + " function fails when the class is defined", PatchJarLoader.readingWhenUnloaded(e));
    }

    @Test
    void aReceiverTypedAsTheTargetIsReadAsAnInstanceMethodWithoutAWord() {
        ReplacesScanner.Entry e = entry("", "(Lcom/acme/Greeter;Ljava/lang/String;)Ljava/lang/String;", false);
        assertEquals("(Ljava/lang/String;)Ljava/lang/String;", PatchJarLoader.descriptorWhenUnloaded(e));
        assertNull(PatchJarLoader.readingWhenUnloaded(e));
    }

    @Test
    void nothingToSayWhenTheReadingCannotBeWrong() {
        assertNull(PatchJarLoader.readingWhenUnloaded(entry("(Ljava/lang/String;)Ljava/lang/String;",
                "(Ljava/lang/Object;Ljava/lang/String;)Ljava/lang/String;", false)), "a descriptor is given");
        assertNull(PatchJarLoader.readingWhenUnloaded(entry("", "()Ljava/lang/String;", false)), "no parameter");
        assertNull(PatchJarLoader.readingWhenUnloaded(entry("", "(ILjava/lang/String;)Ljava/lang/String;", false)),
                "a primitive first parameter is no receiver");
        assertNull(PatchJarLoader.readingWhenUnloaded(entry("", "(Ljava/lang/invoke/MethodHandle;)Ljava/lang/String;",
                true)), "the only parameter is @Next");
    }
}
