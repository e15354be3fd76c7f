package io.jlivepatch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import testapp.Calc;

import java.lang.reflect.Method;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Patch.builder / build: a malformed description is an IllegalArgumentException, before any registration. */
class PatchBuilderTest {

    public static int add(Calc c, int a, int b) {
        return 0;
    }

    public static int other(Calc c, int a, int b) {
        return 1;
    }

    /** public but not static */
    public int notStatic(Calc c, int a, int b) {
        return 0;
    }

    /** static but not public */
    static int notPublic(Calc c, int a, int b) {
        return 0;
    }

    /** public static but native: no body a patch can bring */
    public static native int nativeAdd(Calc c, int a, int b);

    private static Method good() {
        return method(PatchBuilderTest.class, "add", Calc.class, int.class, int.class);
    }

    private static Method target() {
        return method(Calc.class, "add", int.class, int.class);
    }

    @Test
    void aWellFormedPatchIsBuiltAsDescribed() {
        Patch p = Patch.builder("A-z_0.9-" + "x".repeat(56)).description("d")
                .replace(target(), good())
                .replace("testapp.Calc", "square", "(I)I", method(CalcStatic.class, "square", int.class))
                .build();
        assertEquals(64, p.name().length());
        assertEquals("d", p.description());
        assertEquals(2, p.replacements().size());
        assertEquals("testapp.Calc.add(II)I", p.replacements().get(0).target());
        assertEquals("(I)I", p.replacements().get(1).descriptor());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "slash/name", "colon:name", "ünïcode", "65-chars-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
    void aBadNameIsRefused(String name) {
        assertThrows(IllegalArgumentException.class, () -> Patch.builder(name).replace(target(), good()).build());
    }

    @Test
    void aPatchWithNoFunctionIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Patch.builder("no-function").build());
    }

    @Test
    void aReplacementThatIsNotStaticIsRefused() {
        Method m = method(PatchBuilderTest.class, "notStatic", Calc.class, int.class, int.class);
        assertThrows(IllegalArgumentException.class, () -> Patch.builder("not-static").replace(target(), m));
    }

    @Test
    void aReplacementThatIsNotPublicIsRefused() {
        Method m = method(PatchBuilderTest.class, "notPublic", Calc.class, int.class, int.class);
        assertThrows(IllegalArgumentException.class, () -> Patch.builder("not-public").replace(target(), m));
    }

    @Test
    void aReplacementThatIsNativeIsRefused() {
        Method m = method(PatchBuilderTest.class, "nativeAdd", Calc.class, int.class, int.class);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Patch.builder("native").replace(target(), m));
        assertTrue(e.getMessage().contains("nativeAdd") && e.getMessage().contains("is declared native"),
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "I", "(I", "I)V", "(I)", "()VV", "(V)V", "(Lfoo)V", "(L;)V", "([)V", "(I)[",
            "(Ljava/lang/String)V", "(Q)V", "()Ljava/lang/String"})
    void aMalformedDescriptorIsRefused(String descriptor) {
        assertThrows(IllegalArgumentException.class,
                () -> Patch.builder("bad-descriptor").replace("testapp.Calc", "add", descriptor, good()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "testapp/Calc"})
    void aMalformedClassNameIsRefused(String className) {
        assertThrows(IllegalArgumentException.class,
                () -> Patch.builder("bad-class").replace(className, "add", "(II)I", good()));
    }

    @Test
    void anEmptyMethodNameIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> Patch.builder("bad-method").replace("testapp.Calc", "", "(II)I", good()));
    }

    @Test
    void theSameTargetTwiceIsRefused() {
        Method other = method(PatchBuilderTest.class, "other", Calc.class, int.class, int.class);
        assertThrows(IllegalArgumentException.class,
                () -> Patch.builder("dup-target").replace(target(), good()).replace(target(), other).build());
        assertThrows(IllegalArgumentException.class, () -> Patch.builder("dup-target-mixed")
                .replace(target(), good()).replace("testapp.Calc", "add", "(II)I", other).build());
    }

    @Test
    void aRefusalQuotesTheCallersNamesEscapedInOneLine() {
        // Names a caller passes on from elsewhere (a configuration, a request): their controls escaped as
        // in "Clean text", as the JAR's values are, so that the message is one line a terminal prints safely.
        String hostile = "testapp.Ca\u001b[2J\r\nlc\u0000";
        String escaped = "testapp.Ca\\e[2J\\r\\nlc\\u0000";
        Method notStatic = method(PatchBuilderTest.class, "notStatic", Calc.class, int.class, int.class);
        Method other = method(PatchBuilderTest.class, "other", Calc.class, int.class, int.class);
        assertRefusedEscaped("target class '" + escaped + "/x' is not a binary class name",
                () -> new Patch.Replacement(hostile + "/x", "add", "(II)I", good()));
        assertRefusedEscaped("target method of " + escaped + " has an empty name",
                () -> new Patch.Replacement(hostile, " ", "(II)I", good()));
        assertRefusedEscaped("'(\\e)V' for " + escaped + ".a\\tdd is not a JVM method descriptor",
                () -> new Patch.Replacement(hostile, "a\tdd", "(\u001b)V", good()));
        assertRefusedEscaped("for " + escaped + ".add(II)I is not public static",
                () -> new Patch.Replacement(hostile, "add", "(II)I", notStatic));
        assertRefusedEscaped("replaces " + escaped + ".add(II)I twice", () -> Patch.builder("dup")
                .replace(hostile, "add", "(II)I", good()).replace(hostile, "add", "(II)I", other).build());
        assertRefusedEscaped("patch name '" + escaped + "' is not valid",
                () -> Patch.builder(hostile).replace(target(), good()).build());
        assertRefusedEscaped("held class '" + escaped + "' is not a binary class name",
                () -> new Patch.Hold(hostile, "run", "()V"));
        assertRefusedEscaped("held method 'r\\u0085un' of testapp.Calc is not a method name",
                () -> new Patch.Hold("testapp.Calc", "r\u0085un", "()V"));
        assertRefusedEscaped("'" + escaped + "' does not name a method to hold", () -> Patch.Hold.parse(hostile));
        assertRefusedEscaped("has callbacks for " + escaped + " already", () -> Patch.builder("cb")
                .callbacks(hostile, new Callbacks() { }).callbacks(hostile, new Callbacks() { }));
    }

    private static void assertRefusedEscaped(String expected, org.junit.jupiter.api.function.Executable call) {
        String message = assertThrows(IllegalArgumentException.class, call).getMessage();
        assertTrue(message.contains(expected), "'" + expected + "' not in: " + message);
        for (int i = 0; i < message.length(); i++) {
            assertTrue(!io.jlivepatch.internal.Text.needsEscape(message, i), "a control at " + i + ": " + message);
        }
    }

    /** A public nested holder of a static replacement. */
    public static final class CalcStatic {
        public static int square(int a) {
            return -a;
        }
    }
}
