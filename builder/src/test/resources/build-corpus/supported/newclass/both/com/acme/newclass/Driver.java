package com.acme.newclass;

import java.util.Arrays;

/** The changed method uses classes only the new build has, in the same package. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"a,b", "apple,banana,cherry", "single", "", "bad,,cell"};
    }

    public static String run(String input) {
        return new Report("T").render(Arrays.asList(input.split(",", -1)));
    }
}
