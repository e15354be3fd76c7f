package com.acme.stringswitch;

public class Commands {
    public String dispatch(String command) {
        String result;
        switch (command) {
            case "start":
                result = "starting";
                break;
            case "stop":
                result = "stopping gracefully";
                break;
            case "restart":
            case "status":
                result = command + " requested";
                break;
            case "Aa":
                result = "aa (hash " + "Aa".hashCode() + ")";
                break;
            case "BB":
                result = "bb (hash " + "BB".hashCode() + ")";
                break;
            default:
                throw new UnsupportedOperationException("unknown command: '" + command + "'");
        }
        return result;
    }
}
