package com.acme.fieldinitcomputed;

public class Session {
    public String describe() {
        return "session";
    }
}
