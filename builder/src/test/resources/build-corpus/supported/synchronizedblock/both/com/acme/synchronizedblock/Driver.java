package com.acme.synchronizedblock;

/**
 * A synchronized block on a private lock (held inside, released after an exception thrown
 * inside it) and a synchronized method whose body changed (the monitor on this stays held).
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"1,2,3", "5", "4,4,4", "9,9", "0"};
    }

    public static String run(String input) {
        StringBuilder sb = new StringBuilder();
        Counter c = new Counter();
        try {
            for (String n : input.split(",")) {
                sb.append(c.increment(Integer.parseInt(n))).append(' ');
            }
        } catch (IllegalStateException e) {
            sb.append("after '").append(e.getMessage()).append("' locked=").append(c.locked()).append(' ');
            if (input.startsWith("9")) {
                throw e;
            }
        }
        return sb.append(c.snapshot()).append(" locked=").append(c.locked()).toString();
    }
}
