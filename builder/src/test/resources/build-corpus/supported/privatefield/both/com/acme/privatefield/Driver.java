package com.acme.privatefield;

/** Private fields read and written: on this, on another instance of the class, and a static one. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"deposit 10", "deposit 0", "deposit -5", "transfer 30", "transfer 500", "transfer -1"};
    }

    public static String run(String input) {
        Account a = new Account("alice", 100);
        Account b = new Account("bob", 5);
        String[] p = input.split(" ");
        long amount = Long.parseLong(p[1]);
        if (p[0].equals("deposit")) {
            return a.deposit(amount) + " " + a.summary();
        }
        return a.transfer(b, amount) + " " + a.summary() + " " + b.summary();
    }
}
