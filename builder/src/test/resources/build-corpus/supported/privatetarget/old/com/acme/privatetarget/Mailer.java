package com.acme.privatetarget;

public class Mailer {
    private int sent;

    public String send(String address) {
        String a = normalize(address);
        sent++;
        return "sent #" + sent + " to " + a + " via " + domain(a);
    }

    private String normalize(String address) {
        return address;
    }

    private static String domain(String address) {
        return address.substring(address.indexOf(64) + 1);
    }
}
