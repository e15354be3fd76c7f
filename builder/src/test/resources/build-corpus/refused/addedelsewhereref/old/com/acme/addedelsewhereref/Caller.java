package com.acme.addedelsewhereref;

import java.util.function.Supplier;

public class Caller {
    public String call() {
        Supplier<String> s = new Helper()::help;
        return s.get();
    }
}
