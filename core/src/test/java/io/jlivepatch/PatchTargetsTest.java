package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.Modifiers;
import testapp.Named;
import testapp.NamedImpl;
import testapp.Overloads;
import testapp.Primitives;
import testapp.Shape;
import testapp.Shapes;
import testapp.Square;
import testapp.Stacked;
import testapp.Thrower;

import java.io.IOException;
import java.lang.reflect.Method;
import java.util.UUID;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every kind of method that must be patchable: original before, replacement after enable, original after disable. */
class PatchTargetsTest {

    // ---- replacements ----

    public static String plain(Modifiers m, String s) {
        return "patched " + m.name() + ":" + s;
    }

    public static int stat(int x) {
        return x + 100;
    }

    public static String secret(Modifiers m) {
        return "patched secret of " + m.name();
    }

    public static String fin(Modifiers m) {
        return "patched final " + m.name();
    }

    public static int sync(Modifiers m, int x) {
        return x * 20;
    }

    public static String greeting(Named n) {
        return "patched hello from " + n.name();
    }

    public static String shout(String s) {
        return s.toUpperCase() + "!";
    }

    public static String describe(Shape s) {
        return "patched shape of area " + s.area();
    }

    public static String fLong(Overloads o, long x) {
        return "patched long " + x;
    }

    public static boolean not(boolean b) {
        return b;
    }

    public static byte incByte(byte b) {
        return (byte) (b - 1);
    }

    public static char nextChar(char c) {
        return (char) (c - 1);
    }

    public static short incShort(short s) {
        return (short) (s - 1);
    }

    public static int incInt(int i) {
        return i - 1;
    }

    public static long addLong(long a, long b) {
        return a - b;
    }

    public static float half(float f) {
        return f * 2;
    }

    public static double mulDouble(double a, double b) {
        return a / b;
    }

    public static int[] reverse(int[] a) {
        return a.clone();
    }

    public static String[][] grid(String s, int n) {
        return new String[][] {{"patched", s, Integer.toString(n)}};
    }

    public static int sum(int... xs) {
        return -xs.length;
    }

    public static void record(String s) {
        Primitives.lastRecorded = "patched " + s;
    }

    public static double mix(Primitives p, long l, int i, double d, float f, Object o) {
        return l * 1_000_000 + i * 10_000 + d * 100 + f + (o == null ? 0 : 0.5);
    }

    public static void voidInstance(Primitives p, long l, double d) {
        Primitives.lastRecorded = "patched " + l + " " + d;
    }

    public static int version(UUID u) {
        return 99;
    }

    public static double areaViaSupertype(Shape s) {
        return -1;
    }

    public static double areaViaObject(Object o) {
        return -2;
    }

    public static String nameViaInterface(Named n) {
        return "patched impl";
    }

    static final IllegalStateException UNCHECKED = new IllegalStateException("thrown by the replacement");
    static final IOException CHECKED = new IOException("thrown by the replacement");

    public static int throwsUnchecked(int x) {
        throw UNCHECKED;
    }

    public static String throwsChecked(Thrower t, String s) throws IOException {
        throw CHECKED;
    }

    public static int loopAtStart(int n) {
        return -n;
    }

    static final IllegalArgumentException FROM_REPLACEMENT = new IllegalArgumentException("thrown by the replacement");

    public static String tryAtStart(String s) {
        throw FROM_REPLACEMENT;
    }

    public static int lower(Stacked s) {
        return 2;
    }

    public static int upper(Stacked s) {
        return 3;
    }

    // ---- helpers ----

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    private static PatchHandle enable(String name, Method original, Method replacement) throws PatchException {
        PatchHandle h = livepatch().register(Patch.builder(name).replace(original, replacement).build());
        h.enable();
        return h;
    }

    private static Method own(String name, Class<?>... params) {
        return method(PatchTargetsTest.class, name, params);
    }

    // ---- tests ----

    @Test
    void anInstanceMethodIsRedirectedAndRestored() throws Exception {
        Modifiers m = new Modifiers("m");
        assertEquals("m:x", m.plain("x"));
        PatchHandle h = enable("targets-instance", method(Modifiers.class, "plain", String.class),
                own("plain", Modifiers.class, String.class));
        assertEquals("patched m:x", m.plain("x"));
        assertEquals("patched n:y", new Modifiers("n").plain("y"));
        h.disable();
        assertEquals("m:x", m.plain("x"));
    }

    @Test
    void aStaticMethodIsRedirectedAndRestored() throws Exception {
        assertEquals(2, Modifiers.stat(1));
        PatchHandle h = enable("targets-static", method(Modifiers.class, "stat", int.class), own("stat", int.class));
        assertEquals(101, Modifiers.stat(1));
        h.disable();
        assertEquals(2, Modifiers.stat(1));
    }

    @Test
    void aPrivateMethodIsRedirectedAndRestored() throws Exception {
        Modifiers m = new Modifiers("m");
        assertEquals("secret of m", m.reveal());
        PatchHandle h = enable("targets-private", method(Modifiers.class, "secret"), own("secret", Modifiers.class));
        assertEquals("patched secret of m", m.reveal());
        h.disable();
        assertEquals("secret of m", m.reveal());
    }

    @Test
    void aFinalMethodIsRedirectedAndRestored() throws Exception {
        Modifiers m = new Modifiers("m");
        assertEquals("final m", m.fin());
        PatchHandle h = enable("targets-final", method(Modifiers.class, "fin"), own("fin", Modifiers.class));
        assertEquals("patched final m", m.fin());
        h.disable();
        assertEquals("final m", m.fin());
    }

    @Test
    void aSynchronizedMethodIsRedirectedAndRestored() throws Exception {
        Modifiers m = new Modifiers("m");
        assertEquals(30, m.sync(3));
        PatchHandle h = enable("targets-sync", method(Modifiers.class, "sync", int.class),
                own("sync", Modifiers.class, int.class));
        assertEquals(60, m.sync(3));
        h.disable();
        assertEquals(30, m.sync(3));
    }

    @Test
    void aDefaultInterfaceMethodIsRedirectedAndRestored() throws Exception {
        Named n = new NamedImpl();
        assertEquals("hello from impl", n.greeting());
        PatchHandle h = enable("targets-default", method(Named.class, "greeting"), own("greeting", Named.class));
        assertEquals("patched hello from impl", n.greeting());
        h.disable();
        assertEquals("hello from impl", n.greeting());
    }

    @Test
    void aStaticInterfaceMethodIsRedirectedAndRestored() throws Exception {
        assertEquals("HEY", Named.shout("hey"));
        PatchHandle h = enable("targets-istatic", method(Named.class, "shout", String.class),
                own("shout", String.class));
        assertEquals("HEY!", Named.shout("hey"));
        h.disable();
        assertEquals("HEY", Named.shout("hey"));
    }

    @Test
    void aConcreteMethodOfAnAbstractClassIsRedirectedAndRestored() throws Exception {
        Shape s = new Square(2);
        assertEquals("shape of area 4.0", s.describe());
        PatchHandle h = enable("targets-abstract-class", method(Shape.class, "describe"),
                own("describe", Shape.class));
        assertEquals("patched shape of area 4.0", s.describe());
        h.disable();
        assertEquals("shape of area 4.0", s.describe());
    }

    @Test
    void onlyTheOverloadNamedByTheDescriptorChanges() throws Exception {
        Overloads o = new Overloads();
        PatchHandle h = livepatch().register(Patch.builder("targets-overload")
                .replace("testapp.Overloads", "f", "(J)Ljava/lang/String;", own("fLong", Overloads.class, long.class))
                .build());
        h.enable();
        assertEquals("patched long 5", o.f(5L));
        assertEquals("int 5", o.f(5));
        assertEquals("String 5", o.f("5"));
        assertEquals("Object 5", o.f((Object) 5));
        assertEquals("none", Overloads.f());
        h.disable();
        assertEquals("long 5", o.f(5L));
    }

    @Test
    void everyPrimitiveKindArraysAndVarargsAreRedirectedAndRestored() throws Exception {
        Primitives p = new Primitives();
        Object o = new Object();
        Runnable originals = () -> {
            assertFalse(Primitives.not(true));
            assertEquals((byte) 8, Primitives.incByte((byte) 7));
            assertEquals('b', Primitives.nextChar('a'));
            assertEquals((short) 8, Primitives.incShort((short) 7));
            assertEquals(8, Primitives.incInt(7));
            assertEquals(5_000_000_003L, Primitives.addLong(5_000_000_000L, 3));
            assertEquals(1.5f, Primitives.half(3f));
            assertEquals(7.5, Primitives.mulDouble(2.5, 3));
            assertArrayEquals(new int[] {3, 2, 1}, Primitives.reverse(new int[] {1, 2, 3}));
            assertArrayEquals(new String[][] {{"x"}}, Primitives.grid("x", 1));
            assertEquals(6, Primitives.sum(1, 2, 3));
            assertEquals(1 + 2 + 3.5 + 0.25f + 1000, p.mix(1, 2, 3.5, 0.25f, o));
        };
        originals.run();
        Patch.Builder b = Patch.builder("targets-primitives");
        for (String name : new String[] {"not", "incByte", "nextChar", "incShort", "incInt", "addLong", "half",
                "mulDouble", "reverse", "grid", "sum", "record"}) {
            Method original = java.util.Arrays.stream(Primitives.class.getDeclaredMethods())
                    .filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
            b.replace(original, own(name, original.getParameterTypes()));
        }
        b.replace(method(Primitives.class, "mix", long.class, int.class, double.class, float.class, Object.class),
                own("mix", Primitives.class, long.class, int.class, double.class, float.class, Object.class));
        PatchHandle h = livepatch().register(b.build());
        h.enable();
        assertTrue(Primitives.not(true));
        assertEquals((byte) 6, Primitives.incByte((byte) 7));
        assertEquals('`', Primitives.nextChar('a'));
        assertEquals((short) 6, Primitives.incShort((short) 7));
        assertEquals(6, Primitives.incInt(7));
        assertEquals(4_999_999_997L, Primitives.addLong(5_000_000_000L, 3));
        assertEquals(6f, Primitives.half(3f));
        assertEquals(2.5 / 3, Primitives.mulDouble(2.5, 3));
        int[] in = {1, 2, 3};
        int[] out = Primitives.reverse(in);
        assertArrayEquals(new int[] {1, 2, 3}, out);
        assertFalse(in == out, "the replacement's array, not the argument, is returned");
        assertArrayEquals(new String[][] {{"patched", "x", "1"}}, Primitives.grid("x", 1));
        assertEquals(-3, Primitives.sum(1, 2, 3));
        assertEquals(0, Primitives.sum());
        assertEquals(1_000_000 + 20_000 + 350 + 0.25 + 0.5, p.mix(1, 2, 3.5, 0.25f, o));
        assertEquals(1_000_000 + 20_000 + 350 + 0.25, p.mix(1, 2, 3.5, 0.25f, null));
        h.disable();
        originals.run();
    }

    @Test
    void aVoidMethodsReplacementHasItsSideEffect() throws Exception {
        Primitives.record("a");
        assertEquals("original a", Primitives.lastRecorded);
        new Primitives().voidInstance(1, 2.5);
        assertEquals("original 1 2.5", Primitives.lastRecorded);
        PatchHandle h = livepatch().register(Patch.builder("targets-void")
                .replace(method(Primitives.class, "record", String.class), own("record", String.class))
                .replace(method(Primitives.class, "voidInstance", long.class, double.class),
                        own("voidInstance", Primitives.class, long.class, double.class))
                .build());
        h.enable();
        Primitives.record("b");
        assertEquals("patched b", Primitives.lastRecorded);
        new Primitives().voidInstance(3, 4.5);
        assertEquals("patched 3 4.5", Primitives.lastRecorded);
        h.disable();
        Primitives.record("c");
        assertEquals("original c", Primitives.lastRecorded);
    }

    @Test
    void aJdkMethodIsRedirectedAndRestored() throws Exception {
        UUID u = UUID.randomUUID();
        assertEquals(4, u.version());
        PatchHandle h = enable("targets-jdk-uuid", method(UUID.class, "version"), own("version", UUID.class));
        assertEquals(99, u.version());
        assertEquals(99, UUID.nameUUIDFromBytes(new byte[] {1}).version());
        assertEquals(FunctionStatus.State.PATCHED, h.functions().get(0).state());
        assertEquals("bootstrap", h.functions().get(0).loaders().get(0).classLoader());
        h.disable();
        assertEquals(4, u.version());
        assertEquals(3, UUID.nameUUIDFromBytes(new byte[] {1}).version());
    }

    @Test
    void aReceiverTypedAsASuperclassOrObjectFits() throws Exception {
        Square s = new Square(3);
        assertEquals(9.0, s.area());
        PatchHandle h = enable("targets-receiver-super", method(Square.class, "area"),
                own("areaViaSupertype", Shape.class));
        assertEquals(-1.0, s.area());
        PatchHandle top = enable("targets-receiver-object", method(Square.class, "area"),
                own("areaViaObject", Object.class));
        assertEquals(-2.0, s.area());
        top.disable();
        h.disable();
        assertEquals(9.0, s.area());
    }

    @Test
    void aReceiverTypedAsAnInterfaceOfTheTargetFits() throws Exception {
        NamedImpl n = new NamedImpl();
        assertEquals("impl", n.name());
        PatchHandle h = enable("targets-receiver-iface", method(NamedImpl.class, "name"),
                own("nameViaInterface", Named.class));
        assertEquals("patched impl", n.name());
        assertEquals("hello from patched impl", n.greeting());
        h.disable();
        assertEquals("impl", n.name());
    }

    @Test
    void anUncheckedExceptionOfTheReplacementReachesTheCallerUnchanged() throws Exception {
        assertEquals(5, Thrower.unchecked(5));
        PatchHandle h = enable("targets-throw-unchecked", method(Thrower.class, "unchecked", int.class),
                own("throwsUnchecked", int.class));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Thrower.unchecked(5));
        assertSame(UNCHECKED, e);
        h.disable();
        assertEquals(5, Thrower.unchecked(5));
    }

    @Test
    void aCheckedExceptionOfTheReplacementReachesTheCallerUnchanged() throws Exception {
        Thrower t = new Thrower();
        assertEquals("fine x", t.risky("x"));
        PatchHandle h = enable("targets-throw-checked", method(Thrower.class, "risky", String.class),
                own("throwsChecked", Thrower.class, String.class));
        IOException e = assertThrows(IOException.class, () -> t.risky("x"));
        assertSame(CHECKED, e);
        h.disable();
        assertEquals("fine x", t.risky("x"));
    }

    @Test
    void aMethodWhoseFirstInstructionIsALoopHeadIsRedirectedAndItsLoopStillWorks() throws Exception {
        assertEquals(99, Shapes.loopAtStart(120));
        PatchHandle h = enable("targets-loop-head", method(Shapes.class, "loopAtStart", int.class),
                own("loopAtStart", int.class));
        assertEquals(-120, Shapes.loopAtStart(120));
        h.disable();
        assertEquals(99, Shapes.loopAtStart(120));
    }

    @Test
    void theOriginalsExceptionHandlerDoesNotCatchWhatTheReplacementThrows() throws Exception {
        assertEquals("x", Shapes.tryAtStart(" x "));
        assertEquals("caught by the original", Shapes.tryAtStart(null));
        PatchHandle h = enable("targets-try-at-start", method(Shapes.class, "tryAtStart", String.class),
                own("tryAtStart", String.class));
        assertSame(FROM_REPLACEMENT, assertThrows(IllegalArgumentException.class, () -> Shapes.tryAtStart(" x ")));
        h.disable();
        assertEquals("x", Shapes.tryAtStart(" x "));
        assertEquals("caught by the original", Shapes.tryAtStart(null));
    }

    @Test
    void theTopOfTwoStackedPatchesWinsAndDisablingItRestoresTheLowerOne() throws Exception {
        Stacked s = new Stacked();
        assertEquals(1, s.value());
        PatchHandle lower = enable("targets-stack-lower", method(Stacked.class, "value"), own("lower", Stacked.class));
        assertEquals(2, s.value());
        PatchHandle upper = enable("targets-stack-upper", method(Stacked.class, "value"), own("upper", Stacked.class));
        assertEquals(3, s.value());
        upper.disable();
        assertEquals(2, s.value());
        upper.enable();
        assertEquals(3, s.value());
        upper.disable();
        lower.disable();
        assertEquals(1, s.value());
        assertEquals(10, s.other());
    }
}
