package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Why a patch class failed to initialize is the initializer's own exception, whichever caller finishes last. */
class ClassInitTest {

    @Test
    void theInitializersExceptionIsKeptWhenAWaitingCallerFinishesLast() throws Exception {
        CountDownLatch initializerDone = new CountDownLatch(1);
        ClassInit init = new ClassInit(ClassInitTest.class, c -> {
            if (Thread.currentThread().getName().equals("waiter")) {
                try {
                    assertTrue(initializerDone.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                // what a caller that waited for the initializing thread gets from the JVM
                throw new NoClassDefFoundError("Could not initialize class " + c.getName());
            }
            throw new ExceptionInInitializerError(new IllegalStateException("the real cause"));
        });
        Thread waiter = new Thread(init::ready, "waiter");
        waiter.start();
        Thread initializing = new Thread(() -> {
            init.ready();
            initializerDone.countDown();
        }, "initializing");
        initializing.start();
        initializing.join(10_000);
        waiter.join(10_000);
        assertEquals("the patch class " + ClassInitTest.class.getName() + " failed to initialize"
                + " (java.lang.IllegalStateException: the real cause)", init.failure());
        assertFalse(init.ready(), "failed for good");
    }

    @Test
    void aWaitingCallersErrorNamesTheFirstErrorItCarries() {
        ClassInit init = new ClassInit(ClassInitTest.class, c -> {
            NoClassDefFoundError e = new NoClassDefFoundError("Could not initialize class " + c.getName());
            e.initCause(new ExceptionInInitializerError("Exception java.lang.IllegalStateException: boom [in thread \"t\"]"));
            throw e;
        });
        assertFalse(init.ready());
        assertTrue(init.failure().contains("Exception java.lang.IllegalStateException: boom [in thread \"t\"]"),
                init.failure());
    }
}
