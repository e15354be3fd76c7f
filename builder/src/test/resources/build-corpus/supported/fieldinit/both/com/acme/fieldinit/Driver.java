package com.acme.fieldinit;

/**
 * Added fields with initial values: constants in their declarations and in a constructor, a
 * {@code new ArrayList<>()}, a static constant, through two constructors (one delegating with
 * this(...)); read by the changed methods and by a class the new build adds.
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"5", "5,10,200", "1,2,3,4,5", "300", ""};
    }

    public static String run(String input) {
        Account a = input.startsWith("1") ? new Account("first") : new Account();
        for (String n : input.split(",")) {
            if (!n.isEmpty()) {
                a.deposit(Integer.parseInt(n));
            }
        }
        return a.summary();
    }
}
