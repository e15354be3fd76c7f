package com.acme.clinit;

import java.util.List;

public class Registry {
    private static final List<String> NAMES = List.of("alpha", "beta");

    public static boolean known(String name) {
        return NAMES.contains(name);
    }
}
