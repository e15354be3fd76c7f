package com.acme.shop;

import java.io.BufferedReader;
import java.io.InputStreamReader;

/** A long-running service: "call <input>" prints result=<outcome>, "quit" ends it. */
public final class ShopService {
    public static void main(String[] args) throws Exception {
        PriceCalc calc = new PriceCalc(10);
        System.out.println("ready");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit")) {
            if (line.startsWith("call ")) {
                String outcome;
                try {
                    outcome = "ok: " + calc.quote(line.substring(5));
                } catch (RuntimeException e) {
                    outcome = "threw " + e.getClass().getName() + ": " + e.getMessage();
                }
                System.out.println("result=" + outcome.replace("\n", "\\n"));
                System.out.flush();
            }
        }
    }
}
