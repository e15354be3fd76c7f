package com.acme.innerclass;

import java.util.function.Supplier;

public class Library {
    private final String name;
    private int books;
    private String log = "";

    public Library(String name) {
        this.name = name;
    }

    private void audit(String what) {
        log = log + "[" + what + "]";
    }

    public Supplier<String> report() {
        return new Supplier<String>() {
            @Override
            public String get() {
                return name + ":" + books;
            }
        };
    }

    public class Shelf {
        public String add(int n) {
            books += n;
            return "added " + n;
        }
    }
}
