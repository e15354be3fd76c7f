package com.acme.privatemethod;

/** The changed method calls private methods, static and instance, that both builds have. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"a b c", "  Hello,   World ", "one;two;;three", "", "x,,y", "!boom"};
    }

    public static String run(String input) {
        return String.join("|", new Tokenizer("#").split(input));
    }
}
