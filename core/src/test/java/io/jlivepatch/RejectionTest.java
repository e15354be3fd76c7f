package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import testapp.Calc;
import testapp.HiddenTemplate;
import testapp.Lambdas;
import testapp.Stacked;
import testapp.unpatchable.Unpatchable;

import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static io.jlivepatch.PatchException.Reason.NOT_PATCHABLE;
import static io.jlivepatch.PatchException.Reason.SIGNATURE_MISMATCH;
import static io.jlivepatch.PatchException.Reason.TARGET_NOT_FOUND;
import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Refusals at register (and at enable): each leaves the registry as it was and every class involved
 * with exactly the bytecode it had before, as a retransformation shows it, and no hook.
 */
class RejectionTest {

    private static final String LEGACY = "testapp.late.LegacyLoadedEarly";

    private PatchHandle bystander;

    // ---- replacements ----

    public static int abstractMethod(Unpatchable u) {
        return 1;
    }

    public static int nativeMethod(Unpatchable u) {
        return 1;
    }

    public static void init(Unpatchable u) {
    }

    public static void clinit() {
    }

    public static Object get(Object lambda) {
        return "patched";
    }

    public static String getString(Object receiver) {
        return "patched";
    }

    public static int quote(int n) {
        return n;
    }

    public static void run() {
    }

    public static void runProxy(Runnable proxy) {
    }

    public static Object cloneArray(Object array) {
        return array;
    }

    public static List<PatchHandle> patches(Livepatch lp) {
        return List.of();
    }

    public static int length(String s) {
        return -1;
    }

    public static int size(java.util.concurrent.ConcurrentHashMap<?, ?> m) {
        return -1;
    }

    public static int add(Calc c, int a, int b) {
        return -1;
    }

    public static int addNoReceiver(int a, int b) {
        return -1;
    }

    public static int addExtra(Calc c, int a, int b, int extra) {
        return -1;
    }

    public static int addWrongType(Calc c, int a, long b) {
        return -1;
    }

    public static long addWrongReturn(Calc c, int a, int b) {
        return -1;
    }

    public static int addUnrelatedReceiver(String c, int a, int b) {
        return -1;
    }

    public static int squareWithReceiver(Calc c, int a) {
        return -1;
    }

    public static int square(int a) {
        return -1;
    }

    public static int concrete(Unpatchable u) {
        return -1;
    }

    public static int other(Stacked s) {
        return 20;
    }

    public static int value(Object receiver) {
        return 42;
    }

    // ---- set-up and the check ----

    @BeforeEach
    void aBystanderPatchIsEnabled() throws PatchException {
        new Calc();
        bystander = livepatch().register(Patch.builder("reject-bystander")
                .replace(method(Stacked.class, "other"), method(RejectionTest.class, "other", Stacked.class)).build());
        bystander.enable();
    }

    @AfterEach
    void cleanUp() throws PatchException {
        assertTrue(bystander.isEnabled(), "a refused operation disturbed another patch");
        assertEquals(20, new Stacked().other());
        TestSupport.removeAllPatches();
    }

    private static Method replacement(String name, Class<?>... params) {
        return method(RejectionTest.class, name, params);
    }

    /** Registers {@code patch}, expects {@code reason}, and checks that nothing changed in the registry or in {@code classes}. */
    private static PatchException refusedWithNothingChanged(Patch patch, PatchException.Reason reason,
                                                           Class<?>... classes) {
        Map<Class<?>, Map<String, String>> before = BytecodeProbe.snapshot(classes);
        List<PatchHandle> stack = livepatch().patches();
        PatchException e = TestSupport.refusedRegistration(patch);
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(patch.name(), e.patchName());
        assertTrue(e.getMessage().contains("'" + patch.name() + "'"), "message names the patch: " + e.getMessage());
        assertEquals(stack, livepatch().patches());
        assertFalse(livepatch().find(patch.name()).isPresent());
        BytecodeProbe.assertUnchanged(before);
        return e;
    }

    private static Patch patch(String name, String className, String methodName, String descriptor, Method replacement) {
        return Patch.builder(name).replace(className, methodName, descriptor, replacement).build();
    }

    // ---- NOT_PATCHABLE ----

    @Test
    void anAbstractMethodIsNotPatchable() {
        PatchException e = refusedWithNothingChanged(patch("reject-abstract", "testapp.unpatchable.Unpatchable",
                "abstractMethod", "()I", replacement("abstractMethod", Unpatchable.class)), NOT_PATCHABLE,
                Unpatchable.class);
        assertTrue(e.getMessage().contains("abstractMethod()I"), e.getMessage());
    }

    @Test
    void aNativeMethodIsNotPatchable() {
        refusedWithNothingChanged(patch("reject-native", "testapp.unpatchable.Unpatchable",
                "nativeMethod", "()I", replacement("nativeMethod", Unpatchable.class)), NOT_PATCHABLE,
                Unpatchable.class);
    }

    @Test
    void aConstructorIsNotPatchable() {
        refusedWithNothingChanged(patch("reject-init", "testapp.unpatchable.Unpatchable",
                "<init>", "()V", replacement("init", Unpatchable.class)), NOT_PATCHABLE, Unpatchable.class);
    }

    @Test
    void aClassInitializerIsNotPatchable() {
        refusedWithNothingChanged(patch("reject-clinit", "testapp.unpatchable.Unpatchable",
                "<clinit>", "()V", replacement("clinit")), NOT_PATCHABLE, Unpatchable.class);
    }

    @Test
    void aLambdaProxyIsNotPatchable() {
        Supplier<String> lambda = Lambdas.supplier();
        String hiddenName = lambda.getClass().getName(); // e.g. testapp.Lambdas$$Lambda$14/0x0000000800c0b000
        assertTrue(lambda.getClass().isHidden());
        String name = hiddenName.substring(0, hiddenName.indexOf('/'));
        refusedWithNothingChanged(patch("reject-lambda", name, "get", "()Ljava/lang/Object;",
                replacement("get", Object.class)), NOT_PATCHABLE, Lambdas.class);
        assertEquals("from a lambda", lambda.get());
    }

    @Test
    void aHiddenClassIsNotPatchable() throws Exception {
        MethodHandles.Lookup lookup = Lambdas.lookup()
                .defineHiddenClass(TestSupport.classFile(HiddenTemplate.class.getName()), true);
        Class<?> hidden = lookup.lookupClass();
        assertTrue(hidden.isHidden());
        Patch p = Patch.builder("reject-hidden")
                .replace(hidden.getDeclaredMethod("get"), replacement("get", Object.class)).build();
        refusedWithNothingChanged(p, NOT_PATCHABLE, HiddenTemplate.class);
    }

    @Test
    void generatedClassesAreNotPatchableAndTheMessageNamesTheClassToPatch() {
        String[][] generated = {
                {"com.acme.shop.PricingService$$SpringCGLIB$$0", "Spring's CGLIB proxy", "com.acme.shop.PricingService"},
                {"com.acme.shop.PricingService$$EnhancerBySpringCGLIB$$8a3c2f1", "Spring's CGLIB proxy",
                        "com.acme.shop.PricingService"},
                {"com.acme.Cart$ByteBuddy$abc123", "a Byte Buddy subclass", "com.acme.Cart"},
                {"com.acme.Order$HibernateProxy$x7Yq2", "Hibernate's lazy-loading proxy", "com.acme.Order"},
        };
        for (String[] g : generated) {
            PatchException e = refusedWithNothingChanged(patch("reject-generated", g[0], "quote", "(I)I",
                    replacement("quote", int.class)), NOT_PATCHABLE, Calc.class);
            assertTrue(e.getMessage().contains(g[0] + " is " + g[1] + ", generated at run time")
                    && e.getMessage().contains("patch " + g[2] + " instead"), e.getMessage());
        }
        PatchException proxy = refusedWithNothingChanged(patch("reject-proxy-name", "jdk.proxy2.$Proxy31", "run", "()V",
                replacement("run")), NOT_PATCHABLE, Calc.class);
        assertTrue(proxy.getMessage().contains("jdk.proxy2.$Proxy31 is a JDK dynamic proxy"), proxy.getMessage());
    }

    @Test
    void aLoadedJdkDynamicProxyIsNotPatchable() throws Exception {
        Runnable proxy = (Runnable) java.lang.reflect.Proxy.newProxyInstance(Calc.class.getClassLoader(),
                new Class<?>[] {Runnable.class}, (self, method, args) -> null);
        Method run = proxy.getClass().getDeclaredMethod("run");
        PatchException e = refusedWithNothingChanged(Patch.builder("reject-proxy").replace(run,
                replacement("runProxy", Runnable.class)).build(), NOT_PATCHABLE, Calc.class);
        assertTrue(e.getMessage().contains("is a JDK dynamic proxy, generated at run time: its methods forward to an"
                + " InvocationHandler"), e.getMessage());
    }

    @Test
    void anArrayClassIsNotPatchable() {
        refusedWithNothingChanged(patch("reject-array", Calc[].class.getName(), "clone", "()Ljava/lang/Object;",
                replacement("cloneArray", Object.class)), NOT_PATCHABLE, Calc.class);
    }

    @Test
    void jlivepatchsOwnClassesAreNotPatchable() {
        PatchException e = refusedWithNothingChanged(patch("reject-self", Livepatch.class.getName(), "patches",
                "()Ljava/util/List;", replacement("patches", Livepatch.class)), NOT_PATCHABLE, Livepatch.class);
        assertTrue(e.getMessage().contains("io.jlivepatch.Livepatch.patches()Ljava/util/List;"), e.getMessage());
        refusedWithNothingChanged(patch("reject-self-dispatch", "io.jlivepatch.internal.bootstrap.Dispatch",
                "relinkAll", "()V", replacement("clinit")), NOT_PATCHABLE);
    }

    /**
     * The refusal says what to do instead: an operator patching the JDK method a pool's idle workers sit in
     * (ThreadPoolExecutor.getTask) is sent to the code that calls it. Before, it said only why.
     */
    @Test
    void theClassesDispatchRunsThroughAreNotPatchable() {
        String instead = "no patch can replace this method; patch the application's (or a library's)"
                + " code that calls it instead";
        PatchException string = refusedWithNothingChanged(patch("reject-string", "java.lang.String", "length", "()I",
                replacement("length", String.class)), NOT_PATCHABLE);
        assertTrue(string.getMessage().contains("java.lang.String runs the dispatch of every hook, so hooking it would"
                + " recurse: " + instead), string.getMessage());
        PatchException juc = refusedWithNothingChanged(patch("reject-juc", "java.util.concurrent.ConcurrentHashMap",
                "size", "()I", replacement("size", java.util.concurrent.ConcurrentHashMap.class)), NOT_PATCHABLE);
        assertTrue(juc.getMessage().contains("classes of java.util.concurrent run the dispatch of every hook, so"
                + " hooking them would recurse: " + instead), juc.getMessage());
    }

    /**
     * Why that refusal says "replace" only: a hold of such a method is taken (a held method gets no hook;
     * the worker's stack checks alone hold it), so a refusal saying no patch can hold it (as it did) was
     * untrue. Whether such a hold is wise (a pool's idle workers never leave getTask) is the operator's call.
     */
    @Test
    void aHoldOfAMethodOfTheClassesDispatchRunsThroughIsTaken() throws PatchException {
        PatchHandle h = livepatch().register(Patch.builder("hold-gettask")
                .replace(method(Calc.class, "add", int.class, int.class), replacement("add", Calc.class, int.class,
                        int.class))
                .hold("java.util.concurrent.ThreadPoolExecutor", "getTask", "()Ljava/lang/Runnable;").build());
        assertTrue(h.isRegistered());
        h.unregister();
    }

    @Test
    void aClassFileTooOldForInvokedynamicIsNotPatchable() {
        Class<?> legacy = new IsolatingLoader("legacy-early", Map.of(LEGACY, java6ClassFile(LEGACY))).define(LEGACY);
        PatchException e = refusedWithNothingChanged(patch("reject-java6", LEGACY, "get", "()Ljava/lang/String;",
                replacement("getString", Object.class)), NOT_PATCHABLE, legacy);
        assertTrue(e.getMessage().contains("50"), e.getMessage());
    }

    @Test
    void anEnableTheJvmCannotCarryOutIsRolledBackWhole() throws Exception {
        // The loader does not serve the class file it defined the class from, so register cannot see its
        // version; the transformer refuses the class at enable, after another class was hooked.
        Class<?> legacy = new IsolatingLoader("legacy-hidden-version", Map.of(LEGACY, java6ClassFile(LEGACY)), false)
                .define(LEGACY);
        @SuppressWarnings("unchecked")
        Supplier<String> s = (Supplier<String>) legacy.getDeclaredConstructor().newInstance();
        PatchHandle h = livepatch().register(Patch.builder("reject-enable-rollback")
                .replace(method(Calc.class, "square", int.class), replacement("square", int.class))
                .replace(LEGACY, "get", "()Ljava/lang/String;", replacement("getString", Object.class))
                .build());
        Map<Class<?>, Map<String, String>> before = BytecodeProbe.snapshot(Calc.class, legacy);
        List<PatchHandle> stack = livepatch().patches();

        PatchException e = org.junit.jupiter.api.Assertions.assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.TRANSFORM_FAILED, e.reason(), e.getMessage());
        assertFalse(h.isEnabled());
        assertEquals(stack, livepatch().patches());
        BytecodeProbe.assertUnchanged(before);
        assertEquals(9, Calc.square(3));
        assertEquals("legacy", s.get());
    }

    private static byte[] java6ClassFile(String className) {
        byte[] bytes = TestSupport.classFile(className);
        bytes[6] = 0;
        bytes[7] = 50;
        return bytes;
    }

    // ---- SIGNATURE_MISMATCH ----

    private static PatchException addMisfit(String name, Method replacement) {
        return refusedWithNothingChanged(Patch.builder(name)
                .replace(method(Calc.class, "add", int.class, int.class), replacement).build(),
                SIGNATURE_MISMATCH, Calc.class);
    }

    @Test
    void aReplacementWithoutTheReceiverIsASignatureMismatch() {
        addMisfit("reject-no-receiver", replacement("addNoReceiver", int.class, int.class));
    }

    @Test
    void aReplacementWithAnExtraParameterIsASignatureMismatch() {
        addMisfit("reject-extra-param", replacement("addExtra", Calc.class, int.class, int.class, int.class));
    }

    @Test
    void aReplacementWithAnotherParameterTypeIsASignatureMismatch() {
        addMisfit("reject-param-type", replacement("addWrongType", Calc.class, int.class, long.class));
    }

    @Test
    void aReplacementWithAnotherReturnTypeIsASignatureMismatch() {
        addMisfit("reject-return-type", replacement("addWrongReturn", Calc.class, int.class, int.class));
    }

    @Test
    void aReceiverOfAnUnrelatedTypeIsASignatureMismatch() {
        addMisfit("reject-unrelated-receiver", replacement("addUnrelatedReceiver", String.class, int.class, int.class));
    }

    @Test
    void aReceiverForAStaticTargetIsASignatureMismatch() {
        refusedWithNothingChanged(Patch.builder("reject-static-receiver")
                .replace(method(Calc.class, "square", int.class), replacement("squareWithReceiver", Calc.class,
                        int.class)).build(), SIGNATURE_MISMATCH, Calc.class);
    }

    @Test
    void aReplacementThatFitsNoTargetOfAClassNotLoadedIsASignatureMismatch() {
        refusedWithNothingChanged(patch("reject-pending-return", "testapp.NoSuchClass", "f", "(I)J",
                replacement("square", int.class)), SIGNATURE_MISMATCH);
        refusedWithNothingChanged(patch("reject-pending-params", "testapp.NoSuchClass", "f", "(J)I",
                replacement("square", int.class)), SIGNATURE_MISMATCH);
    }

    // ---- TARGET_NOT_FOUND ----

    @Test
    void aLoadedClassWithoutTheMethodIsTargetNotFound() {
        PatchException e = refusedWithNothingChanged(patch("reject-no-method", "testapp.Calc", "subtract", "(II)I",
                replacement("add", Calc.class, int.class, int.class)), TARGET_NOT_FOUND, Calc.class);
        assertTrue(e.getMessage().contains("testapp.Calc.subtract(II)I"), e.getMessage());
    }

    @Test
    void aWrongDescriptorIsTargetNotFound() {
        PatchException e = refusedWithNothingChanged(patch("reject-wrong-descriptor", "testapp.Calc", "add", "(JJ)J",
                replacement("addWrongReturn", Calc.class, int.class, int.class)), TARGET_NOT_FOUND, Calc.class);
        assertTrue(e.getMessage().contains("(II)I"), "the message lists the existing overloads: " + e.getMessage());
    }

    // ---- all or nothing ----

    @Test
    void aPatchWithOneBadFunctionIsRefusedWholeAndHooksNothing() {
        refusedWithNothingChanged(Patch.builder("reject-partial-same-class")
                .replace(method(Calc.class, "add", int.class, int.class),
                        replacement("add", Calc.class, int.class, int.class))
                .replace("testapp.Calc", "missing", "(I)I", replacement("square", int.class))
                .build(), TARGET_NOT_FOUND, Calc.class);
        refusedWithNothingChanged(Patch.builder("reject-partial-two-classes")
                .replace(method(Calc.class, "square", int.class), replacement("square", int.class))
                .replace(method(Unpatchable.class, "concrete"), replacement("concrete", Unpatchable.class))
                .replace(method(Unpatchable.class, "nativeMethod"), replacement("nativeMethod", Unpatchable.class))
                .build(), NOT_PATCHABLE, Calc.class, Unpatchable.class);
        assertEquals(9, Calc.square(3));
        assertEquals(3, new Calc().add(1, 2));
    }

    @Test
    void anEnableThatFindsAMisfitInAClassLoadedSinceRegistrationChangesNothing() throws Exception {
        String late = "testapp.late.ChangedLater";
        // value() is inferred to be an instance method while the class is not loaded
        PatchHandle h = livepatch().register(Patch.builder("reject-at-enable")
                .replace(method(Calc.class, "square", int.class), replacement("square", int.class))
                .replace(late, "value", "()I", replacement("value", Object.class))
                .build());
        Class<?> changed = IsolatingLoader.of("changed-later", late).define(late);
        Map<Class<?>, Map<String, String>> before = BytecodeProbe.snapshot(Calc.class, changed);
        List<PatchHandle> stack = livepatch().patches();

        PatchException e = org.junit.jupiter.api.Assertions.assertThrows(PatchException.class, h::enable);
        assertEquals(SIGNATURE_MISMATCH, e.reason(), e.getMessage());
        assertFalse(h.isEnabled());
        assertTrue(h.isRegistered());
        assertEquals(stack, livepatch().patches());
        BytecodeProbe.assertUnchanged(before);
        assertEquals(9, Calc.square(3));
        assertEquals(FunctionStatus.State.NOT_PATCHED, h.functions().get(0).state());
    }
}
