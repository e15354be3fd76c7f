package com.acme.mismatch;

public final class Driver {
    public static String[] inputs() {
        return new String[] {"/etc/passwd", "docs/a.txt", "../secret"};
    }

    public static String run(String input) {
        return new Files().resolve(input);
    }
}
