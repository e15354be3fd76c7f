package com.acme.fieldinitprivate;

public class Holder {
    public String use() {
        return "used";
    }
}
