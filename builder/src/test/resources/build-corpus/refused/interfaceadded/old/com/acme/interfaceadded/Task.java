package com.acme.interfaceadded;

public class Task implements Runnable {
    @Override
    public void run() {
        System.out.println("run");
    }
}
