package agentapp;

public class Greeter {
    public String greet(String name) {
        return "hello" + name;
    }

    public static String shout(String s) {
        return s + "!";
    }

    /** Blocks until {@code release} counts down: a thread that sits inside a patched method. */
    public static String hold(java.util.concurrent.CountDownLatch release) throws InterruptedException {
        release.await();
        return "held";
    }
}
