package com.acme.addedoverride;

/** The new build's Square overrides label(), which it inherited from Shape before: describe() must see it. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"1", "2", "3"};
    }

    public static String run(String input) {
        Shape s = new Square(Integer.parseInt(input));
        return s.describe() + " of area " + ((Square) s).area();
    }
}
