package com.acme.addedelsewhereref;

public class Helper {
    public String help() {
        return "help";
    }
}
