package com.acme.nestedpackage;

import java.util.Arrays;

/** The changed method uses a package-private static nested class only the new build has (no private access). */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"a,b", "single", "bad,,cell"};
    }

    public static String run(String input) {
        return new Report("T").render(Arrays.asList(input.split(",", -1)));
    }
}
