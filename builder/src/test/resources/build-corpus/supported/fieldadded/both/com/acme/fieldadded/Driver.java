package com.acme.fieldadded;

/**
 * The simplest added field: a {@code long} limit the new build reads and writes, on objects made
 * after the patch (which start from 0, as in the new build).
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"10", "10,20,30", "0,5", "100,1"};
    }

    public static String run(String input) {
        Account a = new Account();
        StringBuilder sb = new StringBuilder();
        for (String n : input.split(",")) {
            try {
                sb.append(a.deposit(Long.parseLong(n))).append(' ');
            } catch (IllegalStateException e) {
                sb.append(e.getMessage()).append(' ');
            }
        }
        return sb.toString().trim();
    }
}
