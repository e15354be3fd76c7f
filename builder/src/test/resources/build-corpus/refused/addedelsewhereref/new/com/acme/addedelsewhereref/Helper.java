package com.acme.addedelsewhereref;

public class Helper {
    public String help() {
        return "help";
    }

    public String helpMore() {
        return "more help";
    }
}
