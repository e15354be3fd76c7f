package com.acme.selfcall;

/**
 * Recursive functions changed: each level of the recursion runs the new version (the replacement's
 * call of itself enters the hook again), exactly as the new build; label calls count, another function.
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"0", "1", "3", "10"};
    }

    public static String run(String input) {
        int n = Integer.parseInt(input);
        return new Countdown().count(n) + " | " + Countdown.sum(n) + " | " + new Countdown().label(n);
    }
}
