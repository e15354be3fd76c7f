package com.acme.tripwire;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A method of the application, and replacements of it that throw an Error of their own at their
 * first call ({@link #KIND} names which): ReplacementErrorsTest.
 */
public final class ErrorTarget {

    public static final AtomicInteger CALLS = new AtomicInteger();
    /** The Error's class the next replacement's first call throws. */
    public static volatile String kind = "";

    private ErrorTarget() {
    }

    public static String greet() {
        return "original";
    }

    /** The replacement: throws {@link #kind} at its first call, then answers "fixed". */
    public static String fixedGreet() {
        if (CALLS.incrementAndGet() == 1) {
            switch (kind) {
                case "InternalError": throw new InternalError("thrown by the replacement");
                case "OutOfMemoryError": throw new OutOfMemoryError("thrown by the replacement");
                case "StackOverflowError": throw new StackOverflowError("thrown by the replacement");
                case "ThreadDeath": throw threadDeath();
                case "NoClassDefFoundError": throw new NoClassDefFoundError("thrown/by/TheReplacement");
                case "ExceptionInInitializerError": throw new ExceptionInInitializerError("thrown by the replacement");
                default: throw new AssertionError(kind);
            }
        }
        return "fixed";
    }

    @SuppressWarnings({"deprecation", "removal"}) // ThreadDeath: what Thread.stop threw, deprecated for removal
    private static Error threadDeath() {
        return new ThreadDeath();
    }
}
