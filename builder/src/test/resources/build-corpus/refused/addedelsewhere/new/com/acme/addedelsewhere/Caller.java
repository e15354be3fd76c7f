package com.acme.addedelsewhere;

public class Caller {
    public String call() {
        return new Helper().helpMore();
    }
}
