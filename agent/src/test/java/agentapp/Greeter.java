package agentapp;

public class Greeter {
    public String greet(String name) {
        return "hello" + name;
    }

    public static String shout(String s) {
        return s + "!";
    }
}
