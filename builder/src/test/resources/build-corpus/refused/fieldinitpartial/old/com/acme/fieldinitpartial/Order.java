package com.acme.fieldinitpartial;

public class Order {
    private final String item;

    public Order() {
        item = "nothing";
    }

    public Order(String item) {
        this.item = item;
    }

    public String describe() {
        return item;
    }
}
