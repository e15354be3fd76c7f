package com.acme.privatetarget;

public class Mailer {
    private int sent;

    public String send(String address) {
        String a = normalize(address);
        sent++;
        return "sent #" + sent + " to " + a + " via " + domain(a);
    }

    private String normalize(String address) {
        if (address.indexOf(64) < 0) {
            throw new IllegalArgumentException("not an address: " + address);
        }
        return address.toLowerCase(java.util.Locale.ROOT);
    }

    private static String domain(String address) {
        String d = address.substring(address.indexOf(64) + 1);
        if (d.isEmpty()) {
            throw new IllegalArgumentException("no domain in " + address);
        }
        return "@" + d;
    }
}
