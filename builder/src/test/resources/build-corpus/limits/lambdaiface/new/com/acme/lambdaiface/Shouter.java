package com.acme.lambdaiface;

public class Shouter {
    private final String suffix;

    public Shouter(String suffix) {
        this.suffix = suffix;
    }

    public String shout(String s) {
        Transform upper = String::toUpperCase;
        Transform mark = t -> {
            if (t.isEmpty()) {
                throw new IllegalArgumentException("nothing to shout");
            }
            return t + suffix + suffix;
        };
        return mark.apply(upper.apply(s));
    }
}
