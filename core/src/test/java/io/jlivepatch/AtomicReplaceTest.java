package io.jlivepatch;

import io.jlivepatch.internal.core.AuditLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.replace.Codec;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Atomic replace (the atomic-replace cases of the kernel's selftest test-livepatch.sh): a
 * cumulative patch moves every function in one transition, to its version or back to the original,
 * then every other patch is gone; a reversed replace leaves everything as it was; and no thread
 * mixes versions meanwhile, also of the functions going back to the original.
 */
class AtomicReplaceTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Released by each test that holds a thread inside p1's encode; counted down again after each test. */
    static volatile CountDownLatch release = new CountDownLatch(0);
    static volatile CountDownLatch entered = new CountDownLatch(0);

    public static String p1Encode(Codec self, String s) throws InterruptedException {
        if (s.startsWith("hold")) {
            entered.countDown();
            release.await();
        }
        return "p1enc[" + self.decode(s) + "]"; // old code calls the decode of its own version
    }

    public static String p1Decode(Codec self, String s) throws InterruptedException {
        if (s.startsWith("wait")) {
            entered.countDown();
            release.await();
            return "p1dec(" + self.encode("x") + ")"; // old code calls the encode of its own version
        }
        return "p1dec(" + s + ")";
    }

    public static String p2Encode(Codec self, String s) {
        return "p2enc[" + self.decode(s) + "]";
    }

    public static String p2Decode(Codec self, String s) {
        return "p2dec(" + s + ")";
    }

    public static int p3Version() {
        return 3;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        release.countDown();
        TestSupport.removeAllPatches();
    }

    private static Patch.Builder p(String name) {
        return Patch.builder(name);
    }

    private static Patch.Builder encode(Patch.Builder b, String replacement) {
        return b.replace(method(Codec.class, "encode", String.class),
                method(AtomicReplaceTest.class, replacement, Codec.class, String.class));
    }

    private static Patch.Builder decode(Patch.Builder b, String replacement) {
        return b.replace(method(Codec.class, "decode", String.class),
                method(AtomicReplaceTest.class, replacement, Codec.class, String.class));
    }

    private static PatchHandle enabled(Patch patch) throws Exception {
        PatchHandle h = livepatch().register(patch);
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        return h;
    }

    @Test
    void aCumulativePatchTakesOverEveryFunctionAndTheOthersGoBackToTheOriginal() throws Exception {
        Codec c = new Codec();
        PatchHandle p1 = enabled(decode(encode(p("replace-p1"), "p1Encode"), "p1Decode").build());
        assertEquals("p1enc[p1dec(x)]", c.encode("x"));

        PatchHandle p2 = enabled(decode(p("replace-p2"), "p2Decode").replaceAll().build());
        assertTrue(p2.patch().replace());
        assertEquals("enc(x)", c.encode("x"), "only p1 replaced encode: back to the original");
        assertEquals("p2dec(x)", c.decode("x"));
        assertEquals(List.of(p2), livepatch().patches(), "the replaced patch is gone from the stack");
        assertFalse(p1.isRegistered());
        assertFalse(p1.isEnabled());
        assertEquals(List.of("decode(Ljava/lang/String;)Ljava/lang/String;"), BytecodeProbe.hookedMethods(Codec.class),
                "the hook only p1 needed is removed");
        PatchException gone = assertThrows(PatchException.class, p1::enable);
        assertEquals(PatchException.Reason.ILLEGAL_STATE, gone.reason());

        p2.disable();
        assertTrue(p2.awaitTransition(WAIT));
        assertEquals("enc(x)", c.encode("x"));
        assertEquals("dec(x)", c.decode("x"));
        assertEquals(List.of(), BytecodeProbe.hookedMethods(Codec.class), "back to the class's own bytecode");
    }

    @Test
    void aCumulativePatchMayBeEnabledOverDisabledPatchesAndRemovesThemAll() throws Exception {
        Codec c = new Codec();
        PatchHandle p1 = enabled(encode(p("replace-below"), "p1Encode").build());
        PatchHandle idle = livepatch().register(decode(p("replace-idle"), "p1Decode").build());
        PatchHandle p3 = livepatch().register(p("replace-cumulative").replaceAll()
                .replace(method(Codec.class, "version"), method(AtomicReplaceTest.class, "p3Version")).build());
        p3.enable(); // allowed although 'replace-idle', below it, is disabled
        assertTrue(p3.awaitTransition(WAIT));
        assertEquals(List.of(p3), livepatch().patches());
        assertFalse(p1.isRegistered());
        assertFalse(idle.isRegistered());
        assertEquals(3, Codec.version());
        assertEquals("enc(x)", c.encode("x"));

        List<String> log = auditLog();
        assertTrue(log.stream().anyMatch(l -> l.contains("unregister replace-below") && l.contains(
                "ok (replaced by 'replace-cumulative', was enabled)")), String.join("\n", log));
        assertTrue(log.stream().anyMatch(l -> l.contains("unregister replace-idle") && l.contains(
                "ok (replaced by 'replace-cumulative', was disabled)")), String.join("\n", log));
    }

    @Test
    void aNonCumulativePatchStillNeedsItsPredecessorsEnabled() throws Exception {
        livepatch().register(encode(p("replace-first"), "p1Encode").build());
        PatchHandle second = livepatch().register(decode(p("replace-second"), "p2Decode").build());
        PatchException e = assertThrows(PatchException.class, second::enable);
        assertEquals(PatchException.Reason.ORDER_VIOLATION, e.reason());
        assertEquals("dec(x)", new Codec().decode("x"), "nothing changed");
    }

    @Test
    void noThreadMixesVersionsWhileAReplaceIsHeldAndAReversedReplaceLeavesEverythingAsItWas() throws Exception {
        Codec c = new Codec();
        PatchHandle p1 = enabled(decode(encode(p("replace-held"), "p1Encode"), "p1Decode").build());
        release = new CountDownLatch(1);
        entered = new CountDownLatch(1);
        AtomicReference<String> heldResult = new AtomicReference<>();
        Thread holder = new Thread(() -> {
            try {
                heldResult.set(c.encode("hold"));
            } catch (RuntimeException e) {
                heldResult.set(e.toString());
            }
        }, "replace-holder");
        holder.start();
        assertTrue(entered.await(30, TimeUnit.SECONDS), "the holder is inside p1's encode");

        // p2 puts encode to its version and decode back to the original: the holder, inside p1's
        // encode, holds the transition.
        PatchHandle p2 = livepatch().register(encode(p("replace-new"), "p2Encode").replaceAll().build());
        p2.enable();
        assertTrue(p2.inTransition());
        assertFalse(p2.awaitTransition(Duration.ofMillis(200)), "held by the thread inside p1's encode");
        // This thread has no function of the transition on its stack: it runs the new versions, and
        // p2's encode calls the original decode, never p1's.
        assertEquals("p2enc[dec(x)]", c.encode("x"));
        assertEquals("dec(y)", c.decode("y"));

        // Reversed: everything as before, p1 still the live patch.
        p2.disable();
        assertTrue(p2.awaitTransition(WAIT));
        assertEquals(List.of(p1, p2), livepatch().patches());
        assertTrue(p1.isEnabled() && p1.isRegistered());
        assertFalse(p2.isEnabled());
        assertTrue(p2.isRegistered());
        assertEquals("p1enc[p1dec(x)]", c.encode("x"));
        assertEquals(List.of("decode(Ljava/lang/String;)Ljava/lang/String;",
                "encode(Ljava/lang/String;)Ljava/lang/String;"), BytecodeProbe.hookedMethods(Codec.class).stream()
                .sorted().toList());

        // Again, and this time the holder leaves: its old encode calls the old decode.
        p2.enable();
        assertTrue(p2.inTransition());
        release.countDown();
        holder.join(TimeUnit.SECONDS.toMillis(30));
        assertEquals("p1enc[p1dec(hold)]", heldResult.get(), "old code called old code");
        assertTrue(p2.awaitTransition(WAIT));
        assertEquals(List.of(p2), livepatch().patches());
        assertEquals("p2enc[dec(x)]", c.encode("x"));
    }

    @Test
    void aThreadInsideAFunctionThatGoesBackToTheOriginalKeepsItsVersionToo() throws Exception {
        Codec c = new Codec();
        enabled(decode(encode(p("replace-revert"), "p1Encode"), "p1Decode").build());
        release = new CountDownLatch(1);
        entered = new CountDownLatch(1);
        AtomicReference<String> heldResult = new AtomicReference<>();
        Thread holder = new Thread(() -> heldResult.set(c.decode("wait")), "replace-holder");
        holder.start();
        assertTrue(entered.await(30, TimeUnit.SECONDS), "the holder is inside p1's decode");

        // p2 does not replace decode: it goes back to the original, and still holds the thread.
        PatchHandle p2 = livepatch().register(encode(p("replace-keeps"), "p2Encode").replaceAll().build());
        p2.enable();
        assertFalse(p2.awaitTransition(Duration.ofMillis(200)), "held by the thread inside p1's decode");
        assertEquals("p2enc[dec(x)]", c.encode("x"), "a thread with nothing on its stack runs the new versions");
        release.countDown();
        holder.join(TimeUnit.SECONDS.toMillis(30));
        assertEquals("p1dec(p1enc[p1dec(x)])", heldResult.get(), "old code called old code, never p2's encode");
        assertTrue(p2.awaitTransition(WAIT));
        assertEquals("dec(y)", c.decode("y"));
    }

    @Test
    void aForcedReplaceCompletesAndRemovesTheReplacedPatches() throws Exception {
        Codec c = new Codec();
        PatchHandle p1 = enabled(encode(p("replace-forced-old"), "p1Encode").build());
        release = new CountDownLatch(1);
        entered = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try {
                c.encode("hold");
            } catch (RuntimeException ignored) {
                // the test checks the patches
            }
        }, "replace-holder");
        holder.start();
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        PatchHandle p2 = livepatch().register(decode(p("replace-forced-new"), "p2Decode").replaceAll().build());
        p2.enable();
        assertTrue(p2.inTransition());
        // registered during the replace, above it: a newer patch, which the replace must not take away
        PatchHandle newer = livepatch().register(encode(p("replace-forced-newer"), "p2Encode").build());
        p2.forceTransition();
        assertFalse(p2.inTransition());
        assertEquals(List.of(p2, newer), livepatch().patches());
        assertTrue(newer.isRegistered() && !newer.isEnabled());
        assertFalse(p1.isRegistered());
        assertEquals("enc(x)", c.encode("x"));
        assertEquals("p2dec(x)", c.decode("x"));

        // The replaced patch went while the holder still ran its code: kept in status as a forced one.
        String json = (String) Mbeans.invoke(Mbeans.livepatch(), "statusJson", null, null);
        assertTrue(json.contains("{\"name\":\"replace-forced-old\",") && json.contains("\"how\":\"replaced by"
                + " 'replace-forced-new'\"}"), json);
        // On record in the order it happened: the force, the patches it replaced (gone before its closing
        // callbacks run), the transition's end (after them, as the kernel's "patching complete").
        List<String> log = java.util.Arrays.asList(Mbeans.log());
        List<String> last = log.subList(log.size() - 4, log.size());
        assertTrue(last.get(0).contains(" register replace-forced-newer by "), last.toString());
        assertTrue(last.get(1).contains(" force replace-forced-new by api: ok"), last.toString());
        assertTrue(last.get(2).contains(" unregister replace-forced-old by api: ok (replaced by"
                + " 'replace-forced-new', was enabled)"), last.toString());
        assertTrue(last.get(3).contains(" transition replace-forced-new by api: ok (patching complete, forced)"),
                last.toString());
        release.countDown();
        holder.join(TimeUnit.SECONDS.toMillis(30));
    }

    /** Records every callback as {@code patch:kind}. */
    private static Callbacks recording(String patch, List<String> events) {
        return new Callbacks() {
            @Override
            public void prePatch(Class<?> target) {
                events.add(patch + ":prePatch");
            }

            @Override
            public void postPatch(Class<?> target) {
                events.add(patch + ":postPatch");
            }

            @Override
            public void preUnpatch(Class<?> target) {
                events.add(patch + ":preUnpatch");
            }

            @Override
            public void postUnpatch(Class<?> target) {
                events.add(patch + ":postUnpatch");
            }
        };
    }

    @Test
    void onlyTheCumulativePatchsCallbacksRunTheReplacedPatchsNever() throws Exception {
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        String codec = Codec.class.getName();
        enabled(encode(p("replace-cb-old"), "p1Encode").callbacks(codec, recording("old", events)).build());
        assertEquals(List.of("old:prePatch", "old:postPatch"), events);
        events.clear();

        PatchHandle v2 = enabled(decode(p("replace-cb-new"), "p2Decode").replaceAll()
                .callbacks(codec, recording("new", events)).build());
        assertEquals(List.of("new:prePatch", "new:postPatch"), events, "the replaced patch got no callback");
        events.clear();
        v2.disable();
        assertTrue(v2.awaitTransition(WAIT));
        assertEquals(List.of("new:preUnpatch", "new:postUnpatch"), events);
    }

    @Test
    void aCumulativePatchTakesOverAStateAndOneThatDropsItIsRefusedChangingNothing() throws Exception {
        PatchHandle v1 = enabled(encode(p("replace-state-v1"), "p1Encode").state(7, 1).build());
        assertEquals(java.util.OptionalInt.of(1), livepatch().stateVersion(7));

        PatchHandle dropping = livepatch().register(decode(p("replace-state-drop"), "p2Decode").replaceAll().build());
        PatchException e = assertThrows(PatchException.class, dropping::enable);
        assertEquals(PatchException.Reason.INCOMPATIBLE_STATE, e.reason());
        assertTrue(e.getMessage().contains("7") && e.getMessage().contains("replace-state-v1"), e.getMessage());
        assertTrue(v1.isEnabled() && v1.isRegistered(), "nothing changed");
        assertEquals("p1enc[dec(x)]", new Codec().encode("x"));
        dropping.unregister();

        PatchHandle v2 = enabled(decode(p("replace-state-v2"), "p2Decode").replaceAll().state(7, 2).build());
        assertEquals(java.util.OptionalInt.of(2), livepatch().stateVersion(7));
        assertEquals(List.of(v2), livepatch().patches());
    }

    private static List<String> auditLog() {
        return RegistryAccess.get().audit().entries().stream().map(AuditLog.Entry::toString).toList();
    }
}
