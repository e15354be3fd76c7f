package com.acme.body;

public class Pricing {
    public int price(int quantity) {
        int unit = 12;
        return quantity * unit;
    }
}
