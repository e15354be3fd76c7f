package com.acme.fieldinitpartial;

public class Order {
    private final String item;
    private int quantity;

    public Order() {
        item = "nothing";
    }

    public Order(String item) {
        this.item = item;
        this.quantity = 1;
    }

    public String describe() {
        return quantity + " x " + item;
    }
}
