package com.acme.fieldtypes;

/**
 * Added instance and static fields of every primitive type and a reference type: read and written
 * by a changed method, an added method and a lambda, through a subclass-typed receiver too, with
 * compound assignments (++, +=) on each. Static fields keep their values from input to input.
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"a", "bb,c", "ddd,ee,f,gggg", "", "x,y,z"};
    }

    public static String run(String input) {
        Tally t = new SubTally();
        String last = "";
        for (String word : input.split(",")) {
            last = t.add(word);
        }
        return last + " | " + Tally.totals();
    }
}
