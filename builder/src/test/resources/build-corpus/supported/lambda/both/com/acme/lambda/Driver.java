package com.acme.lambda;

/**
 * Lambdas capturing this, a local and a parameter, a lambda inside a lambda, method references
 * to a JDK method and to a private method of the class, Function.andThen (a default method of
 * the lambda's interface), a lambda whose body is all that changes (sortKey), and a changed
 * method whose lambda both builds have alike (count).
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"a, bb, ccc", "kiwi,fig,banana,apple", "x,y", "", "dd , e ,ffff"};
    }

    public static String run(String input) {
        Pipeline p = new Pipeline(">");
        return p.count(input) + " / " + p.sorted(input) + " / " + p.process(input);
    }
}
