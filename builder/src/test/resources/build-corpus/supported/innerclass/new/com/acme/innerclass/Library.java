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
                return name + " has " + books + " book(s), log " + log;
            }
        };
    }

    public class Shelf {
        public String add(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException(Library.this.name + " cannot add " + n + " books");
            }
            books += n;
            Library.this.audit("add " + n);
            return "shelf of " + name + " now holds " + books;
        }
    }
}
