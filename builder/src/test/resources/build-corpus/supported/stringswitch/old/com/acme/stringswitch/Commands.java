package com.acme.stringswitch;

public class Commands {
    public String dispatch(String command) {
        switch (command) {
            case "start":
                return "starting";
            case "stop":
                return "stopping";
            case "Aa":
                return "aa";
            default:
                return "unknown";
        }
    }
}
