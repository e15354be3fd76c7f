package io.jlivepatch.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class SuppressedTest {

    @Test
    void aFailureIsAddedToTheOneThrown() {
        IllegalStateException thrown = new IllegalStateException("the change's");
        OutOfMemoryError lost = new OutOfMemoryError("the undo's");
        Suppressed.add(thrown, lost);
        assertArrayEquals(new Throwable[] {lost}, thrown.getSuppressed());
    }

    /** The JVM's one shared OutOfMemoryError met twice: added to itself, addSuppressed throws IllegalArgumentException. */
    @Test
    void theSameFailureAddedToItselfChangesNothingAndThrowsNothing() {
        OutOfMemoryError shared = new OutOfMemoryError("Java heap space");
        Suppressed.add(shared, shared);
        assertEquals(0, shared.getSuppressed().length);
    }

    @Test
    void noneIsNothingToAdd() {
        IllegalStateException thrown = new IllegalStateException("the change's");
        Suppressed.add(thrown, null);
        Suppressed.add(null, thrown);
        assertEquals(0, thrown.getSuppressed().length);
    }

    /** A throwable made without suppression (the JVM's preallocated errors are) takes none, and says nothing. */
    @Test
    void aThrowableThatTakesNoneStaysAsItWas() {
        Throwable noSuppression = new Throwable("no suppression", null, false, false) {
        };
        Suppressed.add(noSuppression, new IllegalStateException("lost"));
        assertEquals(0, noSuppression.getSuppressed().length);
    }
}
