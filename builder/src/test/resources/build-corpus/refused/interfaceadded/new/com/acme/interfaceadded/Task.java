package com.acme.interfaceadded;

public class Task implements Runnable, java.io.Serializable {
    @Override
    public void run() {
        System.out.println("run");
    }
}
