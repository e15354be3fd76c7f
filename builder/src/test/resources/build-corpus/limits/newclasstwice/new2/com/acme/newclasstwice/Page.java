package com.acme.newclasstwice;

public class Page {
    public String render(String text) {
        return Escaper.escape(text);
    }
}
