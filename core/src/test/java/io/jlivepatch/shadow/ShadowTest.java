package io.jlivepatch.shadow;

import io.jlivepatch.Shadow;
import io.jlivepatch.internal.bootstrap.ShadowStore;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel's selftest test-shadow-vars (lib/livepatch/test_klp_shadow_vars.c), translated: alloc,
 * get, get_or_alloc, free, free_all with a destructor; and what Java adds: identity keys, races for
 * one variable, objects that are collected, exceptions from ctors and dtors, and every refusal.
 * Each test has ids of its own: the store is one per JVM.
 */
class ShadowTest {

    private static final long ID1 = 0x5348_0000_0000_0001L;
    private static final long ID2 = 0x5348_0000_0000_0002L;

    /** Ids no other test uses, for a test that must see only its own variables. */
    private static final AtomicLong NEXT_ID = new AtomicLong(0x5348_0001_0000_0000L);

    private static long freshId() {
        return NEXT_ID.incrementAndGet();
    }

    @Test
    void allocGetFreeAndFreeAllAsTheKernelsSelftest() {
        // test_klp_shadow_vars: objects obj1, obj2 with ids 1 and 2, all four combinations.
        Object obj1 = new Object();
        Object obj2 = new Object();
        long id1 = freshId();
        long id2 = freshId();
        assertNull(Shadow.get(obj1, id1), "nothing attached yet");

        int[] sv1 = {1};
        int[] sv2 = {2};
        int[] sv3 = {3};
        int[] sv4 = {4};
        assertSame(sv1, Shadow.attach(obj1, id1, () -> sv1));
        assertSame(sv2, Shadow.attach(obj2, id1, () -> sv2));
        assertSame(sv3, Shadow.attach(obj1, id2, () -> sv3));
        assertSame(sv4, Shadow.getOrAttach(obj2, id2, () -> sv4));

        assertSame(sv1, Shadow.get(obj1, id1));
        assertSame(sv2, Shadow.get(obj2, id1));
        assertSame(sv3, Shadow.get(obj1, id2));
        assertSame(sv4, Shadow.get(obj2, id2));
        // get_or_alloc of an existing variable: the old one, no ctor.
        assertSame(sv4, Shadow.getOrAttach(obj2, id2, () -> {
            throw new AssertionError("ctor of an existing variable ran");
        }));

        // free: only that (object, id).
        Shadow.detach(obj1, id1);
        assertNull(Shadow.get(obj1, id1));
        assertSame(sv2, Shadow.get(obj2, id1));
        assertSame(sv3, Shadow.get(obj1, id2));
        Shadow.detach(obj1, id1); // nothing there: nothing happens

        // free_all: every object's id2 variable, with the destructor.
        Set<Object> destroyed = Collections.newSetFromMap(new IdentityHashMap<>());
        Shadow.detachAll(id2, destroyed::add);
        assertEquals(Set.of(sv3, sv4), Set.copyOf(destroyed));
        assertNull(Shadow.get(obj1, id2));
        assertNull(Shadow.get(obj2, id2));
        assertSame(sv2, Shadow.get(obj2, id1), "free_all of id2 left id1 alone");

        Shadow.detach(obj2, id1, v -> destroyed.add(v));
        assertTrue(destroyed.contains(sv2), "detach's dtor got the value");
        assertNull(Shadow.get(obj2, id1));
        Shadow.detachAll(id1);
        Shadow.detachAll(id1, v -> {
            throw new AssertionError("dtor called with nothing attached");
        });
    }

    @Test
    void attachOfAnAttachedVariableIsRefusedAndKeepsTheOldValue() {
        Object obj = new Object();
        long id = freshId();
        String old = "old";
        Shadow.attach(obj, id, () -> old);
        AtomicInteger ctorCalls = new AtomicInteger();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Shadow.attach(obj, id, () -> "new" + ctorCalls.incrementAndGet()));
        assertTrue(e.getMessage().contains("shadow variable " + id + " is already attached to this java.lang.Object"),
                e.getMessage());
        assertTrue(e.getMessage().contains("use getOrAttach"), e.getMessage());
        assertEquals(0, ctorCalls.get(), "the ctor of a refused attach does not run");
        assertSame(old, Shadow.get(obj, id));
        Shadow.detach(obj, id);
    }

    @Test
    void variablesAreKeyedByIdentityNeverByEquals() {
        record Key(String name) {
        }
        long id = freshId();
        String a = new String("same");
        String b = new String("same");
        Key k1 = new Key("k");
        Key k2 = new Key("k");
        assertEquals(a, b);
        assertEquals(k1, k2);
        assertEquals(k1.hashCode(), k2.hashCode());

        Shadow.attach(a, id, () -> "of a");
        Shadow.attach(k1, id, () -> "of k1");
        assertNull(Shadow.get(b, id), "an equal string is another object");
        assertNull(Shadow.get(k2, id), "an equal record is another object");
        assertSame("of a", Shadow.get(a, id));
        Shadow.attach(b, id, () -> "of b");
        Shadow.attach(k2, id, () -> "of k2");
        assertEquals("of a", Shadow.get(a, id));
        assertEquals("of b", Shadow.get(b, id));
        assertEquals("of k1", Shadow.get(k1, id));
        assertEquals("of k2", Shadow.get(k2, id));
        Shadow.detach(a, id);
        assertEquals("of b", Shadow.get(b, id), "detaching a's left b's");
        Shadow.detachAll(id);
        assertNull(Shadow.get(k2, id));
    }

    /** An object whose equals and hashCode throw: the store must never call them. */
    private static final class Hostile {
        @Override
        public boolean equals(Object o) {
            throw new AssertionError("equals called");
        }

        @Override
        public int hashCode() {
            throw new AssertionError("hashCode called");
        }
    }

    /** A value whose equals, hashCode and toString throw: the store must never call them either. */
    private static final class HostileValue {
        @Override
        public boolean equals(Object o) {
            throw new AssertionError("equals of a value called");
        }

        @Override
        public int hashCode() {
            throw new AssertionError("hashCode of a value called");
        }

        @Override
        public String toString() {
            throw new AssertionError("toString of a value called");
        }
    }

    @Test
    void theStoreNeverCallsTheValuesEqualsHashCodeOrToString() {
        long id = freshId();
        Object a = new Object();
        Object b = new Object();
        HostileValue va = new HostileValue();
        HostileValue vb = new HostileValue();
        assertSame(va, Shadow.attach(a, id, () -> va));
        assertSame(va, Shadow.getOrAttach(a, id, () -> vb));
        assertSame(vb, Shadow.getOrAttach(b, id, HostileValue.class, () -> vb));
        assertSame(va, Shadow.get(a, id, HostileValue.class));
        List<Object> destroyed = new ArrayList<>();
        Shadow.detach(a, id, destroyed::add);
        assertNull(Shadow.get(a, id));
        Shadow.detachAll(id, destroyed::add);
        assertNull(Shadow.get(b, id));
        assertEquals(2, destroyed.size());
        assertSame(va, destroyed.get(0));
        assertSame(vb, destroyed.get(1));
    }

    @Test
    void theStoreNeverCallsTheObjectsEqualsOrHashCode() {
        long id = freshId();
        List<Hostile> objects = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Hostile h = new Hostile();
            objects.add(h);
            Shadow.attach(h, id, () -> "v");
        }
        for (Hostile h : objects) {
            assertEquals("v", Shadow.get(h, id));
            assertEquals("v", Shadow.getOrAttach(h, id, () -> "other"));
        }
        Shadow.detach(objects.get(0), id);
        Shadow.detachAll(id);
        assertNull(Shadow.get(objects.get(1), id));
    }

    @Test
    void manyObjectsAndIdsStayApartThroughTheStoresGrowth() {
        long idA = freshId();
        long idB = freshId();
        List<Object> objects = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            Object o = new Object();
            objects.add(o);
            Shadow.attach(o, idA, () -> o.hashCode());
            if (i % 2 == 0) {
                Shadow.attach(o, idB, () -> -o.hashCode());
            }
        }
        for (int i = 0; i < objects.size(); i++) {
            Object o = objects.get(i);
            assertEquals(o.hashCode(), Shadow.get(o, idA));
            assertEquals(i % 2 == 0 ? (Object) (-o.hashCode()) : null, Shadow.get(o, idB));
            if (i % 3 == 0) {
                Shadow.detach(o, idA);
            }
        }
        for (int i = 0; i < objects.size(); i++) {
            Object o = objects.get(i);
            assertEquals(i % 3 == 0 ? null : (Object) o.hashCode(), Shadow.get(o, idA), "object " + i);
        }
        List<Object> destroyed = new ArrayList<>();
        Shadow.detachAll(idB, destroyed::add);
        assertEquals(objects.size() / 2, destroyed.size());
        Shadow.detachAll(idA);
        for (Object o : objects) {
            assertNull(Shadow.get(o, idA));
            assertNull(Shadow.get(o, idB));
        }
    }

    @Test
    void getOrAttachRunsTheCtorOnceWhenManyThreadsRace() throws Exception {
        int threads = 8;
        int objects = 500;
        long id = freshId();
        List<Object> targets = new ArrayList<>();
        AtomicInteger[] ctorCalls = new AtomicInteger[objects];
        for (int i = 0; i < objects; i++) {
            targets.add(new Object());
            ctorCalls[i] = new AtomicInteger();
        }
        Object[][] seen = new Object[threads][objects];
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> racers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            Thread r = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < objects; i++) {
                        int n = i;
                        seen[me][i] = Shadow.getOrAttach(targets.get(i), id, () -> {
                            ctorCalls[n].incrementAndGet();
                            return new Object();
                        });
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "racer-" + t);
            r.start();
            racers.add(r);
        }
        start.countDown();
        for (Thread r : racers) {
            r.join(TimeUnit.SECONDS.toMillis(60)); // a hang detector
            assertTrue(!r.isAlive(), r.getName() + " hangs");
        }
        assertNull(failure.get());
        for (int i = 0; i < objects; i++) {
            assertEquals(1, ctorCalls[i].get(), "ctor calls for object " + i);
            Object attached = Shadow.get(targets.get(i), id);
            assertNotNull(attached);
            for (int t = 0; t < threads; t++) {
                assertSame(attached, seen[t][i], "thread " + t + " got another value for object " + i);
            }
        }
        Shadow.detachAll(id);
    }

    @Test
    void aThreadThatFindsAnotherOnesCtorRunningWaitsForItsValue() throws Exception {
        Object obj = new Object();
        long id = freshId();
        CountDownLatch inCtor = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Object value = new Object();
        AtomicReference<Object> first = new AtomicReference<>();
        Thread maker = new Thread(() -> first.set(Shadow.getOrAttach(obj, id, () -> {
            inCtor.countDown();
            await(release);
            return value;
        })), "maker");
        maker.start();
        inCtor.await();
        assertNull(Shadow.get(obj, id), "not attached while its ctor runs");
        Shadow.detach(obj, id); // nothing attached yet: nothing to detach

        AtomicReference<Object> second = new AtomicReference<>();
        AtomicInteger secondCtor = new AtomicInteger();
        Thread waiter = new Thread(() -> second.set(Shadow.getOrAttach(obj, id, () -> {
            secondCtor.incrementAndGet();
            return new Object();
        })), "waiter");
        waiter.start();
        awaitWaiting(waiter);
        release.countDown();
        maker.join(TimeUnit.SECONDS.toMillis(60));
        waiter.join(TimeUnit.SECONDS.toMillis(60));
        assertSame(value, first.get());
        assertSame(value, second.get(), "the waiter got the maker's value");
        assertEquals(0, secondCtor.get(), "the waiter's ctor did not run");
        assertSame(value, Shadow.get(obj, id));
        Shadow.detach(obj, id);
    }

    @Test
    void whenTheRunningCtorThrowsAWaiterMakesTheValueItself() throws Exception {
        Object obj = new Object();
        long id = freshId();
        CountDownLatch inCtor = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        IllegalArgumentException boom = new IllegalArgumentException("boom");
        AtomicReference<Throwable> makerGot = new AtomicReference<>();
        Thread maker = new Thread(() -> {
            try {
                Shadow.getOrAttach(obj, id, () -> {
                    inCtor.countDown();
                    await(release);
                    throw boom;
                });
            } catch (Throwable t) {
                makerGot.set(t);
            }
        }, "maker");
        maker.start();
        inCtor.await();
        AtomicReference<Object> waiterGot = new AtomicReference<>();
        Thread waiter = new Thread(() -> waiterGot.set(Shadow.attach(obj, id, () -> "waiter's")), "waiter");
        waiter.start();
        awaitWaiting(waiter);
        release.countDown();
        maker.join(TimeUnit.SECONDS.toMillis(60));
        waiter.join(TimeUnit.SECONDS.toMillis(60));
        assertSame(boom, makerGot.get(), "the ctor's exception reaches the caller unchanged");
        assertEquals("waiter's", waiterGot.get());
        assertEquals("waiter's", Shadow.get(obj, id));
        Shadow.detach(obj, id);
    }

    @Test
    void aCtorThatThrowsAttachesNothingAndItsExceptionReachesTheCaller() {
        Object obj = new Object();
        long id = freshId();
        IllegalStateException unchecked = new IllegalStateException("ctor failed");
        assertSame(unchecked, assertThrows(IllegalStateException.class,
                () -> Shadow.getOrAttach(obj, id, () -> {
                    throw unchecked;
                })));
        assertNull(Shadow.get(obj, id));
        OutOfMemoryError error = new OutOfMemoryError("ctor's error");
        assertSame(error, assertThrows(OutOfMemoryError.class, () -> Shadow.attach(obj, id, () -> {
            throw error;
        })));
        assertNull(Shadow.get(obj, id));
        IOException checked = new IOException("thrown sneakily");
        assertSame(checked, assertThrows(IOException.class, () -> Shadow.attach(obj, id, () -> sneaky(checked))));
        assertNull(Shadow.get(obj, id));
        // and the variable can be attached afterwards
        assertEquals("ok", Shadow.attach(obj, id, () -> "ok"));
        Shadow.detach(obj, id);
    }

    @Test
    void aCtorThatReturnsNullAttachesNothing() {
        Object obj = new Object();
        long id = freshId();
        NullPointerException e = assertThrows(NullPointerException.class, () -> Shadow.getOrAttach(obj, id, () -> null));
        assertEquals("the ctor of shadow variable " + id + " returned null: a shadow variable needs a value"
                + " (nothing was attached)", e.getMessage());
        assertNull(Shadow.get(obj, id));
        assertEquals(1, Shadow.getOrAttach(obj, id, () -> 1), "the variable can be attached afterwards");
        Shadow.detach(obj, id);
    }

    @Test
    void aCtorThatAsksForItsOwnVariableIsRefusedAndOtherVariablesWorkInside() {
        Object obj = new Object();
        long id = freshId();
        long other = freshId();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Shadow.getOrAttach(obj, id, () -> Shadow.getOrAttach(obj, id, () -> "inner")));
        assertTrue(e.getMessage().contains("a ctor must not use the variable it makes"), e.getMessage());
        assertNull(Shadow.get(obj, id), "nothing attached");

        Object v = Shadow.getOrAttach(obj, id, () -> "outer with " + Shadow.getOrAttach(obj, other, () -> "inner"));
        assertEquals("outer with inner", v);
        assertEquals("inner", Shadow.get(obj, other));
        Shadow.detach(obj, id);
        Shadow.detach(obj, other);
    }

    @Test
    void aDtorsExceptionReachesTheCallerAndTheVariableIsDetachedAnyway() {
        Object obj = new Object();
        long id = freshId();
        Shadow.attach(obj, id, () -> "v");
        IllegalStateException boom = new IllegalStateException("dtor failed");
        assertSame(boom, assertThrows(IllegalStateException.class, () -> Shadow.detach(obj, id, v -> {
            throw boom;
        })));
        assertNull(Shadow.get(obj, id));
    }

    @Test
    void detachAllGivesEveryValueToTheDtorThenThrowsTheFirstExceptionWithTheOthersSuppressed() {
        long id = freshId();
        List<Object> objects = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Object o = new Object();
            objects.add(o);
            int n = i;
            Shadow.attach(o, id, () -> n);
        }
        List<Object> given = new ArrayList<>();
        List<RuntimeException> thrown = new ArrayList<>();
        Consumer<Object> dtor = v -> {
            given.add(v);
            if (((Integer) v) % 2 == 0) {
                RuntimeException e = new RuntimeException("dtor of " + v);
                thrown.add(e);
                throw e;
            }
        };
        RuntimeException e = assertThrows(RuntimeException.class, () -> Shadow.detachAll(id, dtor));
        assertEquals(5, given.size(), "every value was given to the dtor: " + given);
        assertEquals(3, thrown.size());
        assertSame(thrown.get(0), e, "the first exception, unchanged");
        assertEquals(List.of(thrown.get(1), thrown.get(2)), List.of(e.getSuppressed()));
        for (Object o : objects) {
            assertNull(Shadow.get(o, id));
        }
    }

    @Test
    void aVariableGoesWithItsObjectAndItsValueCanBeCollected() throws Exception {
        long id = freshId();
        Object keep = new Object();
        Shadow.attach(keep, id, () -> "kept");
        int before = ShadowStore.size();
        WeakReference<?>[] refs = attachToAnObjectNobodyHolds(id);
        WeakReference<?> objRef = refs[0];
        WeakReference<?> valueRef = refs[1];
        assertEquals(before + 1, ShadowStore.size());
        // A hang-bounded wait, not a timing: the GC clears objRef; the store lets go of the value at
        // its next write once the GC has queued the entry (detach of an object with no variable is one).
        Object unrelated = new Object();
        for (int i = 0; i < 3000 && (objRef.get() != null || valueRef.get() != null); i++) {
            System.gc();
            Shadow.detach(unrelated, id);
            Thread.sleep(10);
        }
        assertNull(objRef.get(), "the shadow variable kept its object alive");
        assertNull(valueRef.get(), "the value of a collected object's variable was not let go of");
        assertTrue(ShadowStore.size() <= before, "the entry is still there: " + ShadowStore.size() + " > " + before);
        assertEquals("kept", Shadow.get(keep, id), "the other object's variable stays");
        List<Object> destroyed = new ArrayList<>();
        Shadow.detachAll(id, destroyed::add);
        assertEquals(List.of("kept"), destroyed, "no dtor for a variable that went with its object");
    }

    /** In a frame of its own, so that no local of the test's frame holds the object or the value. */
    private static WeakReference<?>[] attachToAnObjectNobodyHolds(long id) {
        Object obj = new Object();
        Object value = new Object();
        assertSame(value, Shadow.attach(obj, id, () -> value));
        assertSame(value, Shadow.get(obj, id));
        return new WeakReference<?>[] {new WeakReference<>(obj), new WeakReference<>(value)};
    }

    @Test
    void typedAccessCastsAndSaysWhatItHolds() {
        Object obj = new Object();
        long id = freshId();
        AtomicLong hits = Shadow.getOrAttach(obj, id, AtomicLong.class, AtomicLong::new);
        hits.incrementAndGet();
        assertSame(hits, Shadow.get(obj, id, AtomicLong.class));
        assertSame(hits, Shadow.getOrAttach(obj, id, AtomicLong.class, AtomicLong::new));
        assertNull(Shadow.get(new Object(), id, AtomicLong.class));
        ClassCastException e = assertThrows(ClassCastException.class, () -> Shadow.get(obj, id, String.class));
        assertEquals("shadow variable " + id + " holds a java.util.concurrent.atomic.AtomicLong, not a"
                + " java.lang.String; do two patches use the same id for different variables?", e.getMessage());
        assertThrows(ClassCastException.class, () -> Shadow.getOrAttach(obj, id, String.class, () -> "s"));
        assertSame(hits, Shadow.get(obj, id), "a refused cast changes nothing");
        Shadow.detach(obj, id);
    }

    @Test
    void aTypedGetOrAttachChecksANewValueBeforeAttachingIt() {
        Object obj = new Object();
        long id = freshId();
        // int.class is a Class<Integer>: this compiles without a warning. Before, the Integer was
        // attached, then the cast to int.class threw, at this call and at every later one.
        int n = Shadow.getOrAttach(obj, id, int.class, () -> 7);
        assertEquals(7, n);
        assertEquals(7, Shadow.getOrAttach(obj, id, int.class, () -> 8));
        assertEquals(7, Shadow.get(obj, id, int.class));
        Shadow.detach(obj, id);

        // A ctor that makes another type (raw or unchecked code): refused, and nothing is attached.
        @SuppressWarnings({"unchecked", "rawtypes"})
        Supplier<Integer> wrong = (Supplier) () -> "not a number";
        ClassCastException e = assertThrows(ClassCastException.class,
                () -> Shadow.getOrAttach(obj, id, Integer.class, wrong));
        assertEquals("the ctor of shadow variable " + id + " made a java.lang.String, not a java.lang.Integer"
                + " (nothing was attached)", e.getMessage());
        assertNull(Shadow.get(obj, id), "a refused value is not attached");
        assertEquals(9, Shadow.getOrAttach(obj, id, Integer.class, () -> 9), "the variable can be made after");
        Shadow.detach(obj, id);
    }

    @Test
    void nullArgumentsAreRefusedWithMessagesAndChangeNothing() {
        Object obj = new Object();
        long id = freshId();
        Shadow.attach(obj, id, () -> "v");
        Supplier<Object> ctor = () -> "other";
        assertMessage("Shadow.get: obj is null", () -> Shadow.get(null, id));
        assertMessage("Shadow.get: obj is null", () -> Shadow.get(null, id, String.class));
        assertMessage("Shadow.get: type is null", () -> Shadow.get(obj, id, null));
        assertMessage("Shadow.attach: obj is null", () -> Shadow.attach(null, id, ctor));
        assertMessage("Shadow.attach: ctor is null", () -> Shadow.attach(obj, id, null));
        assertMessage("Shadow.getOrAttach: obj is null", () -> Shadow.getOrAttach(null, id, ctor));
        assertMessage("Shadow.getOrAttach: ctor is null", () -> Shadow.getOrAttach(obj, id, null));
        assertMessage("Shadow.getOrAttach: ctor is null", () -> Shadow.getOrAttach(obj, id, String.class, null));
        assertMessage("Shadow.getOrAttach: type is null", () -> Shadow.getOrAttach(obj, id, null, () -> "x"));
        assertMessage("Shadow.detach: obj is null", () -> Shadow.detach(null, id));
        assertMessage("Shadow.detach: obj is null", () -> Shadow.detach(null, id, v -> { }));
        assertMessage("Shadow.detach: dtor is null", () -> Shadow.detach(obj, id, null));
        assertMessage("Shadow.detachAll: dtor is null", () -> Shadow.detachAll(id, null));
        assertEquals("v", Shadow.get(obj, id), "the refusals changed nothing");
        Shadow.detach(obj, id);
    }

    private static void assertMessage(String start, Runnable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call::run);
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }

    @Test
    void idsAreAnyLong() {
        Object obj = new Object();
        long[] ids = {0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 32, 1L};
        for (long id : ids) {
            Shadow.attach(obj, id, () -> id);
        }
        for (long id : ids) {
            assertEquals(id, Shadow.get(obj, id));
            Shadow.detach(obj, id);
            assertNull(Shadow.get(obj, id));
        }
    }

    /** Waits until {@code t} blocks (a waiter in the store); a hang detector, not a timing. */
    private static void awaitWaiting(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (t.getState() != Thread.State.WAITING) {
            assertTrue(t.isAlive(), t.getName() + " ended instead of waiting");
            assertTrue(System.nanoTime() < deadline, t.getName() + " never waited");
            Thread.sleep(1);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(60, TimeUnit.SECONDS), "never released");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> Object sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
